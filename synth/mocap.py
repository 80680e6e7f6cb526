"""Readers for motion capture: BVH and exponential-map CSV (CMU, 38 joints).

Both readers return a `Motion`: the skeleton (joint names, parents) and the
world positions of its joints in every frame, in metres, y up, from forward
kinematics. Nothing else is needed to retarget a motion onto SMPL
(`synth/retarget.py`): joint *positions* do not depend on a skeleton's rest
orientations, which differ between rigs.

BVH: `HIERARCHY` (ROOT / JOINT / End Site, OFFSET, CHANNELS) then `MOTION`
(`Frames:`, `Frame Time:`, one line of channel values per frame). Rotation
channels are degrees, applied in the order they are listed (`Zrotation
Yrotation Xrotation` → `R = Rz · Ry · Rx`, column vectors); a joint's world
position is its parent's plus the parent's world rotation times the OFFSET.
End sites are kept as joints named `<parent>_end`.

Expmap CSV (the CMU motion-prediction subset of Li et al., CVPR 2018): one
frame a line, 117 numbers: root position (3) and 38 × 3 exponential-map
rotations on that code's 38-joint CMU skeleton (`CMU38_PARENTS`,
`CMU38_OFFSETS`, in CMU units × 70; a CMU unit is 0.056444 m), composed as
that code does (row vectors: `R_j = E_j · R_parent`, `p_j = o_j · R_parent +
p_parent`).
"""

import os
import re
from typing import NamedTuple, Tuple

import numpy as np

from synth import rotation


class MocapError(ValueError):
  """A motion file cannot be read."""


class Motion(NamedTuple):
  """Joint positions of one motion.

  Attributes:
    names: J joint names.
    parents: `[J]` parent index (-1 for the root).
    positions: `[F, J, 3]` world positions, metres, y up.
    frame_time: seconds between frames.
    source: the file read.
  """
  names: Tuple[str, ...]
  parents: np.ndarray
  positions: np.ndarray
  frame_time: float
  source: str = ""


_AXES = {"X": rotation.rot_x, "Y": rotation.rot_y, "Z": lambda a: _rot_z(a)}


def _rot_z(angle):
  a = np.asarray(angle, dtype=np.float64)
  return rotation.axis_angle_to_matrix(np.stack([0 * a, 0 * a, a], -1))


def _up_to_y(positions: np.ndarray, up_axis: str) -> np.ndarray:
  """World positions with `up_axis` ("y" or "z") turned to +y."""
  if up_axis == "y":
    return positions
  if up_axis == "z":       # (x, y, z) z-up → (x, z, −y): −90° about x.
    return np.stack([positions[..., 0], positions[..., 2],
                     -positions[..., 1]], -1)
  raise MocapError(f"up_axis must be 'y' or 'z', got {up_axis!r}.")


