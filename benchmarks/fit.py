r"""The test-time fit (`pipeline.fit`): accuracy before / after, and speed.

    nice -n 19 python -m benchmarks.fit [--num_examples=64] [--steps=...]

A held-out synthetic set built as `priors.evaluate` builds it (the same seed,
`priors.data.generate_arrays`, keypoints corrupted with the detector-like
`synth.corruption.CorruptionConfig()` by `priors.evaluation.predict`, the
sample's 64² silhouette as the observed one), the shipped priors (flip test)
as the start, then `pipeline.fit` in batches of `--batch_size`. Per
configuration: the 2D keypoint error (pixels of the 256² crop, mean over
in-frame keypoints, the model's keypoints under the predicted camera vs the
true ones), PA-MPJPE, PA-MPJPE14, PVE, PCK2D and IoU (`priors.evaluation.
compute_metrics`), and seconds per image (median over batches after the
first, which traces and compiles). The last line is one JSON object.
"""

import dataclasses
import logging
import statistics
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from benchmarks import timing
from body import keypoints as keypoints_lib
from body import lbs
from body import rotation
from pipeline import fit as fit_lib
from priors import data
from priors import evaluation
from priors import pose_prior as pose_prior_lib
from priors import pretrained
from priors import training
from synth import corruption

flags.DEFINE_integer("num_examples", 64, "Held-out examples.")
flags.DEFINE_integer("seed", 987654, "Seed of the held-out set "
                     "(priors.evaluate's).")
flags.DEFINE_integer("batch_size", 16, "Fit batch size.")
flags.DEFINE_integer("steps", -1, "Fit steps (-1: FitConfig's default).")
flags.DEFINE_list("config", [], "FitConfig overrides for every variant, "
                  "e.g. silhouette_blur=0.1,steps=20.")
flags.DEFINE_list("variants", ["default", "keypoints_only"],
                  "Configurations: default, keypoints_only, "
                  "keypoints_only_xla, "
                  "keypoints_only_anchorW (anchor weight W).")

CROP = 256


def keypoint_error_px(assets, arrays, pred: evaluation.Predictions,
                      keypoint_set: str) -> float:
  """Mean pixel distance of the model's keypoints (predicted camera) to the
  true ones, over in-frame keypoints."""
  reg = keypoints_lib.regressor(assets, keypoints_lib.get(keypoint_set))
  errors = []
  for start in range(0, len(pred.rotmats), 64):
    sl = slice(start, start + 64)
    body = lbs.forward(assets, pred.betas[sl], pred.rotmats[sl])
    kp3d = np.einsum("kv,bvc->bkc", reg, body.vertices.numpy())
    kp = pose_prior_lib.project_weak_perspective(kp3d, pred.camera[sl])
    half = 0.5 * CROP
    dist = np.linalg.norm((kp.numpy() - arrays["keypoints"][sl]) * half, axis=-1)
    errors.append(dist[arrays["visibility"][sl] > 0])
  return float(np.mean(np.concatenate(errors)))


def overrides(items):
  """`key=value` strings → FitConfig fields, typed like their defaults."""
  defaults = fit_lib.FitConfig()
  out = {}
  for item in items:
    key, _, value = item.partition("=")
    if not hasattr(defaults, key):
      raise ValueError(f"--config: FitConfig has no field {key!r}.")
    kind = type(getattr(defaults, key))
    out[key] = value.lower() in ("1", "true") if kind is bool else kind(value)
  return out


def variant_config(name: str, keypoint_set: str, steps: int, extra=None):
  base = fit_lib.FitConfig(keypoint_set=keypoint_set, crop_size=CROP,
                           **(extra or {}))
  if steps >= 0:
    base = dataclasses.replace(base, steps=steps)
  if name == "default":
    return base
  if name == "keypoints_only":
    return dataclasses.replace(base, silhouette_weight=0.0)
  if name == "keypoints_only_xla":
    return dataclasses.replace(base, silhouette_weight=0.0, jit_compile=True)
  if name.startswith("keypoints_only_anchor"):     # e.g. ..._anchor1.0
    return dataclasses.replace(
        base, silhouette_weight=0.0,
        anchor_weight=float(name[len("keypoints_only_anchor"):]))
  raise ValueError(f"unknown variant {name!r}; use default, keypoints_only, "
                   f"keypoints_only_xla or keypoints_only_anchorW.")


