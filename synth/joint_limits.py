"""Anatomical joint limits of SMPL poses, and the controls they are written in.

A pose is built from named *controls* (anatomical angles, radians) and checked
by decomposing each joint rotation of θ back into those angles. Building lives
in `synth/pose_prior.py`; this module owns the limit table and the checks, so a
check never reuses the code that built the pose.

Joint parametrisations (left side; a right joint is checked after mirroring
its axis-angle `(x, y, z) -> (x, -y, -z)`, see SMPL_CONVENTIONS.md):

  * hinge: knee `R = Rx(k)`, k ≥ 0 is flexion (shin back); elbow
    `R = Ry(-e)`, e ≥ 0 is flexion (forearm forward from the T-pose).
  * hip: `R = Rx(-flex) · Rz(abd) · Ry(rot)` (intrinsic X-Z-Y Euler angles):
    flexion moves the thigh forward, abduction outwards, rot is the twist
    about the thigh.
  * shoulder: swing-twist about the rest arm direction +x. The swing takes +x
    to `d = (cos α, -sin α cos β, sin α sin β)`: α is the angle from the
    T-pose, β the direction of the swing (0 = down, π/2 = forward, π = up,
    -π/2 = back). `R = R_swing(α, β) · Rx(τ)` with τ the twist; α is bounded by
    a periodic, piecewise linear `α_max(β)`.
  * everything else (spine, neck, head, collars, ankles, feet, wrists, hands)
    rotates little and is boxed component-wise in axis-angle.
"""

import dataclasses
from typing import Dict, Tuple

import numpy as np

from synth import rotation

NUM_JOINTS = 24
# SMPL joint ids (SMPL_CONVENTIONS.md).
PELVIS, L_HIP, R_HIP, SPINE1, L_KNEE, R_KNEE, SPINE2 = 0, 1, 2, 3, 4, 5, 6
L_ANKLE, R_ANKLE, SPINE3, L_FOOT, R_FOOT, NECK = 7, 8, 9, 10, 11, 12
L_COLLAR, R_COLLAR, HEAD, L_SHOULDER, R_SHOULDER = 13, 14, 15, 16, 17
L_ELBOW, R_ELBOW, L_WRIST, R_WRIST, L_HAND, R_HAND = 18, 19, 20, 21, 22, 23

# (left, right) joint pairs; the rest are central.
JOINT_PAIRS = ((L_HIP, R_HIP), (L_KNEE, R_KNEE), (L_ANKLE, R_ANKLE),
               (L_FOOT, R_FOOT), (L_COLLAR, R_COLLAR),
               (L_SHOULDER, R_SHOULDER), (L_ELBOW, R_ELBOW),
               (L_WRIST, R_WRIST), (L_HAND, R_HAND))
RIGHT_JOINTS = tuple(r for _, r in JOINT_PAIRS)
CENTRAL_JOINTS = (SPINE1, SPINE2, SPINE3, NECK, HEAD)

# Ranges of the anatomical controls, radians, left side.
HIP_FLEX = (-0.5, 2.2)
HIP_ABD = (-0.35, 0.9)
HIP_ROT = (-0.6, 0.7)
KNEE = (0.0, 2.5)
ELBOW = (0.0, 2.6)
SHOULDER_TWIST = (-1.4, 1.4)
# α_max(β), degrees: β (swing direction) -> largest swing from the T-pose.
_ALPHA_MAX_TABLE = np.array([
    (-180, 120), (-135, 100), (-90, 60), (-45, 100), (0, 105), (45, 130),
    (90, 140), (135, 130), (180, 120)], dtype=np.float64)

# Component-wise axis-angle boxes (lo, hi) for the small-rotation joints.
BOXES: Dict[int, Tuple[Tuple[float, float, float],
                       Tuple[float, float, float]]] = {
    SPINE1: ((-0.2, -0.35, -0.25), (0.6, 0.35, 0.25)),
    SPINE2: ((-0.2, -0.35, -0.25), (0.6, 0.35, 0.25)),
    SPINE3: ((-0.2, -0.35, -0.25), (0.6, 0.35, 0.25)),
    NECK: ((-0.35, -0.65, -0.3), (0.45, 0.65, 0.3)),
    HEAD: ((-0.35, -0.65, -0.3), (0.45, 0.65, 0.3)),
    L_ANKLE: ((-0.5, -0.3, -0.3), (0.8, 0.3, 0.3)),
    L_FOOT: ((-0.5, -0.1, -0.1), (0.5, 0.1, 0.1)),
    # Collar: y = -protraction, z = elevation (arm up is +z on the left).
    L_COLLAR: ((-0.2, -0.4, -0.6), (0.2, 0.3, 0.5)),
    L_WRIST: ((-0.8, -0.6, -1.0), (0.8, 0.6, 1.0)),
    L_HAND: ((-0.3, -0.3, -0.3), (0.3, 0.3, 0.3)),
}


def alpha_max(beta) -> np.ndarray:
  """Largest shoulder swing α (radians) in swing direction β (radians)."""
  deg = np.degrees(np.asarray(beta, dtype=np.float64))
  return np.radians(np.interp(deg, _ALPHA_MAX_TABLE[:, 0],
                              _ALPHA_MAX_TABLE[:, 1], period=360.0))


