"""Recombining body parts of drawn poses into new whole-body poses.

A pose regressor trained on whole poses learns which limb configurations go
together: a leg raised high comes with a seated pelvis, an arm overhead with
the other one too. Real photographs break these pairings (a kick is one
standing leg and one raised leg). Part mixing takes a drawn pose and gives
each of its five parts (left leg, right leg, left arm, right arm, spine with
head) with probability `part_probability` the local joint rotations of the
same part of another pose of the batch, mirrored from the other side half
the time, so single-limb configurations the sources contain meet in
combinations they do not:

    theta, mixed = mix_parts(rng, theta, fraction=0.3)

The root rotation stays the receiving pose's. The donors are poses of the
same draw, so a leave-out protocol stays disjoint: no part of a left-out
family or activity can enter. Mixed poses still pass through the
plausibility test (`synth/plausibility.py`) like every other draw.
"""

from typing import Tuple

import numpy as np

from synth import joint_limits as jl
from synth import rotation

# SMPL joint ids of each part; left/right parts list partners in one order.
PARTS = {
    "left_leg": (jl.L_HIP, jl.L_KNEE, jl.L_ANKLE, jl.L_FOOT),
    "right_leg": (jl.R_HIP, jl.R_KNEE, jl.R_ANKLE, jl.R_FOOT),
    "left_arm": (jl.L_COLLAR, jl.L_SHOULDER, jl.L_ELBOW, jl.L_WRIST,
                 jl.L_HAND),
    "right_arm": (jl.R_COLLAR, jl.R_SHOULDER, jl.R_ELBOW, jl.R_WRIST,
                  jl.R_HAND),
    "spine": jl.CENTRAL_JOINTS,
}
# The part on the other side, for donors read in mirror.
MIRROR_PART = {"left_leg": "right_leg", "right_leg": "left_leg",
               "left_arm": "right_arm", "right_arm": "left_arm",
               "spine": "spine"}


def mix_parts(rng: np.random.Generator, theta: np.ndarray, fraction: float,
              part_probability: float = 0.5,
              mirror_probability: float = 0.5
              ) -> Tuple[np.ndarray, np.ndarray]:
  """Recombines parts of a fraction of the poses (see the module docstring).

  Args:
    rng: the random generator (the result is a pure function of its state).
    theta: `[N, 72]` axis-angle poses; donors are drawn from these.
    fraction: chance that a pose is mixed.
    part_probability: chance that each part of a mixed pose is replaced; a
      mixed pose always gets at least one part from a donor.
    mirror_probability: chance that a donor part comes from the donor's other
      side, mirrored (a right leg becoming a left one).

  Returns:
    `([N, 72]` poses (a copy), `[N]` bool: which poses were mixed).
  """
  theta = np.asarray(theta, dtype=np.float64)
  if theta.ndim != 2 or theta.shape[1] != 3 * jl.NUM_JOINTS:
    raise ValueError(f"theta must be [N, 72], got {theta.shape}.")
  for name, value in (("fraction", fraction),
                      ("part_probability", part_probability),
                      ("mirror_probability", mirror_probability)):
    if not 0.0 <= value <= 1.0:
      raise ValueError(f"{name} must be in [0, 1], got {value}.")
  n = theta.shape[0]
  joints = theta.reshape(n, jl.NUM_JOINTS, 3)
  out = joints.copy()
  mixed = rng.uniform(size=n) < fraction
  if n < 2:
    return out.reshape(n, -1), np.zeros(n, bool)
  names = list(PARTS)
  take = rng.uniform(size=(n, len(names))) < part_probability
  # At least one part per mixed pose.
  forced = rng.integers(0, len(names), n)
  take[np.arange(n), forced] = True
  take &= mixed[:, None]
  donor = rng.integers(0, n - 1, (n, len(names)))
  donor += donor >= np.arange(n)[:, None]          # never the pose itself
  mirror = rng.uniform(size=(n, len(names))) < mirror_probability
  for k, name in enumerate(names):
    direct = take[:, k] & ~mirror[:, k]
    out[np.ix_(direct, PARTS[name])] = joints[donor[direct, k]][
        :, PARTS[name]]
    flipped = take[:, k] & mirror[:, k]
    source = joints[donor[flipped, k]][:, PARTS[MIRROR_PART[name]]]
    out[np.ix_(flipped, PARTS[name])] = rotation.mirror_axis_angle(source)
  return out.reshape(n, -1), mixed
