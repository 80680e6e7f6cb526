"""The shipped weights of both priors (the defaults of the demo and tests).

`priors/weights/` holds, per prior, the Keras weights file and the JSON
`TrainConfig` of the run that produced them (so the architecture is rebuilt
exactly): `pose_prior.weights.h5` + `pose_prior.config.json`, and the same for
`shape_prior`. `priors/weights/README.md` records the training commands,
time and evaluation.

The default PosePrior reads COCO_21 keypoints (COCO_17 plus a point on each
foot and hand); `POSE_WEIGHTS_COCO_17` is one for detectors that give COCO's
17 only (the default one, fed zeros for the four extra points, is worse).
`POSE_WEIGHTS_HUMAN2D` is the PosePrior the image → mesh pipeline uses: the
default one fine-tuned on keypoints corrupted like the shipped Human2D's
(`synth.corruption.HUMAN2D_LIKE`: its mirror and gross errors), better on
Human2D's keypoints and worse on a detector's (priors/weights/README.md).
"""

import os
from typing import Optional

from priors import config as config_lib
from priors import pose_prior
from priors import shape_prior

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "weights")
POSE_WEIGHTS = os.path.join(WEIGHTS_DIR, "pose_prior.weights.h5")
POSE_WEIGHTS_COCO_17 = os.path.join(WEIGHTS_DIR,
                                    "pose_prior_coco17.weights.h5")
POSE_WEIGHTS_HUMAN2D = os.path.join(WEIGHTS_DIR,
                                    "pose_prior_human2d.weights.h5")
SHAPE_WEIGHTS = os.path.join(WEIGHTS_DIR, "shape_prior.weights.h5")


# `x/pose_prior.weights.h5` → its recorded `TrainConfig`'s path.
config_path = config_lib.config_path


def _load(weights_path: str) -> config_lib.TrainConfig:
  if not os.path.isfile(weights_path):
    raise FileNotFoundError(
        f"no prior weights at {weights_path}; train them with "
        f"`python -m priors.train` or reinstall the package.")
  path = config_path(weights_path)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"{weights_path} has no config beside it "
                            f"(looked for {path}).")
  return config_lib.load_json(path)


def load_pose_prior(weights_path: Optional[str] = None
                    ) -> pose_prior.PosePrior:
  """The PosePrior at `weights_path` (default: the shipped one)."""
  weights_path = weights_path or POSE_WEIGHTS
  model = pose_prior.PosePrior(_load(weights_path).pose_model)
  model.load_weights(weights_path)
  return model


def load_shape_prior(weights_path: Optional[str] = None
                     ) -> shape_prior.ShapePrior:
  """The ShapePrior at `weights_path` (default: the shipped one)."""
  weights_path = weights_path or SHAPE_WEIGHTS
  model = shape_prior.ShapePrior(_load(weights_path).shape_model)
  model.load_weights(weights_path)
  return model


def training_config(weights_path: str) -> config_lib.TrainConfig:
  """The run configuration recorded beside `weights_path`."""
  return _load(weights_path)


def keypoint_set(pose_weights: Optional[str] = None) -> str:
  """The keypoint set the PosePrior at `pose_weights` (default: the shipped
  one) was trained on."""
  return _load(pose_weights or POSE_WEIGHTS).data.keypoint_set
