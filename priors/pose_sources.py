"""Where the priors' training and evaluation poses come from.

    source = PoseSourceConfig(mode="wide", pose_bank="synth/data/...npz",
                              bank_fraction=0.5, leave_out=("lying",))
    sample_config(source, "COCO_17")   # synth.sample.SampleConfig
    load_bank(source)                  # synth.pose_bank.PoseBank or None

Modes: "structured" (the ten families of `synth/pose_prior.py`, as before),
"wide" (those plus `synth/pose_families.py`). With a pose bank (e.g. the
CMU bank of `python -m synth.build_pose_bank`), `bank_fraction` of the poses
come from it. `family_weights` re-weights (or adds) families of the mode,
e.g. (("uniform", 0.15),). `part_mix` recombines the legs, arms and spine of
that fraction of the poses with other poses of the draw
(`synth/part_mix.py`). `leave_out` names pose families and/or bank activities that
training must never see: the leave-out protocol trains without them and
`python -m priors.evaluate --per_source --leave_out=...` evaluates on them
(`sources`, `source_config`).
"""

import dataclasses
from typing import List, Optional, Tuple

from synth import pose_bank as pose_bank_lib
from synth import pose_prior
from synth import sample as sample_lib

MODES = ("structured", "wide")


@dataclasses.dataclass(frozen=True)
class PoseSourceConfig:
  """Pose sources of a data set (see the module docstring)."""
  mode: str = "structured"
  pose_bank: str = ""
  bank_fraction: float = 0.5
  leave_out: Tuple[str, ...] = ()
  family_weights: Tuple[Tuple[str, float], ...] = ()
  part_mix: float = 0.0

  def __post_init__(self):
    object.__setattr__(self, "leave_out", tuple(self.leave_out))
    object.__setattr__(self, "family_weights", tuple(
        (str(f), float(w)) for f, w in self.family_weights))
    # Raises on unknown families or negative weights.
    pose_prior.with_family_weights(pose_prior.PosePriorConfig(),
                                   self.family_weights)
    if self.mode not in MODES:
      raise ValueError(f"pose mode must be one of {MODES}, got "
                       f"{self.mode!r}.")
    if not 0.0 <= self.bank_fraction <= 1.0:
      raise ValueError(f"bank_fraction must be in [0, 1], got "
                       f"{self.bank_fraction}.")
    if not 0.0 <= self.part_mix <= 1.0:
      raise ValueError(f"part_mix must be in [0, 1], got {self.part_mix}.")


def family_config(source: PoseSourceConfig) -> pose_prior.PosePriorConfig:
  """The structured prior's settings: the mode's family weights with
  `family_weights` applied, left-out families removed."""
  config = (pose_prior.wide_config() if source.mode == "wide"
            else pose_prior.PosePriorConfig())
  if source.family_weights:
    config = pose_prior.with_family_weights(config, source.family_weights)
  families = [n for n in source.leave_out if n in pose_prior.FAMILIES]
  return pose_prior.without_families(config, families) if families else config


def load_bank(source: PoseSourceConfig
              ) -> Optional[pose_bank_lib.PoseBank]:
  """The pose bank without left-out activities (None without a bank)."""
  if not source.pose_bank:
    return None
  bank = pose_bank_lib.load(source.pose_bank)
  left = [n for n in source.leave_out if n not in pose_prior.FAMILIES]
  unknown = sorted(set(left) - set(bank.activities))
  if unknown:
    raise ValueError(
        f"leave_out names {unknown}, neither pose families "
        f"{pose_prior.FAMILIES} nor activities {bank.activities} of "
        f"{source.pose_bank}.")
  return bank.without_activities(left) if left else bank


def sample_config(source: PoseSourceConfig, keypoint_set: str
                  ) -> sample_lib.SampleConfig:
  """The synth settings drawing poses from `source`."""
  return sample_lib.SampleConfig(
      pose=family_config(source), keypoint_set=keypoint_set,
      bank_fraction=source.bank_fraction if source.pose_bank else 1.0,
      part_mix=source.part_mix)


def sources(source: PoseSourceConfig) -> List[str]:
  """Every source an evaluation can draw alone: the mode's families, then
  the bank's activities ("bank:<activity>")."""
  config = (pose_prior.wide_config() if source.mode == "wide"
            else pose_prior.PosePriorConfig())
  names = [f for f, w in config.family_weights if w > 0]
  if source.pose_bank:
    names += [f"bank:{a}" for a in pose_bank_lib.load(
        source.pose_bank).activities]
  return names


def source_config(name: str, keypoint_set: str, pose_bank: str = ""
                  ) -> Tuple[sample_lib.SampleConfig,
                             Optional[pose_bank_lib.PoseBank]]:
  """Synth settings (and bank) drawing from one source of `sources`: a
  family of the structured prior or "bank:<activity>"."""
  if name.startswith("bank:"):
    if not pose_bank:
      raise ValueError(f"source {name!r} needs a pose bank.")
    bank = pose_bank_lib.load(pose_bank)
    activity = name[len("bank:"):]
    if activity not in bank.activities:
      raise ValueError(f"{pose_bank} has no activity {activity!r}; it has "
                       f"{bank.activities}.")
    others = [a for a in bank.activities if a != activity]
    return (sample_lib.SampleConfig(keypoint_set=keypoint_set),
            bank.without_activities(others))
  pose = pose_prior.only_family(pose_prior.PosePriorConfig(), name)
  return sample_lib.SampleConfig(pose=pose, keypoint_set=keypoint_set), None
