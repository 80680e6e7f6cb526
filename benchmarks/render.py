"""Benchmark of the rasterizers: soft silhouette forward and forward+backward,
hard z-buffer, for a batch of body meshes at several resolutions.

    python -m benchmarks.render                      # B=16, 64² 128² 256²
    python -m benchmarks.render --png_dir=/tmp/png   # also write renders

Each resolution runs in a fresh process so that its peak RSS is its own.
Prints a table (median of --runs) and ends with one line of JSON.

The mesh is the bundled body model (body/data/open_body.npz) in random mild
poses, placed so the body fills 85% of the crop height; if the model is not
there, a 13,776-face closed blob (`render.primitives.blob`) stands in.
"""

import json
import os
import resource
import subprocess
import sys

from absl import app
from absl import flags
from absl import logging
import numpy as np
import tensorflow as tf

from benchmarks import timing
from render import camera as camera_lib
from render import losses
from render import primitives
from render import rasterizer
from render import soft_silhouette

_SIZES = flags.DEFINE_list("sizes", ["64", "128", "256"], "Image sides.")
_BATCH = flags.DEFINE_integer("batch", 16, "Meshes per batch.")
_SIGMA = flags.DEFINE_float("sigma", 0.1, "Soft blur σ, pixels².")
_RUNS = flags.DEFINE_integer("runs", 9, "Timed runs (median reported).")
_MESH = flags.DEFINE_enum("mesh", "auto", ["auto", "body", "blob"],
                          "auto: the bundled body if present, else blob.")
_JIT = flags.DEFINE_bool("jit", True, "XLA kernels for the soft path.")
_SPAN = flags.DEFINE_integer("span", 0, "Soft span length; 0: default.")
_SINGLE = flags.DEFINE_integer("single_size", 0,
                               "Internal: measure one size, print JSON.")
_PNG_DIR = flags.DEFINE_string("png_dir", "", "Write renders here.")

_BODY_TO_CAMERA = np.diag([1.0, -1.0, -1.0])  # y up, +z facing → OpenCV.
_FOCAL_PER_PIXEL = 5000.0 / 224.0  # SPIN's focal for a 224 crop.


def _load_mesh(kind: str, batch: int, seed: int = 0):
  """(vertices [B, V, 3] metres in the body frame, faces, name)."""
  rng = np.random.default_rng(seed)
  if kind in ("auto", "body"):
    try:
      from body import bundled  # pylint: disable=g-import-not-at-top
      from body import lbs  # pylint: disable=g-import-not-at-top
      assets = bundled.load()
    except Exception as e:  # pylint: disable=broad-except
      if kind == "body":
        raise
      logging.warning("bundled body unavailable (%s); using the blob.", e)
    else:
      theta = rng.normal(scale=0.15, size=(batch, 72))
      theta[:, :3] = 0.0
      theta[:, 16 * 3 + 2] -= 1.1  # left shoulder: arm down (−z)
      theta[:, 17 * 3 + 2] += 1.1  # right shoulder
      betas = rng.normal(scale=0.5, size=(batch, 10))
      out = lbs.forward_axis_angle(assets, betas.astype(np.float32),
                                   theta.astype(np.float32))
      return out.vertices.numpy(), np.asarray(assets.faces), "body"
  vertices, faces = primitives.blob()
  return np.repeat(vertices[None], batch, axis=0), faces, "blob"


def place_in_crop(vertices: np.ndarray, yaw: np.ndarray, focal: float,
                  size: int) -> np.ndarray:
  """Turns each body by its yaw, into OpenCV axes, centred, at the depth
  where it fills 85% of the crop height. `[B, V, 3]` camera frame."""
  points = []
  for v, angle in zip(vertices, yaw):
    c, s = np.cos(angle), np.sin(angle)
    turn = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    p = v @ (_BODY_TO_CAMERA @ turn).T
    p = p - 0.5 * (p.max(axis=0) + p.min(axis=0))
    depth = focal * (p[:, 1].max() - p[:, 1].min()) / (0.85 * size)
    points.append(p + [0.0, 0.0, depth])
  return np.stack(points).astype(np.float32)


