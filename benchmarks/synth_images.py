r"""Benchmark of the rendered-image source (`synth/images.py`): images/s at
256² with every effect on, and what each step and effect costs.

    nice -n 19 python -m benchmarks.synth_images [--background_dirs=DIR]

Rows: (1) `ImageRenderer.render` with the default config (every effect on;
photo backgrounds only with --background_dirs), (2) `image_dataset`
iterated in-process (tf.data around the same renderer; 1 and 2 threads), (3) the image job
(`image_generation.generate`, JPEG TFRecords, 2 shards). Then the steps of
one batch (sampling, posing the full mesh, the z-buffer, interpolation +
shading, backgrounds, anti-aliasing, an occluder, the camera effects) in
ms per image, and each camera effect alone (probability 1) on a 256² image.
Rates are medians of --runs, per wall second and per CPU second of this
process (steadier when other jobs share the cores). Ends with one JSON line.
"""

import dataclasses
import os
import shutil
import tempfile
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from benchmarks import timing
from body import bundled
from render import rasterizer
from synth import camera_effects
from synth import image_generation
from synth import images
from synth import scene

_BATCH = flags.DEFINE_integer("batch", 16, "Images per render call.")
_NUM = flags.DEFINE_integer("num_images", 64, "Images per timed run.")
_RUNS = flags.DEFINE_integer("runs", 3, "Timed runs (median reported).")
_BACKGROUND_DIRS = flags.DEFINE_list("background_dirs", [],
                                     "Photo folders for backgrounds.")


def _rate(fn, n, runs):
  """Median (images per wall second, images per CPU second)."""
  wall, cpu = [], []
  for _ in range(runs):
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    wall.append(n / (time.perf_counter() - start))
    cpu.append(n / max(time.process_time() - start_cpu, 1e-9))
  return float(np.median(wall)), float(np.median(cpu))


def _steps(renderer, batch, runs):
  """(wall, CPU) ms per image of each step of `render`, in order."""
  rng = np.random.default_rng(1)
  cfg = renderer.config
  size = cfg.image_size
  out = {}

  def timed(name, fn):
    fn()
    wall, cpu = [], []
    for _ in range(runs):
      start, start_cpu = time.perf_counter(), time.process_time()
      fn()
      wall.append((time.perf_counter() - start) * 1e3 / batch)
      cpu.append((time.process_time() - start_cpu) * 1e3 / batch)
    out[name] = (float(np.median(wall)), float(np.median(cpu)))

  sample = renderer.generator.generate(rng, batch)
  timed("sample pose/shape/view/keypoints",
        lambda: renderer.generator.generate(rng, batch))
  garments = renderer.appearance.sample_garments(rng, batch)
  tables = renderer.appearance.sample_tables(rng, batch)
  light = images.sample_light(rng, batch)
  pose = lambda: renderer._pose(  # pylint: disable=protected-access
      tf.constant(sample.betas), tf.constant(sample.theta),
      tf.constant(sample.transl))
  timed("pose full mesh (lbs)", lambda: [t.numpy() for t in pose()])
  verts, joints = pose()
  verts, garments = renderer._add_cloth(  # pylint: disable=protected-access
      rng, verts.numpy(), joints.numpy(), garments)
  verts = tf.constant(verts, tf.float32)
  cam = renderer.generator.config.camera
  screen = tf.concat([cam.focal_length * verts[..., :2] / verts[..., 2:] +
                      cam.principal_point, verts[..., 2:]], -1)
  raster = lambda: rasterizer.rasterize(
      screen, renderer._faces, renderer._raster)  # pylint: disable=protected-access
  timed("z-buffer 256² (render.rasterizer)", lambda: raster().mask.numpy())
  frags = raster()
  shade = lambda: renderer._shade(  # pylint: disable=protected-access
      verts, frags.face_ids, frags.bary, tf.constant(garments.astype(
          np.int32)), tf.constant(tables), light).numpy()
  timed("interpolate + texture + shade", shade)
  body = shade()
  mask = frags.mask.numpy()
  timed("procedural background",
        lambda: [scene.procedural_background(rng, size)
                 for _ in range(batch)])
  if renderer.bank is not None:
    timed("photo background crop",
          lambda: [renderer.bank.crop(rng, size) for _ in range(batch)])
  bg = scene.procedural_background(rng, size)
  timed("anti-aliased edges", lambda: [images._antialias(  # pylint: disable=protected-access
      np.where(mask[i, ..., None], body[i], bg), mask[i])
                                       for i in range(batch)])
  timed("occluder (when drawn)",
        lambda: [scene.occluder(rng, size, (128, 128), renderer.bank)
                 for _ in range(batch)])
  timed("camera effects (default probabilities)",
        lambda: [camera_effects.apply(rng, bg, cfg.effects)
                 for _ in range(batch)])
  return out


