"""Retargeting joint positions of any skeleton onto SMPL θ.

Skeletons differ in rest pose, proportions and where they put their joints,
so local rotations cannot be copied. Instead θ is fitted so that the body
model's *bone directions* match the motion's (`fit_theta`):

  1. each skeleton names the positions of some SMPL joints (`SkeletonMap`,
     e.g. the CC rig's `CC_Base_L_Calf` is SMPL's left knee);
  2. the fitted segments run, for each mapped joint, from its nearest mapped
     ancestor (the pelvis replaced by the hips' midpoint, whose placement
     differs most between rigs), plus the hip line `right hip → left hip`
     and, when the collars are not mapped, the shoulder line instead of
     chest → shoulder (rigs' chest joints sit at heights too unlike
     SMPL's spine3: it bent the collars by 40° on CMU's T-pose);
  3. θ `[N, 72]` minimises the summed squared difference of unit segment
     directions, on the rest skeleton of the body model, plus
       - a small L2 on θ (splits a rotation between joints that only
         their sum observes, e.g. the three spine joints),
       - twist about each joint's own bone, which joint positions do not
         observe (a wrist rolling about the forearm), kept near 0,
       - knees and elbows kept hinges (off-axis rotation and bending the
         wrong way penalised),
       - the collars near rest (without collar points only the shoulder
         line observes them: L2 alone would hand them part of every arm
         swing).
     The root starts from the rotation taking the rest hip line and trunk
     onto the motion's; Adam on all joints follows.

Directions make the fit independent of scale and bone lengths. A joint that
no segment observes (the head without a head-top point, hands without
finger points) stays at its L2 optimum, 0.
"""

import dataclasses
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from body import rotation as body_rotation
from synth import joint_limits as jl
from synth import rotation

MID_HIPS = -1


class SkeletonMap(NamedTuple):
  """Where a skeleton keeps SMPL's joints: `joints[k]` is the SMPL joint id
  at the position of `sources[k]` (a joint name, or names averaged)."""
  name: str
  joints: Tuple[int, ...]
  sources: Tuple[Tuple[str, ...], ...]

  def positions(self, names: Sequence[str], positions: np.ndarray
                ) -> np.ndarray:
    """`[F, len(joints), 3]` landmark positions from a motion's `[F, J, 3]`."""
    index = {n: k for k, n in enumerate(names)}
    missing = [s for group in self.sources for s in group if s not in index]
    if missing:
      raise ValueError(f"skeleton {self.name!r} expects joints {missing}, "
                       f"which the motion lacks.")
    return np.stack([np.mean([positions[:, index[s]] for s in group], axis=0)
                     for group in self.sources], axis=1)


def _map(name, pairs):
  return SkeletonMap(name, tuple(j for j, _ in pairs),
                     tuple((s,) if isinstance(s, str) else tuple(s)
                           for _, s in pairs))


_SIDES = (("L", "l", jl.L_HIP, jl.L_KNEE, jl.L_ANKLE, jl.L_FOOT,
           jl.L_SHOULDER, jl.L_ELBOW, jl.L_WRIST, jl.L_HAND),
          ("R", "r", jl.R_HIP, jl.R_KNEE, jl.R_ANKLE, jl.R_FOOT,
           jl.R_SHOULDER, jl.R_ELBOW, jl.R_WRIST, jl.R_HAND))

# The Character Creator rig of the IClone-CMU BVH files.
CC_RIG = _map("cc_rig", [(jl.PELVIS, "CC_Base_Hip"),
                         (jl.SPINE3, "CC_Base_Spine02"),
                         (jl.NECK, "CC_Base_NeckTwist01"),
                         (jl.HEAD, "CC_Base_Head")] + [
    (j, f"CC_Base_{s}_{bone}") for s, _, *ids in _SIDES
    for j, bone in zip(ids, ("Thigh", "Calf", "Foot", "ToeBase", "Upperarm",
                             "Forearm", "Hand", "Mid1"))])
# The 38-joint CMU skeleton of `synth.mocap.read_expmap`.
CMU38 = _map("cmu38", [(jl.PELVIS, "root"), (jl.SPINE3, "thorax"),
                       (jl.NECK, "upperneck"), (jl.HEAD, "head")] + [
    (j, f"{s}{bone}") for _, s, *ids in _SIDES
    for j, bone in zip(ids, ("hip", "knee", "ankle", "toe", "shoulder",
                             "elbow", "wrist", "hand"))])


