"""The flags naming the composed model's weights, shared by binaries only.

    from pipeline import weight_flags
    net = model.BodyFromImage.load(**weight_flags.load_kwargs())

`--human2d_weights`, `--human2d_config`, `--pose_weights`,
`--shape_weights`; empty (the default) means the shipped ones. Defined here
once (absl defines a flag once per process), with one help text for every
binary that loads the composed model: predict, export, evaluate, finetune.
Libraries take the paths as arguments (`BodyFromImage.load`,
`FinetuneConfig`), never these flags.
"""

from typing import Dict, Optional

from absl import flags

HUMAN2D_WEIGHTS = flags.DEFINE_string(
    "human2d_weights", "", "Human2D weights (.weights.h5); empty: the "
    "shipped ones.")
HUMAN2D_CONFIG = flags.DEFINE_string(
    "human2d_config", "", "Its config JSON; empty: beside the weights.")
POSE_WEIGHTS = flags.DEFINE_string(
    "pose_weights", "", "PosePrior weights; empty: the shipped one matched "
    "to Human2D (priors/weights/pose_prior_human2d.weights.h5).")
SHAPE_WEIGHTS = flags.DEFINE_string(
    "shape_weights", "", "ShapePrior weights; empty: the shipped ones.")

_FLAGS = {"human2d_weights": HUMAN2D_WEIGHTS,
          "human2d_config": HUMAN2D_CONFIG,
          "pose_weights": POSE_WEIGHTS,
          "shape_weights": SHAPE_WEIGHTS}


def paths() -> Dict[str, str]:
  """The four flags' values by name ('' where not given), as
  `pipeline.finetuning.FinetuneConfig` takes them."""
  return {name: flag.value for name, flag in _FLAGS.items()}


def load_kwargs() -> Dict[str, Optional[str]]:
  """The keyword arguments of `BodyFromImage.load` the flags give (None
  where not given: the shipped weights)."""
  return {name: value or None for name, value in paths().items()}
