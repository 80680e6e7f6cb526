"""Differentiable joint-limit excess of SMPL poses, for test-time fitting.

`synth.joint_limits.check` tells, in NumPy, how far each joint of a pose lies
outside its anatomical limits. This module computes the same excess (radians,
0 inside the limits) in TensorFlow, with gradients, from the same limit table
(`synth.joint_limits`): boxes on the axis-angle of the small joints, hinge
ranges (and an off-axis tolerance) for knees and elbows, X-Z-Y Euler ranges
for the hips and a swing bound α ≤ α_max(β) plus a twist range for the
shoulders. Right joints are mirrored into their left form first.

The gradients are finite everywhere, the rest pose (θ = 0) included: norms
and the shoulder's swing direction are taken with a small ε where they are
undefined (there the limits they feed cannot be broken anyway).

Dimensions: B batch; θ is `[B, 72]` (24 joints × axis-angle).
"""

import numpy as np
import tensorflow as tf

from body import rotation
from synth import joint_limits as limits

_EPS = 1e-6
_NUM_JOINTS = limits.NUM_JOINTS


def _outside(value, lo, hi):
  return tf.nn.relu(lo - value) + tf.nn.relu(value - hi)


def _safe_norm(x, axis=-1):
  """‖x‖ with a finite gradient at 0 (sqrt(‖x‖² + ε²) − ε)."""
  return tf.sqrt(tf.reduce_sum(tf.square(x), axis=axis) + _EPS**2) - _EPS


def _left_form(theta):
  """`[B, 24, 3]` with every right joint mirrored ((x, y, z) → (x, −y, −z))."""
  sign = np.ones((_NUM_JOINTS, 3), np.float32)
  sign[list(limits.RIGHT_JOINTS), 1:] = -1.0
  return theta * tf.constant(sign, theta.dtype)


def _hip_excess(aa):
  """`[B, 2]` for the hips `[B, 2, 3]` (left form)."""
  m = rotation.axis_angle_to_matrix(aa)
  flex = -tf.atan2(m[..., 2, 1], m[..., 1, 1])
  abd = tf.asin(tf.clip_by_value(-m[..., 0, 1], -1.0 + _EPS, 1.0 - _EPS))
  rot = tf.atan2(m[..., 0, 2], m[..., 0, 0])
  return tf.reduce_max(tf.stack([
      _outside(flex, *limits.HIP_FLEX), _outside(abd, *limits.HIP_ABD),
      _outside(rot, *limits.HIP_ROT)]), axis=0)


def _alpha_max(beta):
  """`limits.alpha_max` in TF: the table is periodic on a uniform 45° grid."""
  table = limits._ALPHA_MAX_TABLE  # pylint: disable=protected-access
  step = np.radians(table[1, 0] - table[0, 0])
  values = tf.constant(np.radians(table[:, 1]), beta.dtype)
  position = (beta - np.radians(table[0, 0])) / step
  index = tf.clip_by_value(tf.floor(position), 0.0, len(table) - 2.0)
  frac = position - index
  index = tf.cast(index, tf.int32)
  return ((1.0 - frac) * tf.gather(values, index) +
          frac * tf.gather(values, index + 1))


def _shoulder_excess(aa):
  """`[B, 2]` for the shoulders `[B, 2, 3]` (left form): swing beyond
  α_max(β) or twist outside its range."""
  m = rotation.axis_angle_to_matrix(aa)
  d = m[..., :, 0]                                   # R · x̂
  across = _safe_norm(d[..., 1:])
  alpha = tf.atan2(across, d[..., 0])
  defined = across > 1e-4
  beta = tf.atan2(tf.where(defined, d[..., 2], tf.zeros_like(across)),
                  tf.where(defined, -d[..., 1], tf.ones_like(across)))
  swing = rotation.axis_angle_to_matrix(tf.stack(
      [tf.zeros_like(alpha), -alpha * tf.sin(beta), -alpha * tf.cos(beta)],
      -1))
  twist = tf.matmul(swing, m, transpose_a=True)
  tau = tf.atan2(twist[..., 2, 1], twist[..., 1, 1])
  return tf.maximum(tf.nn.relu(alpha - _alpha_max(beta)),
                    _outside(tau, *limits.SHOULDER_TWIST))


def _hinge_excess(aa, axis, bounds, hinge_tolerance):
  """`[B, 2]` for knees or elbows `[B, 2, 3]` (left form)."""
  axis = tf.constant(axis, aa.dtype)
  along = tf.reduce_sum(aa * axis, -1)
  off = _safe_norm(aa - along[..., None] * axis)
  return tf.maximum(_outside(along, *bounds),
                    tf.nn.relu(off - hinge_tolerance))


def excess(theta, hinge_tolerance: float = 0.3) -> tf.Tensor:
  """How far each joint lies outside its limits, `[B, 24]` radians.

  The same quantity as `synth.joint_limits.check(theta, hinge_tolerance,
  tolerance=0).worst`, differentiable. The root (column 0) is always 0.

  Args:
    theta: `[B, 72]` axis-angle poses (float32 or float64).
    hinge_tolerance: largest off-axis rotation of a knee or elbow, radians.

  Raises:
    ValueError: if theta is not `[B, 72]`.
  """
  theta = tf.convert_to_tensor(theta)
  if not theta.dtype.is_floating:
    theta = tf.cast(theta, tf.float32)
  if theta.shape.rank != 2 or theta.shape[1] not in (None, 3 * _NUM_JOINTS):
    raise ValueError(f"theta must have shape [B, {3 * _NUM_JOINTS}]; got "
                     f"{theta.shape}.")
  aa = _left_form(tf.reshape(theta, [-1, _NUM_JOINTS, 3]))
  columns = {}
  for left in list(limits.BOXES):
    right = dict(limits.JOINT_PAIRS).get(left, left)
    lo, hi = (tf.constant(b, theta.dtype) for b in limits.BOXES[left])
    for j in {left, right}:
      columns[j] = tf.reduce_max(_outside(aa[:, j], lo, hi), axis=-1)
  pairs = (
      ((limits.L_KNEE, limits.R_KNEE), lambda v: _hinge_excess(
          v, (1.0, 0.0, 0.0), limits.KNEE, hinge_tolerance)),
      ((limits.L_ELBOW, limits.R_ELBOW), lambda v: _hinge_excess(
          v, (0.0, -1.0, 0.0), limits.ELBOW, hinge_tolerance)),
      ((limits.L_HIP, limits.R_HIP), _hip_excess),
      ((limits.L_SHOULDER, limits.R_SHOULDER), _shoulder_excess),
  )
  for joints, fn in pairs:
    values = fn(tf.gather(aa, list(joints), axis=1))
    for i, j in enumerate(joints):
      columns[j] = values[:, i]
  zero = tf.zeros_like(theta[:, 0])
  return tf.stack([columns.get(j, zero) for j in range(_NUM_JOINTS)], axis=1)


def penalty(theta, hinge_tolerance: float = 0.3) -> tf.Tensor:
  """`[B]` Σ_j excess_j², the fit's pose-plausibility term (rad²)."""
  return tf.reduce_sum(tf.square(excess(theta, hinge_tolerance)), axis=1)