def run_fit(fitter, arrays, start: evaluation.Predictions, batch_size: int):
  """Fits every batch; returns (Predictions, seconds per image per batch)."""
  theta = rotation.matrix_to_axis_angle(start.rotmats).numpy().reshape(-1, 72)
  parts, seconds = [], []
  half = 0.5 * CROP
  for begin in range(0, len(theta), batch_size):
    sl = slice(begin, begin + batch_size)
    prior = fit_lib.FitResult(
        theta=theta[sl], rotmats=None, betas=start.betas[sl],
        camera=start.camera[sl], vertices=None, joints=None, losses=None,
        terms=None)
    keypoints_px = start.keypoints[sl] * half + (half - 0.5)
    use_silhouette = fitter.config.silhouette_weight > 0
    t0 = time.perf_counter()
    result = fitter(prior, keypoints_px, start.confidence[sl],
                    arrays["silhouette"][sl].astype(np.float32)
                    if use_silhouette else None)
    result.vertices.numpy()
    seconds.append((time.perf_counter() - t0) / len(theta[sl]))
    parts.append(result)
  pred = evaluation.Predictions(
      rotmats=np.concatenate([r.rotmats.numpy() for r in parts]),
      camera=np.concatenate([r.camera.numpy() for r in parts]),
      betas=np.concatenate([r.betas.numpy() for r in parts]),
      keypoints=start.keypoints, confidence=start.confidence)
  losses = np.concatenate([r.losses.numpy() for r in parts], axis=1)
  return pred, seconds, losses


def main(argv):
  del argv
  f = flags.FLAGS
  logging.getLogger().setLevel(logging.WARNING)
  keypoint_set = pretrained.keypoint_set()
  assets = training.load_body("")
  arrays = data.generate_arrays(assets, f.num_examples, f.seed, keypoint_set)
  start = evaluation.predict(
      arrays, pretrained.load_pose_prior(), pretrained.load_shape_prior(),
      corruption.CorruptionConfig(), keypoint_set=keypoint_set,
      flip_test=True)
  rows, figures = [], {}

  def add_row(name, pred, seconds):
    m = evaluation.compute_metrics(assets, arrays, pred, keypoint_set)
    kp = keypoint_error_px(assets, arrays, pred, keypoint_set)
    rows.append([name, kp, m["PA-MPJPE"], m["PA-MPJPE14"], m["PVE"],
                 100 * m["PCK2D"], 100 * m["IoU"], seconds])
    figures[name] = {"kp2d_px": round(kp, 2),
                     "pa_mpjpe_mm": round(m["PA-MPJPE"], 1),
                     "pve_mm": round(m["PVE"], 1),
                     "s_per_image": round(seconds, 3)}

  add_row("priors (no fit)", start, 0.0)
  for name in f.variants:
    config = variant_config(name, keypoint_set, f.steps,
                            overrides(f.config))
    fitter = fit_lib.Fitter(config, assets)
    pred, seconds, losses = run_fit(fitter, arrays, start, f.batch_size)
    steady = statistics.median(seconds[1:]) if len(seconds) > 1 else (
        seconds[0])
    add_row(f"fit {name} ({config.steps} steps)", pred, steady)
    figures[f"fit {name} ({config.steps} steps)"]["objective_ratio"] = round(
        float(np.median(losses[-1] / np.maximum(losses[0], 1e-12))), 3)
  print(f"{f.num_examples} held-out examples (seed {f.seed}), "
        f"FitConfig overrides {f.config or 'none'}, "
        f"{keypoint_set}, detector-like noise, batch {f.batch_size}; "
        f"{timing.machine()}")
  timing.print_table(["", "kp2D err (px)", "PA-MPJPE (mm)",
                      "PA-MPJPE14 (mm)", "PVE (mm)", "PCK2D (%)", "IoU (%)",
                      "s / image"], rows)
  timing.print_json(figures)


if __name__ == "__main__":
  tf.get_logger().setLevel("ERROR")
  app.run(main)
