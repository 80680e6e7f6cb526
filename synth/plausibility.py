"""A cheap self-intersection test on the skeleton: capsules around bones.

Each limb segment and the trunk is a capsule (a segment with a radius). A pose
is rejected when two capsules that are not neighbours in the body overlap by
more than `overlap` of their summed radii (touching, e.g. a hand resting on a
thigh or folded arms, is allowed). Limb capsules taper (thigh, shin, arm),
and the two hands are not tested against each other: clasped or clapping
hands, which a capsule cannot tell from interpenetrating ones, were most of
the false rejections measured on real motion capture
(`benchmarks/plausibility_mocap.py`). Distances are taken between a few points
sampled along each segment, which is exact enough at these radii and keeps
the test vectorised: ~20 µs per pose.

Forward kinematics here are NumPy on the rest skeleton of one shape (the
model's mean shape), which is what a *pose* prior should be judged on.
"""

import numpy as np

from synth import joint_limits as jl
from synth import rotation

# Capsules: (name, joint a, joint b, radius at a, radius at b (SMPL scale,
# m), t0, t1): the segment runs from a + t0 (b - a) to a + t1 (b - a) and its
# radius tapers linearly from one end to the other (a thigh is thinner at
# the knee than at the hip: a forearm resting on it must not count as
# interpenetration).
_CAPSULES = (
    ("trunk", jl.PELVIS, jl.NECK, 0.11, 0.11, 0.0, 1.0),
    ("head", jl.NECK, jl.HEAD, 0.09, 0.09, 0.3, 1.4),
    ("l_thigh", jl.L_HIP, jl.L_KNEE, 0.065, 0.05, 0.25, 1.0),
    ("r_thigh", jl.R_HIP, jl.R_KNEE, 0.065, 0.05, 0.25, 1.0),
    ("l_shin", jl.L_KNEE, jl.L_ANKLE, 0.05, 0.035, 0.0, 1.0),
    ("r_shin", jl.R_KNEE, jl.R_ANKLE, 0.05, 0.035, 0.0, 1.0),
    ("l_foot", jl.L_ANKLE, jl.L_FOOT, 0.04, 0.04, 0.0, 1.0),
    ("r_foot", jl.R_ANKLE, jl.R_FOOT, 0.04, 0.04, 0.0, 1.0),
    ("l_upper_arm", jl.L_SHOULDER, jl.L_ELBOW, 0.045, 0.04, 0.35, 1.0),
    ("r_upper_arm", jl.R_SHOULDER, jl.R_ELBOW, 0.045, 0.04, 0.35, 1.0),
    ("l_forearm", jl.L_ELBOW, jl.L_WRIST, 0.04, 0.03, 0.0, 1.0),
    ("r_forearm", jl.R_ELBOW, jl.R_WRIST, 0.04, 0.03, 0.0, 1.0),
    ("l_hand", jl.L_WRIST, jl.L_HAND, 0.035, 0.035, 0.0, 1.6),
    ("r_hand", jl.R_WRIST, jl.R_HAND, 0.035, 0.035, 0.0, 1.6),
)
_NAMES = [c[0] for c in _CAPSULES]
PAIRS = (
    ("l_thigh", "r_thigh"), ("l_shin", "r_shin"), ("l_thigh", "r_shin"),
    ("r_thigh", "l_shin"), ("l_foot", "r_foot"), ("l_foot", "r_shin"),
    ("r_foot", "l_shin"),
    ("l_forearm", "trunk"), ("r_forearm", "trunk"), ("l_hand", "trunk"),
    ("r_hand", "trunk"), ("l_upper_arm", "trunk"), ("r_upper_arm", "trunk"),
    ("l_forearm", "r_forearm"),
    ("l_forearm", "head"), ("r_forearm", "head"), ("l_hand", "head"),
    ("r_hand", "head"), ("l_upper_arm", "head"), ("r_upper_arm", "head"),
    ("l_forearm", "l_thigh"), ("r_forearm", "r_thigh"),
    ("l_forearm", "r_thigh"), ("r_forearm", "l_thigh"),
    ("l_shin", "trunk"), ("r_shin", "trunk"), ("l_foot", "trunk"),
    ("r_foot", "trunk"), ("l_thigh", "head"), ("r_thigh", "head"),
    ("l_shin", "head"), ("r_shin", "head"),
)
_SAMPLES = np.linspace(0.0, 1.0, 6)
# Rest height from ankle to head joint of SMPL's neutral template, metres.
_SMPL_ANKLE_TO_HEAD = 1.47


