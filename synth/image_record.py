"""The on-disk image record: one `tf.train.Example` per rendered image.

Dimensions: S image side, K keypoints, S_β shape components (fixed per
dataset, stored in `manifest.json` as `ImageSchema`):

  feature        type    length  meaning (see `synth/images.py`)
  image          bytes   1       PNG or JPEG (`ImageSchema.image_format`)
                                 of the uint8 [S, S, 3] RGB crop
  silhouette256  bytes   1       PNG of the uint8 [S, S] 0/1 person mask
  parts          bytes   1       PNG of the uint8 [S, S] NBF_12 part map
  keypoints      float   K·2     crop pixels (x right, y down, origin at
                                 the centre of the top-left pixel)
  visible        float   K       1 seen, 0 hidden or outside the crop
  in_image       float   K       1 inside the crop
  theta          float   72      camera-frame axis-angle pose
  beta           float   S_β     shape
  camera         float   3       body translation t (metres)

`parse_fn(schema)` maps serialized records to the dicts of
`synth.images.image_dataset` (same keys, dtypes and shapes; the R×R
coverage `silhouette` is recomputed from `silhouette256`, exactly as the
renderer computes it). `read_image_dataset(directory)` reads a job's output.
"""

import dataclasses
import glob
import os
from typing import Dict, List, Sequence

import cv2
import numpy as np
import tensorflow as tf

from synth import record

MANIFEST = record.MANIFEST
SHARD_PATTERN = "images-{index:05d}-of-{count:05d}.tfrecord"
IMAGE_FORMATS = ("png", "jpeg")


@dataclasses.dataclass(frozen=True)
class ImageSchema:
  """Fixed sizes of an image dataset's features."""
  num_keypoints: int
  num_betas: int
  image_size: int = 256
  silhouette_size: int = 64
  keypoint_set: str = "COCO_21_LSP"
  image_format: str = "jpeg"
  num_pose: int = 72

  def __post_init__(self):
    if self.image_format not in IMAGE_FORMATS:
      raise ValueError(f"image_format must be one of {IMAGE_FORMATS}, got "
                       f"{self.image_format!r}.")
    for name in ("num_keypoints", "num_betas", "image_size",
                 "silhouette_size", "num_pose"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive, got "
                         f"{getattr(self, name)}.")
    if self.image_size % self.silhouette_size:
      raise ValueError(f"silhouette_size {self.silhouette_size} must divide "
                       f"image_size {self.image_size}.")

  def feature_spec(self) -> Dict[str, tf.io.FixedLenFeature]:
    f = tf.io.FixedLenFeature
    k = self.num_keypoints
    return {
        "image": f([], tf.string), "silhouette256": f([], tf.string),
        "parts": f([], tf.string), "keypoints": f([k * 2], tf.float32),
        "visible": f([k], tf.float32), "in_image": f([k], tf.float32),
        "theta": f([self.num_pose], tf.float32),
        "beta": f([self.num_betas], tf.float32),
        "camera": f([3], tf.float32),
    }


def _encode(image: np.ndarray, image_format: str, quality: int) -> bytes:
  if image.ndim == 3:
    image = image[..., ::-1]                       # OpenCV wants BGR.
  if image_format == "png":
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
  else:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY,
                                            int(quality)])
  if not ok:
    raise RuntimeError(f"OpenCV could not encode a {image.shape} image as "
                       f"{image_format}.")
  return data.tobytes()


def serialize(batch: Dict[str, np.ndarray], schema: ImageSchema,
              jpeg_quality: int = 95) -> List[bytes]:
  """Serialized `tf.train.Example`s, one per image of a rendered batch
  (`synth.images.ImageRenderer.render`'s dict)."""
  out = []
  feature = tf.train.Feature
  for i in range(len(batch["image"])):
    floats = {k: feature(float_list=tf.train.FloatList(
        value=np.asarray(batch[k][i], np.float32).reshape(-1)))
              for k in ("keypoints", "visible", "in_image", "theta", "beta",
                        "camera")}
    blobs = {
        "image": _encode(batch["image"][i], schema.image_format,
                         jpeg_quality),
        "silhouette256": _encode(batch["silhouette256"][i], "png", 0),
        "parts": _encode(batch["parts"][i], "png", 0),
    }
    floats.update({k: feature(bytes_list=tf.train.BytesList(value=[v]))
                   for k, v in blobs.items()})
    example = tf.train.Example(features=tf.train.Features(feature=floats))
    out.append(example.SerializeToString(deterministic=True))
  return out


def parse_fn(schema: ImageSchema):
  """A function mapping ONE serialized record to the dict of
  `synth.images.image_dataset` (use it with `Dataset.map`)."""
  spec = schema.feature_spec()
  s, r, k = schema.image_size, schema.silhouette_size, schema.num_keypoints

  def parse(serialized):
    x = tf.io.parse_single_example(serialized, spec)
    image = tf.ensure_shape(tf.io.decode_image(
        x["image"], channels=3, expand_animations=False), [s, s, 3])
    sil = tf.ensure_shape(tf.io.decode_png(x["silhouette256"], 1), [s, s, 1])
    parts = tf.ensure_shape(tf.io.decode_png(x["parts"], 1), [s, s, 1])
    cell = s // r
    coarse = tf.reshape(tf.cast(sil, tf.float32), [r, cell, r, cell])
    return {
        "image": image,
        "keypoints": tf.reshape(x["keypoints"], [k, 2]),
        "visible": x["visible"],
        "in_image": x["in_image"],
        "silhouette": tf.reduce_mean(coarse, axis=[1, 3]),
        "silhouette256": sil[..., 0],
        "parts": parts[..., 0],
        "theta": x["theta"],
        "beta": x["beta"],
        "camera": x["camera"],
    }

  return parse


def read_manifest(directory: str) -> dict:
  return record.read_manifest(directory, "synth.generate_images")


def shard_paths(directory: str) -> List[str]:
  """The completed image shards of a dataset, in order."""
  return sorted(glob.glob(os.path.join(directory, "images-*.tfrecord")))


def read_image_dataset(directory: str, shuffle_files: bool = False,
                       files: Sequence[str] = ()) -> tf.data.Dataset:
  """A dataset of single parsed images from a `synth.generate_images`
  output directory (finite; `.repeat()`, `.shuffle()` and `.batch()` it)."""
  manifest = read_manifest(directory)
  schema = ImageSchema(**manifest["schema"])
  files = list(files) or shard_paths(directory)
  if not files:
    raise FileNotFoundError(f"no image shards in {directory!r}.")
  ds = tf.data.Dataset.from_tensor_slices(files)
  if shuffle_files:
    ds = ds.shuffle(len(files))
  return tf.data.TFRecordDataset(ds).map(
      parse_fn(schema), num_parallel_calls=tf.data.AUTOTUNE,
      deterministic=True)
