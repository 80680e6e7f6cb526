"""Axis-angle ↔ rotation-matrix conversions that are safe at zero rotation.

SMPL's θ is a stack of axis-angle vectors (rotation vector = axis · angle).
tensorflow-graphics converts (axis, angle) pairs; the only care needed is the
norm at θ = 0, whose gradient is undefined. We use `‖v‖_ε = sqrt(‖v‖² + ε²)`:
at v = 0 the unit "axis" v/‖v‖_ε is 0 and the matrix is exactly I, and the
gradient is the exact skew-symmetric derivative (sin ε / ε → 1).
"""

import numpy as np
import tensorflow as tf
from tensorflow_graphics.geometry.transformation import axis_angle as tfg_axis_angle
from tensorflow_graphics.geometry.transformation import rotation_matrix_3d

_EPS = 1e-8


def axis_angle_to_matrix(rotvec):
  """Rotation vectors to rotation matrices.

  Args:
    rotvec: A tensor of shape `[A1, ..., An, 3]`.

  Returns:
    A tensor of shape `[A1, ..., An, 3, 3]`.

  Raises:
    ValueError: if the last dimension of `rotvec` is not 3.
  """
  rotvec = tf.convert_to_tensor(rotvec)
  if rotvec.shape.rank is not None and rotvec.shape[-1] not in (None, 3):
    raise ValueError(
        f"rotvec must have shape [..., 3], got {rotvec.shape.as_list()}.")
  if not rotvec.dtype.is_floating:
    rotvec = tf.cast(rotvec, tf.float32)
  if rotvec.dtype in (tf.float16, tf.bfloat16):
    # ε² underflows in half precision (0 / 0 at θ = 0): compute in float32.
    return tf.cast(axis_angle_to_matrix(tf.cast(rotvec, tf.float32)),
                   rotvec.dtype)
  # Vectors with a component above 1 are scaled first so that the squared
  # norm cannot overflow (θ ≥ 1e19 in float32); there ε is negligible.
  scale = tf.reduce_max(tf.abs(rotvec), axis=-1, keepdims=True)
  large = scale > 1
  scale = tf.where(large, scale, tf.ones_like(scale))
  scaled = rotvec / scale
  norm_sq = tf.reduce_sum(tf.square(scaled), axis=-1, keepdims=True)
  norm = tf.sqrt(tf.where(large, norm_sq,
                          norm_sq + tf.cast(_EPS * _EPS, rotvec.dtype)))
  angle = norm * scale
  axis = scaled / norm
  return rotation_matrix_3d.from_axis_angle(axis, angle)


def matrix_to_axis_angle(matrix):
  """Rotation matrices to rotation vectors with angle in [0, π].

  Args:
    matrix: A tensor of shape `[A1, ..., An, 3, 3]`.

  Returns:
    A tensor of shape `[A1, ..., An, 3]`.
  """
  matrix = tf.convert_to_tensor(matrix)
  if matrix.shape.rank is not None and matrix.shape[-2:] not in (
      [3, 3], [None, 3], [3, None], [None, None]):
    raise ValueError(
        f"matrix must have shape [..., 3, 3], got {matrix.shape.as_list()}.")
  axis, angle = tfg_axis_angle.from_rotation_matrix(matrix)
  rotvec = axis * angle
  # tensorflow-graphics returns NaN-free but arbitrary axes at angle 0.
  return tf.where(tf.abs(angle) < _EPS, tf.zeros_like(rotvec), rotvec)


def axis_angle_to_matrix_np(rotvec: np.ndarray) -> np.ndarray:
  """NumPy float64 Rodrigues formula, `[..., 3]` → `[..., 3, 3]`.

  Used by data generation and tools that never touch TensorFlow.
  """
  rotvec = np.asarray(rotvec, dtype=np.float64)
  if rotvec.shape[-1:] != (3,):
    raise ValueError(f"rotvec must have shape [..., 3], got {rotvec.shape}.")
  angle = np.linalg.norm(rotvec, axis=-1, keepdims=True)
  axis = rotvec / np.maximum(angle, 1e-12)
  x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
  zeros = np.zeros_like(x)
  skew = np.stack([zeros, -z, y, z, zeros, -x, -y, x, zeros],
                  axis=-1).reshape(rotvec.shape[:-1] + (3, 3))
  s = np.sin(angle)[..., None]
  c = np.cos(angle)[..., None]
  return np.eye(3) + s * skew + (1.0 - c) * (skew @ skew)