def _effects(image, runs):
  """ms per image of each camera effect alone (probability 1)."""
  off = camera_effects.EffectsConfig().off()
  rng = np.random.default_rng(2)
  out = {}
  for name in ("blur", "motion_blur", "colour", "gamma", "noise", "jpeg"):
    config = dataclasses.replace(off, **{f"{name}_probability": 1.0})
    out[name] = timing.median_ms(
        lambda c=config: [camera_effects.apply(rng, image, c)
                          for _ in range(20)], runs) / 20
  return out


def main(argv):
  del argv
  assets = bundled.load()
  b, n, runs = _BATCH.value, _NUM.value, _RUNS.value
  config = images.ImageConfig(batch_size=b,
                              background_dirs=tuple(_BACKGROUND_DIRS.value))
  renderer = images.ImageRenderer(config, assets)
  counter = iter(range(10 ** 9))
  render = lambda: renderer.render(images.batch_rng(0, next(counter)), b)
  for _ in range(4):                      # Trace and compile the z-buffer.
    render()
  rows = []
  rate = _rate(lambda: [render() for _ in range(n // b)], n // b * b, runs)
  rows.append(["ImageRenderer.render, all effects", *rate])
  dataset_rates = {}
  for workers in (1, 2):
    dataset = images.image_dataset(config, 0, assets,
                                   num_workers=workers).batch(b)
    it = iter(dataset)
    next(it)
    rate_ds = _rate(lambda: [next(it) for _ in range(n // b)], n // b * b,
                    runs)
    rows.append([f"image_dataset (tf.data), num_workers={workers}",
                 *rate_ds])
    dataset_rates[f"images_per_s_dataset_{workers}_workers"] = round(
        rate_ds[0], 1)
  tmp = tempfile.mkdtemp()
  job = image_generation.ImageGenerationConfig(images=config, num_images=n,
                                               num_shards=2)

  def run_job():
    out = os.path.join(tmp, "job")
    shutil.rmtree(out, ignore_errors=True)
    image_generation.generate(job, out, renderer=renderer)

  rate_job = _rate(run_job, n, runs)
  rows.append(["image job (2 JPEG TFRecord shards)", *rate_job])
  shutil.rmtree(tmp, ignore_errors=True)
  steps = _steps(renderer, b, runs)
  effects = _effects(render()["image"][0], runs)
  print(f"body: {assets.name} ({assets.num_vertices} vertices, "
        f"{len(assets.faces)} faces); 256² crops, batch {b}; "
        f"{'photo + procedural' if config.background_dirs else 'procedural'}"
        f" backgrounds; {timing.machine()}")
  timing.print_table(["path", "images/s", "images/CPU-s"], rows)
  print()
  timing.print_table(["step of a batch", "ms/image", "CPU ms/image"],
                     [[k, *v] for k, v in steps.items()])
  print()
  timing.print_table(["camera effect alone (p = 1)", "ms/image"],
                     [[k, v] for k, v in effects.items()])
  timing.print_json({
      "images_per_s_render": round(rate[0], 1),
      "images_per_cpu_s_render": round(rate[1], 1),
      **dataset_rates,
      "images_per_s_job": round(rate_job[0], 1),
      "cpu_ms_per_image_steps": {k: round(v[1], 2)
                                 for k, v in steps.items()},
      "ms_per_image_effects": {k: round(v, 2) for k, v in effects.items()},
  })


if __name__ == "__main__":
  app.run(main)
