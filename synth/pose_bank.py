"""Poses a user brings: AMASS-style `.npz` (`poses [N, ≥72]`), SPIN/HMR-style
`.npz` (`pose [N, 72]` beside `shape [N, 10]` and others) or `[N, 72]`.

AMASS stores SMPL-H poses (156 numbers: body then hands) in a z-up world; the
first 72 numbers are SMPL's θ (root + 23 body joints; SMPL's two hand joints
are SMPL-H's first finger joints, so we zero them). The bank keeps the
articulated pose and only the root's tilt: each pose's heading (rotation about
the vertical) is removed, so the viewpoint augmentation of
`synth/viewpoint.py` alone decides where the body faces, exactly as for the
pose prior.
"""

import dataclasses
import os
from typing import Optional, Tuple

import numpy as np

from synth import joint_limits as jl
from synth import pose_prior
from synth import rotation


UP_AXES = ("y", "z", "-y")


class PoseBankError(ValueError):
  """A pose bank file cannot be read or has the wrong layout."""


@dataclasses.dataclass(frozen=True, eq=False)
class PoseBank:
  """Poses with the root in the SMPL world (y up), heading removed.

  Attributes:
    theta: `[N, 72]` float64.
    source: where the poses came from.
    activity: `[N]` indices into `activities` (banks of
      `synth.build_pose_bank`), or None.
    activities: activity names.
  """
  theta: np.ndarray
  source: str = ""
  activity: Optional[np.ndarray] = None
  activities: Tuple[str, ...] = ()

  def __post_init__(self):
    theta = np.asarray(self.theta, dtype=np.float64)
    if theta.ndim != 2 or theta.shape[1] != 72 or theta.shape[0] == 0:
      raise PoseBankError(
          f"a pose bank needs θ of shape [N, 72] with N ≥ 1, got "
          f"{theta.shape}.")
    if not np.all(np.isfinite(theta)):
      raise PoseBankError("the pose bank holds NaN or infinite values.")
    theta = theta.copy()
    theta.setflags(write=False)
    object.__setattr__(self, "theta", theta)
    object.__setattr__(self, "activities", tuple(self.activities))
    if self.activity is not None:
      activity = np.asarray(self.activity, dtype=np.int64)
      if activity.shape != (len(theta),) or (
          len(activity) and not 0 <= activity.min() <= activity.max()
          < len(self.activities)):
        raise PoseBankError(
            f"activity must be [N={len(theta)}] indices into "
            f"{len(self.activities)} activities.")
      object.__setattr__(self, "activity", activity)

  def without_activities(self, names) -> "PoseBank":
    """The bank less the poses of activities `names` (leave-out protocol)."""
    unknown = sorted(set(names) - set(self.activities))
    if unknown or self.activity is None:
      raise PoseBankError(f"{self.source} has no activities {unknown or names}"
                          f"; it has {self.activities}.")
    drop = [self.activities.index(n) for n in names]
    keep = ~np.isin(self.activity, drop)
    if not keep.any():
      raise PoseBankError(f"leaving out {list(names)} leaves no poses.")
    return dataclasses.replace(self, theta=self.theta[keep],
                               activity=self.activity[keep])

  def __len__(self):
    return self.theta.shape[0]

  def sample(self, rng: np.random.Generator, n: int,
             mirror_probability: float = 0.5) -> np.ndarray:
    """`[n, 72]` poses drawn uniformly with replacement, randomly mirrored."""
    theta = self.theta[rng.integers(0, len(self), n)].copy()
    flip = rng.uniform(size=n) < mirror_probability
    theta[flip] = pose_prior.mirror_poses(theta[flip])
    return theta


def remove_heading(theta: np.ndarray) -> np.ndarray:
  """Rotates each root about the vertical (y) so the body faces +z (a copy).

  The heading is the direction of the body's forward axis (the root's +z)
  projected on the ground plane; poses whose forward axis is vertical (lying
  face up or down) use the body's up axis instead.
  """
  theta = np.array(theta, dtype=np.float64)
  root = rotation.axis_angle_to_matrix(theta[:, :3])
  forward = root[:, :, 2]
  up = root[:, :, 1]
  flat = np.hypot(forward[:, 0], forward[:, 2]) < 0.2
  direction = np.where(flat[:, None], up, forward)
  heading = np.arctan2(direction[:, 0], direction[:, 2])
  theta[:, :3] = rotation.matrix_to_axis_angle(
      rotation.rot_y(-heading) @ root)
  return theta


def load(path: str, up_axis: str = "z") -> PoseBank:
  """Loads a pose bank file.

  Args:
    path: `.npz` with an array `poses` of shape `[N, ≥72]` (AMASS, or a
      bank of `python -m synth.build_pose_bank`), an `.npz` with `pose`
      `[N, 72]` (SPIN / HMR fits; other arrays such as `shape` are
      ignored), or `.npy` (or `.npz` with a single array) of shape
      `[N, 72]`.
    up_axis: the vertical of the file's world: "z" for AMASS and
      `build_pose_bank`, "y" for SMPL fits in the SMPL world, "-y" for fits
      in camera coordinates (OpenCV: y down; SPIN / HMR).

  Returns:
    A PoseBank with the SMPL-world root and the heading removed.

  Raises:
    PoseBankError: on a missing file or unexpected arrays.
  """
  if up_axis not in UP_AXES:
    raise PoseBankError(f"up_axis must be one of {UP_AXES}, got {up_axis!r}.")
  if not os.path.isfile(path):
    raise PoseBankError(f"pose bank {path!r} does not exist.")
  try:
    data = np.load(path, allow_pickle=False)
  except ValueError as e:
    raise PoseBankError(f"cannot read pose bank {path!r}: {e}") from e
  activity, activities = None, ()
  if isinstance(data, np.lib.npyio.NpzFile):
    with data:
      if "activity" in data.files and "activities" in data.files:
        activity = data["activity"]
        activities = tuple(str(a) for a in data["activities"])
      if "poses" in data.files:
        poses = data["poses"]
      elif "pose" in data.files:
        poses = data["pose"]
      elif len(data.files) == 1:
        poses = data[data.files[0]]
      else:
        raise PoseBankError(
            f"{path!r} has arrays {data.files}; expected one named 'poses' "
            f"(AMASS) or 'pose' (SPIN / HMR).")
  else:
    poses = data
  poses = np.asarray(poses)
  if poses.ndim != 2 or poses.shape[1] < 72:
    raise PoseBankError(
        f"poses in {path!r} must have shape [N, ≥72], got {poses.shape}.")
  theta = poses[:, :72].astype(np.float64)
  if poses.shape[1] > 72:
    # SMPL-H / SMPL-X: joints 22-23 of the first 72 numbers are fingers.
    theta[:, 3 * jl.L_HAND:3 * jl.L_HAND + 3] = 0.0
    theta[:, 3 * jl.R_HAND:3 * jl.R_HAND + 3] = 0.0
  if up_axis != "y":
    # z-up -> y-up: −90° about x takes +z to +y; y-down: 180° about x.
    turn = -np.pi / 2 if up_axis == "z" else np.pi
    root = rotation.axis_angle_to_matrix(theta[:, :3])
    theta[:, :3] = rotation.matrix_to_axis_angle(
        rotation.rot_x(turn) @ root)
  return PoseBank(theta=remove_heading(theta), source=os.path.abspath(path),
                  activity=activity, activities=activities)