def parse_bvh(text: str, source: str = "", scale: float = 0.01,
              up_axis: str = "y") -> Motion:
  """Reads BVH text (see the module docstring).

  Args:
    text: the file's contents.
    source: a name for messages.
    scale: metres per file unit (0.01 for centimetres).
    up_axis: the vertical of the file's world after the root's rotation.
  """
  head, sep, motion = text.partition("MOTION")
  if not sep or "HIERARCHY" not in head:
    raise MocapError(f"{source or 'BVH text'}: no HIERARCHY / MOTION sections.")
  tokens = head.split()
  names, parents, offsets, channels = [], [], [], []
  stack, i = [], tokens.index("HIERARCHY") + 1
  pending = None
  while i < len(tokens):
    tok = tokens[i]
    if tok in ("ROOT", "JOINT"):
      pending = tokens[i + 1]
      i += 2
    elif tok == "End":
      pending = f"{names[stack[-1]]}_end"
      i += 2
    elif tok == "{":
      names.append(pending)
      parents.append(stack[-1] if stack else -1)
      offsets.append(np.zeros(3))
      channels.append(())
      stack.append(len(names) - 1)
      i += 1
    elif tok == "}":
      stack.pop()
      i += 1
    elif tok == "OFFSET":
      offsets[stack[-1]] = np.array([float(t) for t in tokens[i + 1:i + 4]])
      i += 4
    elif tok == "CHANNELS":
      k = int(tokens[i + 1])
      channels[stack[-1]] = tuple(tokens[i + 2:i + 2 + k])
      i += 2 + k
    else:
      raise MocapError(f"{source or 'BVH text'}: unexpected token {tok!r}.")
  if stack or not names:
    raise MocapError(f"{source or 'BVH text'}: unbalanced braces.")
  frames_m = re.search(r"Frames:\s*(\d+)", motion)
  time_m = re.search(r"Frame Time:\s*([0-9.eE+-]+)", motion)
  if not frames_m or not time_m:
    raise MocapError(f"{source}: MOTION lacks 'Frames:' or 'Frame Time:'.")
  body = motion[time_m.end():].split()
  num_channels = sum(len(c) for c in channels)
  num_frames = int(frames_m.group(1))
  if len(body) != num_frames * num_channels:
    raise MocapError(
        f"{source}: {len(body)} motion values, expected {num_frames} frames × "
        f"{num_channels} channels.")
  values = np.array(body, dtype=np.float64).reshape(num_frames, num_channels)
  positions = _bvh_forward(values, parents, np.array(offsets), channels)
  return Motion(tuple(names), np.array(parents), _up_to_y(
      positions * scale, up_axis), float(time_m.group(1)), source)


def _bvh_forward(values, parents, offsets, channels) -> np.ndarray:
  n, num_j = len(values), len(parents)
  world_r = np.empty((n, num_j, 3, 3))
  world_p = np.empty((n, num_j, 3))
  col = 0
  for j in range(num_j):
    local_r = np.broadcast_to(np.eye(3), (n, 3, 3))
    local_p = np.broadcast_to(offsets[j], (n, 3)).copy()
    for name in channels[j]:
      v = values[:, col]
      col += 1
      if name.endswith("position"):
        local_p[:, "XYZ".index(name[0])] += v
      elif name.endswith("rotation"):
        local_r = local_r @ _AXES[name[0]](np.radians(v))
      else:
        raise MocapError(f"unknown BVH channel {name!r}.")
    p = parents[j]
    if p < 0:
      world_r[:, j], world_p[:, j] = local_r, local_p
    else:
      world_r[:, j] = world_r[:, p] @ local_r
      world_p[:, j] = world_p[:, p] + np.einsum(
          "nab,nb->na", world_r[:, p], local_p)
  return world_p


def read_bvh(path: str, scale: float = 0.01, up_axis: str = "y",
             skip_first: bool = False) -> Motion:
  """Reads a BVH file; `skip_first` drops frame 0 (an added T-pose)."""
  text = _read(path)
  motion = parse_bvh(text, path, scale, up_axis)
  if skip_first:
    motion = motion._replace(positions=motion.positions[1:])
  return motion


# The 38-joint CMU skeleton of the motion-prediction code (Li et al. 2018),
# each joint named after where it sits; "_dup" joints sit on their parent
# (zero offset) and start another branch.
CMU38_NAMES = (
    "root", "lhip_dup", "lhip", "lknee", "lankle", "ltoe", "ltoe_end",
    "rhip_dup", "rhip", "rknee", "rankle", "rtoe", "rtoe_end",
    "spine_dup", "lowerback", "thorax", "thorax_dup", "lowerneck",
    "upperneck", "head", "lcollar_dup", "lshoulder", "lelbow", "lwrist",
    "lwrist_dup", "lhand", "lfingers", "lthumb_dup", "lthumb", "rcollar_dup",
    "rshoulder", "relbow", "rwrist", "rwrist_dup", "rhand", "rfingers",
    "rthumb_dup", "rthumb")
