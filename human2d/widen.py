r"""Widens trained Human2D weights into a wider preset that starts out
computing the same heatmaps and silhouettes (`human2d.widening`).

    python -m human2d.widen --weights=human2d/weights/human2d_small.weights.h5 \
        --preset=medium --out=/tmp/wide/human2d.weights.h5
    python -m human2d.train --preset=medium \
        --init_weights=/tmp/wide/human2d.weights.h5 ...

Writes the weights and their `*.config.json` beside them, then checks on a
random batch that the two networks agree and prints the largest difference.
"""

import dataclasses
import json
import os

from absl import app
from absl import flags
import numpy as np

from human2d import config as config_lib
from human2d import hourglass
from human2d import inference
from human2d import widening

flags.DEFINE_string("weights", "", "Narrow weights ('' = the shipped ones); "
                    "their *.config.json is read from beside them.")
flags.DEFINE_enum("preset", "medium", sorted(config_lib.PRESETS),
                  "Wide preset (same stacks, depth and keypoints).")
flags.DEFINE_string("out", "", "Wide weights to write (*.weights.h5).")
flags.DEFINE_integer("seed", 0, "Seed of the new channels' initialisation.")

FLAGS = flags.FLAGS


def main(argv):
  del argv
  f = FLAGS
  if not f.out.endswith(".weights.h5"):
    raise app.UsageError("--out must end in .weights.h5.")
  narrow = inference.Human2D.load(f.weights or None)
  wide_cfg = dataclasses.replace(config_lib.PRESETS[f.preset],
                                 keypoint_set=narrow.config.keypoint_set)
  wide = hourglass.build(wide_cfg)
  widening.widen_into(narrow.model, wide, seed=f.seed)
  os.makedirs(os.path.dirname(os.path.abspath(f.out)), exist_ok=True)
  wide.save_weights(f.out)
  with open(f.out[:-len(".weights.h5")] + ".config.json", "w") as fh:
    json.dump(dataclasses.asdict(wide_cfg), fh, indent=2, sort_keys=True)
  s = wide_cfg.input_size
  images = np.random.default_rng(f.seed).uniform(0, 255, (2, s, s, 3))
  a, b = narrow.model(images), wide(images)
  diff = max(float(np.abs(np.asarray(x) - np.asarray(y)).max())
             for x, y in zip(a, b))
  print(f"{narrow.model.count_params():,} → {wide.count_params():,} "
        f"parameters; wrote {f.out}; largest output difference on a random "
        f"batch: {diff:.2e}")


if __name__ == "__main__":
  app.run(main)