def forward_kinematics(theta: np.ndarray, rest_joints: np.ndarray,
                       parents: np.ndarray) -> np.ndarray:
  """Posed joints `[N, J, 3]` of θ `[N, 3J]` on a rest skeleton `[J, 3]`
  (root at the origin)."""
  n = theta.shape[0]
  num_j = len(parents)
  rot = rotation.axis_angle_to_matrix(theta.reshape(n, num_j, 3))
  world_r = np.empty((n, num_j, 3, 3))
  world_t = np.empty((n, num_j, 3))
  world_r[:, 0] = rot[:, 0]
  world_t[:, 0] = 0.0
  for j in range(1, num_j):
    p = parents[j]
    world_r[:, j] = world_r[:, p] @ rot[:, j]
    world_t[:, j] = world_t[:, p] + np.einsum(
        "nab,b->na", world_r[:, p], rest_joints[j] - rest_joints[p])
  return world_t


def capsule_overlap(joints: np.ndarray, rest_joints: np.ndarray
                    ) -> np.ndarray:
  """`[N, P]` overlap of each checked capsule pair, as a fraction of the
  summed radii (0 = touching or apart, 1 = axes crossing)."""
  scale = (rest_joints[jl.HEAD, 1] - rest_joints[jl.L_ANKLE, 1]) / (
      _SMPL_ANKLE_TO_HEAD)
  pts = []
  for _, a, b, _, _, t0, t1 in _CAPSULES:
    t = t0 + (t1 - t0) * _SAMPLES                        # [S]
    pa, pb = joints[:, a], joints[:, b]
    pts.append(pa[:, None] + t[None, :, None] * (pb - pa)[:, None])
  pts = np.stack(pts, axis=1)                            # [N, C, S, 3]
  radii = np.array([r0 + (r1 - r0) * _SAMPLES
                    for _, _, _, r0, r1, _, _ in _CAPSULES]) * scale  # [C, S]
  i = np.array([_NAMES.index(p) for p, _ in PAIRS])
  k = np.array([_NAMES.index(q) for _, q in PAIRS])
  diff = pts[:, i, :, None, :] - pts[:, k, None, :, :]   # [N, P, S, S, 3]
  dist = np.sqrt(np.sum(diff * diff, axis=-1))
  summed = radii[i][:, :, None] + radii[k][:, None, :]   # [P, S, S]
  overlap = np.max(1.0 - dist / summed, axis=(-1, -2))
  return np.clip(overlap, 0.0, None)


def is_plausible(theta: np.ndarray, rest_joints: np.ndarray,
                 parents: np.ndarray, overlap: float = 0.5) -> np.ndarray:
  """`[N]` True where no pair of capsules overlaps by more than `overlap`.

  Args:
    theta: `[N, 72]` poses (the root does not matter).
    rest_joints: `[24, 3]` rest joints of the skeleton to pose.
    parents: `[24]` parent indices.
    overlap: allowed overlap as a fraction of the summed radii.
  """
  theta = np.asarray(theta, dtype=np.float64)
  if theta.ndim != 2 or theta.shape[1] != 3 * len(parents):
    raise ValueError(
        f"theta must have shape [N, {3 * len(parents)}], got {theta.shape}.")
  joints = forward_kinematics(theta, np.asarray(rest_joints), parents)
  return np.all(capsule_overlap(joints, rest_joints) <= overlap, axis=1)
