r"""Builds a pose bank from CMU motion capture (see `synth/mocap_bank.py`).

    python -m synth.build_pose_bank --mocap_dir=../shared/data/mocap \
        --output=synth/data/cmu_pose_bank.npz

Reads every BVH (`cmu_iclone_20fps/<subject>/`) and expmap CSV
(`cmu_expmap_30fps/*/<action>/`) clip, deduplicates frames by pose distance
within each activity, keeps at most `--per_activity` per activity, retargets
them to SMPL θ on the body model and writes an AMASS-style `.npz` (z-up root)
that `synth.generate --pose_bank=...` and `priors.train --pose_bank=...`
read. Put CMU's acknowledgement beside the file (synth/data/README.md).
"""

from absl import app
from absl import flags
from absl import logging
import numpy as np

from synth import generation
from synth import mocap_bank
from synth import retarget

_MOCAP_DIR = flags.DEFINE_string("mocap_dir", None, "Mocap folder.",
                                 required=True)
_OUTPUT = flags.DEFINE_string("output", None, "Output .npz.", required=True)
_BODY_MODEL = flags.DEFINE_string(
    "body_model", "", "'' = bundled model, 'toy' = test body, or a path.")
_MIN_DISTANCE = flags.DEFINE_float(
    "min_distance", mocap_bank.BankConfig.min_distance,
    "RMS unit-direction difference below which frames are duplicates.")
_PER_ACTIVITY = flags.DEFINE_integer(
    "per_activity", mocap_bank.BankConfig.per_activity,
    "Most poses kept per activity (0 = all).")
_STEPS = flags.DEFINE_integer("fit_steps", retarget.FitConfig.steps,
                              "Adam steps of the retargeting fit.")


def main(argv):
  del argv
  assets = generation.load_body(_BODY_MODEL.value)
  config = mocap_bank.BankConfig(
      min_distance=_MIN_DISTANCE.value, per_activity=_PER_ACTIVITY.value,
      fit=retarget.FitConfig(steps=_STEPS.value))
  clips = mocap_bank.find_clips(_MOCAP_DIR.value)
  bank = mocap_bank.build_bank(clips, assets, config)
  mocap_bank.save_bank(_OUTPUT.value, bank)
  counts = np.bincount(bank.activity, minlength=len(bank.activities))
  for name, count in zip(bank.activities, counts):
    logging.info("%-20s %5d poses", name, count)
  print(f"{_OUTPUT.value}: {len(bank.theta)} poses from {len(clips)} clips")


if __name__ == "__main__":
  app.run(main)
