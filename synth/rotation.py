"""NumPy rotation helpers for data generation (float64, batched, no TF).

Axis-angle vectors ("rotation vectors") are `[..., 3]`; matrices `[..., 3, 3]`.
The samplers in `synth/` run on NumPy so that a job's output depends only on
its `np.random.Generator`, never on TensorFlow's kernels or thread count.
"""

import numpy as np

from body import rotation as body_rotation


# Rodrigues' formula, `[..., 3]` -> `[..., 3, 3]`: the body model's own.
axis_angle_to_matrix = body_rotation.axis_angle_to_matrix_np


def matrix_to_axis_angle(matrix: np.ndarray) -> np.ndarray:
  """Inverse of `axis_angle_to_matrix` (angles in [0, π]), via quaternions.

  Stable at 0 and at π (Shepperd's method picks the largest quaternion term).
  """
  m = np.asarray(matrix, dtype=np.float64)
  if m.shape[-2:] != (3, 3):
    raise ValueError(f"matrix must have shape [..., 3, 3], got {m.shape}.")
  tr = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
  # Four candidate quaternions (w, x, y, z); take the best-conditioned one.
  cands = np.stack([
      np.stack([1 + tr, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0],
                m[..., 1, 0] - m[..., 0, 1]], -1),
      np.stack([m[..., 2, 1] - m[..., 1, 2], 1 + 2 * m[..., 0, 0] - tr,
                m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0]], -1),
      np.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 0, 1] + m[..., 1, 0],
                1 + 2 * m[..., 1, 1] - tr, m[..., 1, 2] + m[..., 2, 1]], -1),
      np.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0],
                m[..., 1, 2] + m[..., 2, 1], 1 + 2 * m[..., 2, 2] - tr], -1),
  ], -2)                                                     # [..., 4, 4]
  diag = np.stack([tr, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], -1)
  best = np.argmax(diag, axis=-1)
  q = np.take_along_axis(cands, best[..., None, None], axis=-2)[..., 0, :]
  q = q / np.linalg.norm(q, axis=-1, keepdims=True)
  q = np.where(q[..., :1] < 0, -q, q)                        # w ≥ 0: angle ≤ π
  w = np.clip(q[..., 0], -1.0, 1.0)
  vec = q[..., 1:]
  sin_half = np.linalg.norm(vec, axis=-1)
  angle = 2.0 * np.arctan2(sin_half, w)
  scale = np.where(sin_half < 1e-12, 2.0, angle / np.maximum(sin_half, 1e-12))
  return vec * scale[..., None]


def rot_x(angle) -> np.ndarray:
  """Rotations about +x by `angle` (radians), `[...]` -> `[..., 3, 3]`."""
  a = np.asarray(angle, dtype=np.float64)
  return axis_angle_to_matrix(np.stack([a, 0 * a, 0 * a], -1))


def rot_y(angle) -> np.ndarray:
  """Rotations about +y by `angle` (radians), `[...]` -> `[..., 3, 3]`."""
  a = np.asarray(angle, dtype=np.float64)
  return axis_angle_to_matrix(np.stack([0 * a, a, 0 * a], -1))


def rot_z(angle) -> np.ndarray:
  """Rotations about +z by `angle` (radians), `[...]` -> `[..., 3, 3]`."""
  a = np.asarray(angle, dtype=np.float64)
  return axis_angle_to_matrix(np.stack([0 * a, 0 * a, a], -1))


def mirror_axis_angle(rotvec: np.ndarray) -> np.ndarray:
  """Conjugates by the reflection x -> -x: `(x, y, z) -> (x, -y, -z)`."""
  return np.asarray(rotvec) * np.array([1.0, -1.0, -1.0])
