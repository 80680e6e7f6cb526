r"""False rejections of the plausibility test (`synth/plausibility.py`) on real
motion capture: every pose of a pose bank (by default the shipped CMU bank,
`synth/data/cmu_pose_bank.npz`) is a real human pose, so a rejection is a
false one unless retargeting made the limbs interpenetrate.

    python -m benchmarks.plausibility_mocap [--pose_bank=...]

Prints the rejection rate per activity and the capsule pairs responsible;
the final line is one JSON object.
"""

import json
import os

from absl import app
from absl import flags
import numpy as np

from body import bundled
from synth import plausibility
from synth import pose_bank

_BANK = flags.DEFINE_string(
    "pose_bank", os.path.join(os.path.dirname(__file__), "..", "synth",
                              "data", "cmu_pose_bank.npz"), "Pose bank.")
_OVERLAP = flags.DEFINE_float("overlap", 0.5, "Allowed capsule overlap.")


def main(argv):
  del argv
  assets = bundled.load_model()
  rest = assets.j_regressor @ assets.v_template
  rest = rest - rest[0]
  bank = pose_bank.load(_BANK.value)
  joints = plausibility.forward_kinematics(bank.theta, rest, assets.parents)
  overlap = plausibility.capsule_overlap(joints, rest)
  rejected = np.any(overlap > _OVERLAP.value, axis=1)
  print(f"{len(bank)} poses of {bank.source}: {100 * rejected.mean():.2f} % "
        f"rejected at overlap > {_OVERLAP.value}")
  print("| activity | poses | rejected (%) |\n|---|---|---|")
  per_activity = {}
  if bank.activity is not None:
    for k, name in enumerate(bank.activities):
      rows = bank.activity == k
      per_activity[name] = float(100 * rejected[rows].mean())
      print(f"| {name} | {rows.sum()} | {per_activity[name]:.1f} |")
  pairs = {" / ".join(p): float(100 * np.mean(overlap[:, i] > _OVERLAP.value))
           for i, p in enumerate(plausibility.PAIRS)}
  print("| capsule pair | rejects (%) |\n|---|---|")
  for name, rate in sorted(pairs.items(), key=lambda x: -x[1])[:6]:
    print(f"| {name} | {rate:.2f} |")
  print(json.dumps({"poses": len(bank), "rejected_percent":
                    round(float(100 * rejected.mean()), 2),
                    "per_activity": {k: round(v, 1)
                                     for k, v in per_activity.items()}}))


if __name__ == "__main__":
  app.run(main)