CMU38_PARENTS = np.array(
    [0, 1, 2, 3, 4, 5, 6, 1, 8, 9, 10, 11, 12, 1, 14, 15, 16, 17, 18, 19, 16,
     21, 22, 23, 24, 25, 26, 24, 28, 16, 30, 31, 32, 33, 34, 35, 33, 37]) - 1
CMU38_OFFSETS = 70.0 * np.array([
    [0, 0, 0], [0, 0, 0], [1.65674, -1.80282, 0.62477],
    [2.5972, -7.13576, 0], [2.49236, -6.8477, 0],
    [0.19704, -0.54136, 2.14581], [0, 0, 1.11249], [0, 0, 0],
    [-1.6107, -1.80282, 0.62476], [-2.59502, -7.12977, 0],
    [-2.4678, -6.78024, 0], [-0.23024, -0.63258, 2.13368],
    [0, 0, 1.11569], [0, 0, 0], [0.01961, 2.0545, -0.14112],
    [0.01021, 2.06436, -0.05921], [0, 0, 0], [0.00713, 1.56711, 0.14968],
    [0.03429, 1.56041, -0.10006], [0.01305, 1.6256, -0.05265], [0, 0, 0],
    [3.54205, 0.90436, -0.17364], [4.86513, 0, 0], [3.35554, 0, 0],
    [0, 0, 0], [0.66117, 0, 0], [0.53306, 0, 0], [0, 0, 0],
    [0.5412, 0, 0.5412], [0, 0, 0], [-3.49802, 0.75994, -0.32616],
    [-5.02649, 0, 0], [-3.36431, 0, 0], [0, 0, 0], [-0.73041, 0, 0],
    [-0.58887, 0, 0], [0, 0, 0], [-0.59786, 0, 0.59786]])
CMU_UNIT_METRES = 0.056444


def expmap_forward(values: np.ndarray) -> np.ndarray:
  """`[F, 38, 3]` joint positions (CMU units × 70, root at the origin) of
  `[F, 117]` expmap frames, composed as the motion-prediction code does."""
  values = np.asarray(values, dtype=np.float64)
  n = len(values)
  rot = rotation.axis_angle_to_matrix(values[:, 3:].reshape(n, 38, 3))
  world_r = np.empty((n, 38, 3, 3))
  world_p = np.zeros((n, 38, 3))
  world_r[:, 0] = rot[:, 0]
  for j in range(1, 38):
    p = CMU38_PARENTS[j]
    world_r[:, j] = rot[:, j] @ world_r[:, p]
    world_p[:, j] = CMU38_OFFSETS[j] @ world_r[:, p] + world_p[:, p]
  return world_p


def parse_expmap(text: str, source: str = "") -> np.ndarray:
  """`[F, 117]` numbers of an expmap CSV text."""
  rows = [line.split(",") for line in text.splitlines() if line.strip()]
  bad = [k for k, r in enumerate(rows) if len(r) != 117]
  if bad:
    raise MocapError(f"{source}: line {bad[0] + 1} has {len(rows[bad[0]])} "
                     f"numbers, expected 117 (root position + 38 × 3).")
  if not rows:
    raise MocapError(f"{source}: no frames.")
  return np.array(rows, dtype=np.float64)


def read_expmap(path: str, frame_time: float = 1.0 / 30,
                skip_first: bool = True) -> Motion:
  """Reads an expmap CSV; `skip_first` drops line 0 (a T-pose)."""
  values = parse_expmap(_read(path), path)
  if skip_first:
    values = values[1:]
  positions = expmap_forward(values) * (CMU_UNIT_METRES / 70.0)
  return Motion(CMU38_NAMES, CMU38_PARENTS.copy(), positions, frame_time,
                path)


def _read(path: str) -> str:
  if not os.path.isfile(path):
    raise MocapError(f"motion file {path!r} does not exist.")
  with open(path, encoding="utf-8", errors="replace") as f:
    return f.read()