def smpl_map(joints: Sequence[int] = tuple(range(jl.NUM_JOINTS))
             ) -> SkeletonMap:
  """SMPL's own joints (names "0".."23"), e.g. for a round trip."""
  return SkeletonMap("smpl", tuple(joints), tuple((str(j),) for j in joints))


@dataclasses.dataclass(frozen=True)
class FitConfig:
  """Weights and steps of `fit_theta` (directions weigh 1 per segment)."""
  l2_weight: float = 1e-4
  twist_weight: float = 0.1
  hinge_weight: float = 1.0
  collar_weight: float = 0.03
  steps: int = 600
  learning_rate: float = 0.05


def segments(joints: Sequence[int], parents: np.ndarray
             ) -> Tuple[Tuple[int, int], ...]:
  """(from, to) SMPL joint pairs fitted for the mapped `joints`."""
  mapped = set(joints)
  if not {jl.L_HIP, jl.R_HIP} <= mapped:
    raise ValueError("a skeleton map must give both hips.")
  out = [(jl.R_HIP, jl.L_HIP)]
  skip = {jl.PELVIS, jl.L_HIP, jl.R_HIP}
  if ({jl.L_SHOULDER, jl.R_SHOULDER} <= mapped
      and not {jl.L_COLLAR, jl.R_COLLAR} & mapped):
    # Without collars the shoulder line, not spine → shoulder: rigs place
    # their chest joint at heights too different from SMPL's spine3.
    out.append((jl.R_SHOULDER, jl.L_SHOULDER))
    skip |= {jl.L_SHOULDER, jl.R_SHOULDER}
  for j in joints:
    if j in skip:
      continue
    a = parents[j]
    while a not in mapped and a != jl.PELVIS:
      a = parents[a]
    out.append((MID_HIPS if a == jl.PELVIS else a, j))
  return tuple(out)


def landmark(points, j):
  """`[..., 3]` the point of SMPL joint `j` (or the hips' midpoint)."""
  if j == MID_HIPS:
    return 0.5 * (points[..., jl.L_HIP, :] + points[..., jl.R_HIP, :])
  return points[..., j, :]


def unit(v, eps=1e-9):
  """`v` over its norm along the last axis."""
  return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), eps)


def _root_init(target: np.ndarray, rest: np.ndarray, mapped: Sequence[int]
               ) -> np.ndarray:
  """`[N, 3]` root rotations taking the rest hip line and trunk (hips'
  midpoint → highest mapped trunk point) onto the target's."""
  def frame(p, up_joint):
    x = unit(landmark(p, jl.L_HIP) - landmark(p, jl.R_HIP))
    up = landmark(p, up_joint) - landmark(p, MID_HIPS)
    y = unit(up - np.sum(up * x, -1, keepdims=True) * x)
    return np.stack([x, y, np.cross(x, y)], axis=-1)
  up_joint = next((j for j in (jl.NECK, jl.SPINE3, jl.SPINE2, jl.SPINE1,
                                jl.HEAD) if j in mapped), None)
  if up_joint is None:
    raise ValueError("a skeleton map must give a spine, neck or head joint.")
  r = frame(target, up_joint) @ np.swapaxes(frame(rest, up_joint), -1, -2)
  return rotation.matrix_to_axis_angle(r)


def _min_rotation(r: np.ndarray, u: np.ndarray) -> np.ndarray:
  """`[N, 3, 3]` the smallest rotations taking unit `r` `[3]` to unit `u`
  `[N, 3]` (no twist about them)."""
  axis = np.cross(r, u)
  s = np.linalg.norm(axis, axis=-1)
  c = np.sum(r * u, axis=-1)
  angle = np.arctan2(s, c)
  fallback = np.cross(r, [1.0, 0.0, 0.0] if abs(r[0]) < 0.9 else [0, 1, 0])
  axis = np.where(s[:, None] > 1e-9, axis / np.maximum(s, 1e-12)[:, None],
                  unit(fallback)[None])
  return rotation.axis_angle_to_matrix(axis * angle[:, None])


