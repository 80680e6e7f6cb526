"""The image job: TFRecord shards of rendered images, a manifest, a contact
sheet (`synth/images.py` for the images, `synth/image_record.py` for the
records).

    config = ImageGenerationConfig(num_images=10000, num_shards=8, seed=0)
    manifest = generate(config, "/data/human2d_synth")

Same conventions as `synth/generation.py`: shard i draws from
`generation.shard_rng(seed, i)` in batches of `images.batch_size`, so its
bytes depend only on the config and i; shards are written to a hidden temp
file and renamed when complete, so a killed job leaves no partial shard and
a rerun with the same config writes only the missing ones; a different
config in the same directory is refused; `manifest.json` is "incomplete"
until every shard exists, then "complete".
"""

import dataclasses
import json
import logging
import os
import time
from typing import List, Optional, Sequence

import numpy as np
import tensorflow as tf

from synth import contact_sheet
from synth import generation
from synth import image_record
from synth import images as images_lib

_PREVIEW_STREAM = 2 ** 31 - 1     # The contact sheet's rng stream.
CONTACT_SHEET = "contact_sheet.jpg"


@dataclasses.dataclass(frozen=True)
class ImageGenerationConfig:
  """An image job.

  Attributes:
    images: the image distribution (its batch_size is part of the output's
      definition).
    num_images: total number of images N.
    num_shards: number of TFRecord files.
    seed: the job's seed.
    image_format: "jpeg" or "png" for the image feature.
    jpeg_quality: JPEG quality of stored images.
  """
  images: images_lib.ImageConfig = images_lib.ImageConfig()
  num_images: int = 10000
  num_shards: int = 8
  seed: int = 0
  image_format: str = "jpeg"
  jpeg_quality: int = 95

  def __post_init__(self):
    if self.num_images <= 0:
      raise ValueError(f"num_images must be positive, got "
                       f"{self.num_images}.")
    if not 0 < self.num_shards <= self.num_images:
      raise ValueError(f"num_shards must be in [1, num_images = "
                       f"{self.num_images}], got {self.num_shards}.")
    if self.seed < 0:
      raise ValueError(f"seed must be ≥ 0, got {self.seed}.")
    if self.image_format not in image_record.IMAGE_FORMATS:
      raise ValueError(f"image_format must be one of "
                       f"{image_record.IMAGE_FORMATS}, got "
                       f"{self.image_format!r}.")
    if not 1 <= self.jpeg_quality <= 100:
      raise ValueError(f"jpeg_quality must be in [1, 100], got "
                       f"{self.jpeg_quality}.")

  def to_json(self) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(self)))


def schema_for(config: ImageGenerationConfig,
               renderer: images_lib.ImageRenderer) -> image_record.ImageSchema:
  return image_record.ImageSchema(
      num_keypoints=renderer.keypoint_set.size,
      num_betas=renderer.generator.config.shape.num_betas,
      image_size=config.images.image_size,
      silhouette_size=config.images.silhouette_size,
      keypoint_set=config.images.keypoint_set,
      image_format=config.image_format,
      num_pose=3 * renderer.assets.num_joints)


def shard_name(index: int, num_shards: int) -> str:
  return image_record.SHARD_PATTERN.format(index=index, count=num_shards)


def write_shard(renderer: images_lib.ImageRenderer,
                config: ImageGenerationConfig, index: int,
                directory: str) -> int:
  """Writes shard `index` (temp file, then rename) unless it exists;
  returns its image count."""
  if not 0 <= index < config.num_shards:
    raise ValueError(f"shard index {index} outside [0, {config.num_shards}).")
  name = shard_name(index, config.num_shards)
  path = os.path.join(directory, name)
  size = generation.shard_sizes(config.num_images, config.num_shards)[index]
  if tf.io.gfile.exists(path):
    logging.info("shard %s exists; skipped", name)
    return size
  schema = schema_for(config, renderer)
  rng = generation.shard_rng(config.seed, index)
  step = config.images.batch_size

  def records():
    for first in range(0, size, step):
      batch = renderer.render(rng, min(step, size - first))
      yield from image_record.serialize(batch, schema, config.jpeg_quality)

  return generation.write_records_atomically(path, records(), "images")