def shoulder_swing_axis_angle(alpha, beta) -> np.ndarray:
  """The swing taking +x to `d(α, β)`, as axis-angle `[..., 3]`.

  The axis is `x̂ × d / |x̂ × d| = (0, -sin β, -cos β)` and the angle α.
  """
  alpha = np.asarray(alpha, dtype=np.float64)
  beta = np.asarray(beta, dtype=np.float64)
  return np.stack([0 * alpha, -alpha * np.sin(beta), -alpha * np.cos(beta)],
                  -1)


def decompose_hip(matrix: np.ndarray) -> np.ndarray:
  """Left hip `[..., 3, 3]` -> `[..., 3]` (flex, abd, rot), the inverse of
  `Rx(-flex) · Rz(abd) · Ry(rot)` for |abd| < π/2."""
  m = matrix
  a = np.arctan2(m[..., 2, 1], m[..., 1, 1])
  b = np.arcsin(np.clip(-m[..., 0, 1], -1.0, 1.0))
  c = np.arctan2(m[..., 0, 2], m[..., 0, 0])
  return np.stack([-a, b, c], -1)


def decompose_shoulder(matrix: np.ndarray) -> np.ndarray:
  """Left shoulder `[..., 3, 3]` -> `[..., 3]` (α, β, τ), swing-twist about +x."""
  d = matrix[..., :, 0]                                     # R · x̂
  alpha = np.arccos(np.clip(d[..., 0], -1.0, 1.0))
  beta = np.arctan2(d[..., 2], -d[..., 1])
  swing = rotation.axis_angle_to_matrix(shoulder_swing_axis_angle(alpha, beta))
  twist = np.swapaxes(swing, -1, -2) @ matrix               # rotation about x̂
  tau = np.arctan2(twist[..., 2, 1], twist[..., 1, 1])
  return np.stack([alpha, beta, tau], -1)


def _left_form(theta: np.ndarray) -> np.ndarray:
  """θ `[N, 24, 3]` with every right joint mirrored into its left form."""
  out = theta.copy()
  right = list(RIGHT_JOINTS)
  out[:, right] = rotation.mirror_axis_angle(theta[:, right])
  return out


@dataclasses.dataclass(frozen=True)
class LimitReport:
  """Which joints of which poses break a limit.

  Attributes:
    ok: `[N, 24]` bool, True where joint j of pose n is within its limits (the
      root is always True: global orientation is free).
    worst: `[N, 24]` float, how far outside the limit (radians, 0 if inside).
  """
  ok: np.ndarray
  worst: np.ndarray

  @property
  def all_ok(self) -> np.ndarray:
    """`[N]` True where the whole pose is within limits."""
    return np.all(self.ok, axis=1)


def check(theta: np.ndarray, hinge_tolerance: float = 1e-4,
          tolerance: float = 1e-6) -> LimitReport:
  """Checks every joint of every pose against the anatomical limits.

  Args:
    theta: A `[N, 72]` (or `[N, 24, 3]`) array of SMPL axis-angle poses.
    hinge_tolerance: largest off-axis rotation (radians) a knee or elbow may
      have; raise it (e.g. 0.3) for poses fitted to real data.
    tolerance: slack on every range, radians.

  Returns:
    A LimitReport.

  Raises:
    ValueError: if theta is not `[N, 72]` or `[N, 24, 3]`.
  """
  theta = np.asarray(theta, dtype=np.float64)
  if theta.ndim == 2 and theta.shape[1] == 3 * NUM_JOINTS:
    theta = theta.reshape(-1, NUM_JOINTS, 3)
  if theta.ndim != 3 or theta.shape[1:] != (NUM_JOINTS, 3):
    raise ValueError(
        f"theta must have shape [N, 72] or [N, 24, 3], got {theta.shape}.")
  aa = _left_form(theta)
  n = aa.shape[0]
  excess = np.zeros((n, NUM_JOINTS))

  def outside(value, lo, hi):
    return np.maximum(lo - value, 0.0) + np.maximum(value - hi, 0.0)

  for left, right in JOINT_PAIRS + tuple((c, c) for c in CENTRAL_JOINTS):
    for j in {left, right}:
      v = aa[:, j]
      if left in BOXES:
        lo, hi = (np.array(b) for b in BOXES[left])
        excess[:, j] = np.max(outside(v, lo, hi), axis=1)
      elif left in (L_KNEE, L_ELBOW):
        axis = (np.array([1.0, 0, 0]) if left == L_KNEE
                else np.array([0, -1.0, 0]))
        lo, hi = KNEE if left == L_KNEE else ELBOW
        along = v @ axis
        off = np.linalg.norm(v - along[:, None] * axis, axis=1)
        excess[:, j] = np.maximum(outside(along, lo, hi),
                                  np.maximum(off - hinge_tolerance, 0.0))
      elif left == L_HIP:
        f, a, r = np.moveaxis(
            decompose_hip(rotation.axis_angle_to_matrix(v)), -1, 0)
        excess[:, j] = np.max(np.stack([
            outside(f, *HIP_FLEX), outside(a, *HIP_ABD),
            outside(r, *HIP_ROT)]), axis=0)
      elif left == L_SHOULDER:
        al, be, ta = np.moveaxis(
            decompose_shoulder(rotation.axis_angle_to_matrix(v)), -1, 0)
        excess[:, j] = np.maximum(np.maximum(al - alpha_max(be), 0.0),
                                  outside(ta, *SHOULDER_TWIST))
      else:
        raise AssertionError(f"joint {j} has no limit")
  return LimitReport(ok=excess <= tolerance, worst=excess)