def _kabsch(r: np.ndarray, u: np.ndarray) -> np.ndarray:
  """`[N, 3, 3]` rotations best taking the rows of `r` `[K, 3]` onto those
  of `u` `[N, K, 3]` (K ≥ 2)."""
  h = np.einsum("ka,nkb->nab", r, u)
  a, _, bt = np.linalg.svd(h)
  d = np.sign(np.linalg.det(np.swapaxes(bt, -1, -2) @ np.swapaxes(a, -1, -2)))
  fix = np.ones((len(u), 3))
  fix[:, 2] = d
  return np.swapaxes(bt, -1, -2) @ (fix[:, :, None] * np.swapaxes(a, -1, -2))


def _initial_theta(target: np.ndarray, segs, rest: np.ndarray,
                   parents: np.ndarray, root: np.ndarray) -> np.ndarray:
  """`[N, 72]` a first θ, joint by joint from the root: each joint turns the
  segments starting at it onto their targets `[N, S, 3]` (the smallest
  rotation for one segment, Kabsch for several), its ancestors' rotations
  held."""
  n = len(target)
  local = np.zeros((n, len(parents), 3))
  local[:, 0] = root
  world = [rotation.axis_angle_to_matrix(root)]
  for j in range(1, len(parents)):
    mine = [k for k, (a, _) in enumerate(segs) if a == j]
    parent_r = world[parents[j]]
    if mine:
      r = np.stack([unit(rest[segs[k][1]] - rest[j]) for k in mine])
      u = np.einsum("nba,nkb->nka", parent_r, target[:, mine])
      m = _min_rotation(r[0], u[:, 0]) if len(mine) == 1 else _kabsch(r, u)
      local[:, j] = rotation.matrix_to_axis_angle(m)
    world.append(parent_r @ rotation.axis_angle_to_matrix(local[:, j]))
  return local.reshape(n, -1)


def _twist_axes(rest: np.ndarray, parents: np.ndarray) -> np.ndarray:
  """`[24, 3]` each joint's bone axis to its only child (0 with none or
  several children, and for hips and shoulders, whose twist the bend of the
  hinge below observes)."""
  axes = np.zeros((len(parents), 3))
  for j in set(range(1, len(parents))) - {jl.L_HIP, jl.R_HIP, jl.L_SHOULDER,
                                          jl.R_SHOULDER}:
    kids = np.flatnonzero(parents == j)
    if len(kids) == 1:
      axes[j] = unit(rest[kids[0]] - rest[j])
  return axes


def fit_theta(points: np.ndarray, joints: Sequence[int], rest: np.ndarray,
              parents: np.ndarray, config: FitConfig = FitConfig(),
              init: Optional[np.ndarray] = None) -> np.ndarray:
  """Fits θ to landmark positions (see the module docstring).

  Args:
    points: `[N, M, 3]` positions of the SMPL joints `joints` (y up; scale
      and bone lengths do not matter).
    joints: M SMPL joint ids, both hips among them.
    rest: `[24, 3]` rest joints of the body model.
    parents: `[24]` its parents.
    config: weights and steps.
    init: optional `[N, 72]` starting θ (default: 0 with the root aligned).

  Returns:
    θ `[N, 72]` float64, the root in the motion's world.
  """
  points = np.asarray(points, dtype=np.float64)
  joints = tuple(int(j) for j in joints)
  if points.ndim != 3 or points.shape[1:] != (len(joints), 3):
    raise ValueError(f"points must have shape [N, {len(joints)}, 3], got "
                     f"{points.shape}.")
  n = len(points)
  full = np.zeros((n, jl.NUM_JOINTS, 3))
  full[:, list(joints)] = points
  segs = segments(joints, parents)
  target = np.stack([unit(landmark(full, b) - landmark(full, a))
                     for a, b in segs], axis=1)
  if init is None:
    init = _initial_theta(target, segs, rest, parents,
                          _root_init(full, rest[None], joints))
  theta = tf.Variable(np.asarray(init, np.float32).reshape(n, -1, 3))
  step = _make_step(segs, rest, parents, config)
  opt = tf.keras.optimizers.Adam(config.learning_rate)
  target = tf.constant(target, tf.float32)
  for k in range(config.steps):
    if k == config.steps * 3 // 4:
      opt.learning_rate.assign(config.learning_rate * 0.2)
    step(theta, target, opt)
  return theta.numpy().reshape(n, -1).astype(np.float64)