def manifest_for(config: ImageGenerationConfig, status: str,
                 renderer: images_lib.ImageRenderer,
                 elapsed_s: Optional[float] = None) -> dict:
  sizes = generation.shard_sizes(config.num_images, config.num_shards)
  manifest = {
      "status": status,
      "kind": "images",
      "config": config.to_json(),
      "seed": config.seed,
      "num_images": config.num_images,
      "schema": dataclasses.asdict(schema_for(config, renderer)),
      "keypoint_names": list(renderer.keypoint_set.names),
      "body_model": {"name": renderer.assets.name,
                     "num_vertices": int(renderer.assets.num_vertices)},
      "shards": [{"file": shard_name(i, config.num_shards), "count": n}
                 for i, n in enumerate(sizes)],
      "versions": {"numpy": np.__version__, "tensorflow": tf.__version__},
  }
  if elapsed_s is not None:
    manifest["elapsed_s"] = round(elapsed_s, 3)
  return manifest


def missing_shards(config: ImageGenerationConfig,
                   directory: str) -> List[int]:
  return generation.missing_shards(
      config, directory, name_fn=shard_name,
      sizes=generation.shard_sizes(config.num_images, config.num_shards))


def prepare_output(config: ImageGenerationConfig, directory: str,
                   renderer: images_lib.ImageRenderer) -> None:
  """Creates the directory, refuses another job's, writes "incomplete"."""
  tf.io.gfile.makedirs(directory)
  generation.check_compatible(directory, config)
  generation.write_manifest(directory,
                            manifest_for(config, "incomplete", renderer))


def finish(config: ImageGenerationConfig, directory: str,
           renderer: images_lib.ImageRenderer,
           elapsed_s: Optional[float] = None) -> dict:
  status = "incomplete" if missing_shards(config, directory) else "complete"
  manifest = manifest_for(config, status, renderer, elapsed_s)
  generation.write_manifest(directory, manifest)
  return manifest


def generate(config: ImageGenerationConfig, directory: str,
             shards: Optional[Sequence[int]] = None,
             renderer: Optional[images_lib.ImageRenderer] = None) -> dict:
  """Writes the missing shards in this process; returns the manifest."""
  start = time.perf_counter()
  renderer = renderer or images_lib.ImageRenderer(config.images)
  prepare_output(config, directory, renderer)
  todo = [i for i in missing_shards(config, directory)
          if shards is None or i in shards]
  for done, i in enumerate(todo):
    write_shard(renderer, config, i, directory)
    logging.info("progress: %d / %d shards", done + 1, len(todo))
  return finish(config, directory, renderer, time.perf_counter() - start)


def write_contact_sheet(config: ImageGenerationConfig, path: str,
                        num: int = 48, labels: bool = True,
                        renderer: Optional[images_lib.ImageRenderer] = None,
                        cell: int = 128) -> None:
  """Writes `num` images of the job's distribution (a stream of their own)
  as a contact sheet, labels drawn."""
  renderer = renderer or images_lib.ImageRenderer(config.images)
  batch = renderer.render(generation.shard_rng(config.seed, _PREVIEW_STREAM),
                          num)
  sheet = contact_sheet.contact_sheet(batch, renderer.keypoint_set,
                                      cell=cell, labels=labels)
  contact_sheet.write_image(path, sheet)
  logging.info("wrote a contact sheet of %d images to %s", num, path)


def run_beam(config: ImageGenerationConfig, directory: str,
             pipeline_args: Optional[Sequence[str]] = None) -> dict:
  """The job on Apache Beam (requirements-beam.txt): one element per
  missing shard, each written by `write_shard`, so a shard has the same
  bytes whichever runner writes it."""
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  from apache_beam.options import pipeline_options  # pylint: disable=g-import-not-at-top

  class WriteShard(beam.DoFn):

    def setup(self):
      self._renderer = images_lib.ImageRenderer(config.images)

    def process(self, index):
      yield write_shard(self._renderer, config, int(index), directory)

  renderer = images_lib.ImageRenderer(config.images)
  prepare_output(config, directory, renderer)
  todo = missing_shards(config, directory)
  if todo:
    options = pipeline_options.PipelineOptions(
        list(pipeline_args or ["--runner=DirectRunner"]))
    with beam.Pipeline(options=options) as pipeline:
      _ = (pipeline | beam.Create(todo) | beam.Reshuffle()
           | beam.ParDo(WriteShard()) | beam.CombineGlobally(sum))
  return finish(config, directory, renderer)
