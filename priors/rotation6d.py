"""The continuous 6D rotation representation (Zhou et al., CVPR 2019).

A rotation matrix is represented by its first two columns (6 numbers); any 6
numbers map back to a rotation by Gram–Schmidt:

    b1 = a1 / ‖a1‖,  b2 = (a2 − (b1·a2) b1) / ‖·‖,  b3 = b1 × b2,
    R = [b1 b2 b3]  (columns).

Unlike axis-angle or quaternions this map is continuous, which is why
networks regress it well. The cross product is written by components
(`cross`): `tf.linalg.cross` has no ONNX counterpart (tf2onnx converts the
graph without complaint, onnxruntime then refuses the file), and the
PosePrior's inference graph must export.
"""

import tensorflow as tf

_EPS = 1e-8


def cross(a, b):
  """The cross product of `[..., 3]` vectors by components (elementwise
  products and a stack: ONNX-exportable ops only, unlike `tf.linalg.cross`).

  Raises:
    ValueError: if the last dimension of `a` or `b` is not 3.
  """
  a, b = tf.convert_to_tensor(a), tf.convert_to_tensor(b)
  for name, v in (("a", a), ("b", b)):
    if v.shape.rank is not None and v.shape[-1] not in (None, 3):
      raise ValueError(f"{name} must have shape [..., 3], got "
                       f"{v.shape.as_list()}.")
  ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
  bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
  return tf.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx],
                  axis=-1)


def to_matrix(x):
  """6D vectors to rotation matrices.

  Args:
    x: A tensor of shape `[A1, ..., An, 6]`: (a1, a2), the raw first and
      second columns.

  Returns:
    A tensor of shape `[A1, ..., An, 3, 3]` with det = +1.

  Raises:
    ValueError: if the last dimension is not 6.
  """
  x = tf.convert_to_tensor(x)
  if x.shape.rank is not None and x.shape[-1] not in (None, 6):
    raise ValueError(f"x must have shape [..., 6], got {x.shape.as_list()}.")
  a1, a2 = x[..., :3], x[..., 3:]

  def normalize(v):
    return v * tf.math.rsqrt(
        tf.reduce_sum(tf.square(v), axis=-1, keepdims=True) +
        tf.cast(_EPS, v.dtype))

  b1 = normalize(a1)
  b2 = normalize(a2 - tf.reduce_sum(b1 * a2, axis=-1, keepdims=True) * b1)
  b3 = cross(b1, b2)
  return tf.stack([b1, b2, b3], axis=-1)


def from_matrix(matrix):
  """Rotation matrices `[..., 3, 3]` to 6D vectors `[..., 6]` (the first two
  columns)."""
  matrix = tf.convert_to_tensor(matrix)
  if matrix.shape.rank is not None and matrix.shape[-2:] not in (
      [3, 3], [None, None]):
    raise ValueError(
        f"matrix must have shape [..., 3, 3], got {matrix.shape.as_list()}.")
  return tf.concat([matrix[..., :, 0], matrix[..., :, 1]], axis=-1)
