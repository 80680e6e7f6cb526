r"""Where the PosePrior's error under detector-like noise comes from.

    python -m benchmarks.priors_noise [--pose_weights=...] [--num_examples=2000]

Evaluates one PosePrior (default: the shipped one) on one held-out synthetic
set (the seed of `priors.evaluate`) with ground-truth β, under clean keypoints,
each part of `synth.corruption.CorruptionConfig()` alone (random confidences,
missed keypoints, wrong-limb outliers, jitter), the whole default, the default
with 1.5× and 2× its jitter, `corruption.HEAVY` and the default plus 3 %
left/right swaps. Prints the inputs' PCKh@0.5 and PCKh@0.1 (%, how a 2D
detector would be scored), PA-MPJPE, PA-MPJPE14, MPJPE and PVE (mm) per
setting and ends with one JSON line of PA-MPJPE per setting.
"""

import dataclasses
import json
import logging

from absl import app
from absl import flags

from priors import data
from priors import evaluation
from priors import pretrained
from priors import training
from synth import corruption

flags.DEFINE_string("pose_weights", "", "PosePrior weights ('' = shipped).")
flags.DEFINE_string("body_model", "", "'' = bundled, 'toy', or a file.")
flags.DEFINE_integer("num_examples", 2000, "Held-out examples.")
flags.DEFINE_integer("seed", 987654, "Seed of the held-out set.")
flags.DEFINE_bool("flip_test", True, "Use the flip test.")


def settings():
  """The noise settings, in the order of the table."""
  full = corruption.CorruptionConfig()
  clean = corruption.CLEAN
  out = {
      "clean": clean,
      "confidences only": dataclasses.replace(
          clean, visible_confidence=full.visible_confidence,
          occluded_confidence=full.occluded_confidence),
      "missed keypoints only": dataclasses.replace(
          clean, drop_rate=full.drop_rate,
          occluded_drop_rate=full.occluded_drop_rate),
      "wrong-limb outliers only": dataclasses.replace(
          clean, outlier_rate=full.outlier_rate,
          outlier_sigma=full.outlier_sigma),
      "jitter only": dataclasses.replace(
          clean, sigma=full.sigma, occluded_scale=full.occluded_scale),
  }
  out["default"] = full
  for factor in (1.5, 2):
    out[f"default, jitter × {factor}"] = dataclasses.replace(
        full, sigma=factor * full.sigma)
  out["heavy (the earlier default)"] = corruption.HEAVY
  out["default + 3 % left/right swaps"] = dataclasses.replace(
      full, swap_rate=0.03)
  return out


def main(argv):
  del argv
  f = flags.FLAGS
  logging.getLogger().setLevel(logging.WARNING)
  pose_path = f.pose_weights or pretrained.POSE_WEIGHTS
  keypoint_set = pretrained.keypoint_set(pose_path)
  model = pretrained.load_pose_prior(pose_path)
  assets = training.load_body(f.body_model)
  arrays = data.generate_arrays(assets, f.num_examples, f.seed, keypoint_set)
  rows = evaluation.evaluate(assets, arrays, model, None, settings(),
                             keypoint_set, flip_test=f.flip_test)
  print(f"PosePrior {pose_path}, {f.num_examples} held-out examples (seed "
        f"{f.seed}), ground-truth β, flip test "
        f"{'on' if f.flip_test else 'off'}")
  print(evaluation.format_table(
      rows, ("input PCKh@0.5", "input PCKh@0.1", "PA-MPJPE", "PA-MPJPE14",
             "MPJPE", "PVE"), label="inputs"))
  print(json.dumps({r["inputs"]: round(r["PA-MPJPE"], 1) for r in rows}))


if __name__ == "__main__":
  app.run(main)
