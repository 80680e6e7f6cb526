r"""Prints the metrics table of the priors on a held-out synthetic set.

    python -m priors.evaluate --num_examples=2000 --seed=987

Defaults: the shipped weights (`priors/weights/`), the bundled body model, a
set drawn with a seed the training data never uses, evaluated with clean,
detector-like (`synth.corruption.CorruptionConfig()`, PCKh-calibrated) and
heavy (`corruption.HEAVY`) keypoints; each row also gives its inputs' PCKh.
Writes the table (Markdown) and a JSON line.
"""

import json
import logging as std_logging

from absl import app
from absl import flags

from priors import data
from priors import evaluation
from priors import pretrained
from priors import training

flags.DEFINE_string("pose_weights", "", "PosePrior weights ('' = shipped).")
flags.DEFINE_string("shape_weights", "", "ShapePrior weights ('' = shipped).")
flags.DEFINE_string("body_model", "", "'' = bundled, 'toy', or a file.")
flags.DEFINE_integer("num_examples", 2000, "Held-out examples.")
flags.DEFINE_integer("seed", 987654, "Seed of the held-out set.")
flags.DEFINE_string("data", "", "An .npz of arrays instead of generating.")
flags.DEFINE_bool("flip_test", True,
                  "Average the PosePrior over the keypoints and their mirror "
                  "image.")


def main(argv):
  del argv
  f = flags.FLAGS
  std_logging.getLogger().setLevel(std_logging.WARNING)
  pose_path = f.pose_weights or pretrained.POSE_WEIGHTS
  keypoint_set = pretrained.keypoint_set(pose_path)
  pose_model = pretrained.load_pose_prior(pose_path)
  shape_model = pretrained.load_shape_prior(f.shape_weights or None)
  assets = training.load_body(f.body_model)
  arrays = (data.load_arrays(f.data) if f.data else data.generate_arrays(
      assets, f.num_examples, f.seed, keypoint_set))
  rows = evaluation.evaluate(assets, arrays, pose_model, shape_model,
                             evaluation.NOISE_SETTINGS, keypoint_set,
                             flip_test=f.flip_test)
  print(f"{len(arrays['theta'])} held-out examples (seed {f.seed}), "
        f"body model {assets.name}, flip test "
        f"{'on' if f.flip_test else 'off'}")
  print(evaluation.format_table(rows))
  print(json.dumps({r["inputs"]: {k: round(v, 4) for k, v in r.items()
                                  if k != "inputs"} for r in rows}))


if __name__ == "__main__":
  app.run(main)