def _make_step(segs, rest, parents, config):
  rest = tf.constant(rest, tf.float32)
  twist = tf.constant(_twist_axes(np.asarray(rest), parents), tf.float32)
  hinge_off = np.zeros((jl.NUM_JOINTS, 3), np.float32)
  hinge_off[[jl.L_KNEE, jl.R_KNEE]] = (0, 1, 1)
  hinge_off[[jl.L_ELBOW, jl.R_ELBOW]] = (1, 0, 1)
  # Bending the wrong way: knee +x; left elbow −y, right elbow +y.
  hinge_sign = np.zeros((jl.NUM_JOINTS, 3), np.float32)
  hinge_sign[[jl.L_KNEE, jl.R_KNEE], 0] = 1
  hinge_sign[jl.L_ELBOW, 1], hinge_sign[jl.R_ELBOW, 1] = -1, 1
  body_mask = np.ones((jl.NUM_JOINTS, 1), np.float32)
  body_mask[0] = 0
  collar_mask = np.zeros((jl.NUM_JOINTS, 1), np.float32)
  collar_mask[[jl.L_COLLAR, jl.R_COLLAR]] = 1

  def fk(theta):
    rot = body_rotation.axis_angle_to_matrix(theta)        # [N, 24, 3, 3]
    world_r, world_p = [rot[:, 0]], [tf.zeros_like(theta[:, 0])]
    for j in range(1, len(parents)):
      p = parents[j]
      world_p.append(world_p[p] + tf.linalg.matvec(world_r[p],
                                                   rest[j] - rest[p]))
      world_r.append(world_r[p] @ rot[:, j])
    return tf.stack(world_p, axis=1)

  def landmark(points, j):
    if j == MID_HIPS:
      return 0.5 * (points[:, jl.L_HIP] + points[:, jl.R_HIP])
    return points[:, j]

  @tf.function
  def step(theta, target, opt):
    with tf.GradientTape() as tape:
      p = fk(theta)
      d = tf.stack([landmark(p, b) - landmark(p, a) for a, b in segs], 1)
      d = d / tf.maximum(tf.norm(d, axis=-1, keepdims=True), 1e-9)
      loss = tf.reduce_sum(tf.square(d - target), axis=[1, 2])
      loss += config.l2_weight * tf.reduce_sum(
          tf.square(theta * body_mask), axis=[1, 2])
      loss += config.collar_weight * tf.reduce_sum(
          tf.square(theta * collar_mask), axis=[1, 2])
      loss += config.twist_weight * tf.reduce_sum(
          tf.square(tf.reduce_sum(theta * twist, -1)), axis=1)
      loss += config.hinge_weight * tf.reduce_sum(
          tf.square(theta * hinge_off)
          + tf.square(tf.nn.relu(-theta * hinge_sign)), axis=[1, 2])
      total = tf.reduce_sum(loss)
    opt.apply_gradients([(tape.gradient(total, theta), theta)])
    return loss

  return step


def retarget(names: Sequence[str], positions: np.ndarray,
             skeleton: SkeletonMap, rest: np.ndarray, parents: np.ndarray,
             config: FitConfig = FitConfig()) -> np.ndarray:
  """θ `[F, 72]` for a motion's joint positions `[F, J, 3]` (y up)."""
  points = skeleton.positions(names, positions)
  return fit_theta(points, skeleton.joints, rest, parents, config)


def joint_angle_errors(theta_a: np.ndarray, theta_b: np.ndarray
                       ) -> np.ndarray:
  """`[N, 24]` geodesic angle (degrees) between two θ's local rotations."""
  ra = rotation.axis_angle_to_matrix(np.reshape(theta_a, (-1, 24, 3)))
  rb = rotation.axis_angle_to_matrix(np.reshape(theta_b, (-1, 24, 3)))
  rel = np.swapaxes(ra, -1, -2) @ rb
  cos = (np.trace(rel, axis1=-2, axis2=-1) - 1) / 2
  return np.degrees(np.arccos(np.clip(cos, -1, 1)))