def _measure(size: int) -> dict:
  vertices, faces, name = _load_mesh(_MESH.value, _BATCH.value)
  focal = _FOCAL_PER_PIXEL * size
  yaw = np.random.default_rng(1).uniform(-0.6, 0.6, size=_BATCH.value)
  points = tf.constant(place_in_crop(vertices, yaw, focal, size))
  cam = camera_lib.PerspectiveCamera(
      focal=[focal, focal], principal_point=[(size - 1) / 2.0] * 2)
  soft_settings = soft_silhouette.SoftSilhouetteSettings(
      image_size=(size, size), sigma=_SIGMA.value, cull_backfaces=True,
      jit_compile=_JIT.value, span=_SPAN.value or None)
  hard_settings = rasterizer.RasterSettings(image_size=(size, size),
                                            cull_backfaces=True)
  faces = tf.constant(faces)
  rss_before = timing.peak_rss_mb()
  # Target: the hard silhouette of the meshes shifted by a pixel.
  target = rasterizer.silhouette(rasterizer.rasterize(
      cam.transform_points_screen(points + [0.0, 0.0, 0.0]) + [1.0, 0.5, 0.0],
      faces, hard_settings))

  @tf.function
  def soft_forward(p):
    return soft_silhouette.soft_silhouette(cam.transform_points_screen(p),
                                           faces, soft_settings)

  @tf.function
  def soft_forward_backward(p):
    with tf.GradientTape() as tape:
      tape.watch(p)
      sil = soft_silhouette.soft_silhouette(cam.transform_points_screen(p),
                                            faces, soft_settings)
      loss = tf.reduce_sum(losses.silhouette_l2(sil, target))
    return loss, tape.gradient(loss, p)

  @tf.function
  def hard(p):
    frags = rasterizer.rasterize(cam.transform_points_screen(p), faces,
                                 hard_settings)
    return frags.face_ids, frags.depth

  def run(fn):
    return lambda: tf.nest.map_structure(lambda t: t.numpy(), fn(points))

  def cpu_ms(fn, runs):
    """Median CPU time (all threads) per call: steadier than wall time when
    other work shares the cores."""
    fn()
    times = []
    for _ in range(runs):
      before = resource.getrusage(resource.RUSAGE_SELF)
      fn()
      after = resource.getrusage(resource.RUSAGE_SELF)
      times.append(1e3 * (after.ru_utime - before.ru_utime +
                          after.ru_stime - before.ru_stime))
    return float(np.median(times))

  screen = cam.transform_points_screen(points)
  result = {
      "size": size, "mesh": name, "faces": int(faces.shape[0]),
      "pairs": int(soft_silhouette.count_pairs(screen, faces,
                                               soft_settings)),
      "entries": int(soft_silhouette.count_spans(screen, faces,
                                                 soft_settings)) *
                 soft_settings.span_length,
      "soft_fwd_ms": timing.median_ms(run(soft_forward), _RUNS.value),
      "soft_fwd_bwd_ms": timing.median_ms(run(soft_forward_backward),
                                          _RUNS.value),
      "hard_ms": timing.median_ms(run(hard), _RUNS.value),
      "soft_fwd_bwd_cpu_ms": cpu_ms(run(soft_forward_backward), _RUNS.value),
      "grad_finite": bool(np.all(np.isfinite(
          soft_forward_backward(points)[1].numpy()))),
  }
  result["peak_rss_mb"] = timing.peak_rss_mb()
  result["rss_before_mb"] = rss_before
  if _PNG_DIR.value:
    _write_pngs(size, points, cam, faces, soft_forward(points).numpy(),
                hard_settings)
  return result


def _write_pngs(size, points, cam, faces, soft, hard_settings):
  """Shaded hard renders (normal map shading) over soft silhouettes."""
  import cv2  # pylint: disable=g-import-not-at-top
  os.makedirs(_PNG_DIR.value, exist_ok=True)
  frags = rasterizer.rasterize(cam.transform_points_screen(points), faces,
                               hard_settings)
  corners = tf.gather(points, faces, axis=1).numpy()
  normals = np.cross(corners[:, :, 1] - corners[:, :, 0],
                     corners[:, :, 2] - corners[:, :, 0])
  normals /= np.linalg.norm(normals, axis=-1, keepdims=True) + 1e-12
  light = np.array([0.3, -0.4, -1.0]) / np.linalg.norm([0.3, -0.4, -1.0])
  lambert = np.clip(normals @ light, 0.0, 1.0)
  ids = frags.face_ids.numpy()
  b = np.arange(ids.shape[0])[:, None, None]
  shade = np.where(ids >= 0, 60 + 195 * lambert[b, np.maximum(ids, 0)], 0)
  count = min(8, ids.shape[0])
  top = np.concatenate(list(shade[:count]), axis=1)
  bottom = np.concatenate(list(255 * soft[:count]), axis=1)
  sheet = np.concatenate([top, bottom], axis=0).astype(np.uint8)
  scale = max(1, 256 // size)
  sheet = cv2.resize(sheet, None, fx=scale, fy=scale,
                     interpolation=cv2.INTER_NEAREST)
  path = os.path.join(_PNG_DIR.value, f"render_{size}.png")
  cv2.imwrite(path + ".tmp.png", sheet)
  os.replace(path + ".tmp.png", path)
  logging.info("wrote %s", path)


def main(argv):
  del argv
  tf.get_logger().setLevel("ERROR")
  if _SINGLE.value:
    print(json.dumps(_measure(_SINGLE.value)))
    return
  rows, figures = [], {}
  for size in [int(s) for s in _SIZES.value]:
    args = [a for a in sys.argv[1:] if not a.startswith("--sizes")]
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.render", f"--single_size={size}"]
        + args, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    rows.append([r["size"], r["mesh"], r["faces"], r["pairs"], r["entries"],
                 r["soft_fwd_ms"], r["soft_fwd_bwd_ms"],
                 r["soft_fwd_bwd_cpu_ms"], r["hard_ms"],
                 r["peak_rss_mb"], r["rss_before_mb"], r["grad_finite"]])
    for key in ("soft_fwd_ms", "soft_fwd_bwd_ms", "soft_fwd_bwd_cpu_ms",
                "hard_ms", "peak_rss_mb"):
      figures[f"{key}_{size}"] = round(r[key], 1)
  print(f"render benchmark: B={_BATCH.value}, σ={_SIGMA.value} px², "
        f"back faces culled, jit={_JIT.value}, median of {_RUNS.value}; "
        f"{timing.machine()}")
  timing.print_table(
      ["size", "mesh", "faces", "pairs P", "entries", "soft fwd ms",
       "soft fwd+bwd ms", "(CPU ms)", "hard ms", "peak RSS MiB",
       "RSS before rendering", "grad finite"], rows)
  timing.print_json(figures)


if __name__ == "__main__":
  app.run(main)
