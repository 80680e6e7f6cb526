"""Cameras: pinhole perspective and weak perspective (HMR / SPIN), in pixels.

Conventions (see shared/SMPL_CONVENTIONS.md): points are in the camera frame
with OpenCV axes (x right, y down, z forward, metres); pixel coordinates have
their origin at the centre of the top-left pixel, x right, y down. Cameras
carry intrinsics only: put a body in front of the camera with its translation.

Dimensions: B batch, N points.

  PerspectiveCamera(focal [B, 2], principal_point [B, 2])
      u = f_x · X / Z + c_x,   v = f_y · Y / Z + c_y
  WeakPerspectiveCamera(scale [B], translation [B, 2], crop_size S)
      u = S/2 · s · (X + t_x) + (S − 1)/2   (the same for v with t_y)

The weak-perspective camera is HMR's `s · (X + t) ∈ [−1, 1]` mapped onto a
square crop of S pixels (−1 and 1 are the outer edges of the crop). It equals
the perspective camera with the principal point at the crop centre and the
body translated by (t_x, t_y, t_z = 2f / (S · s)) when the body's depth extent
is small against t_z (SPIN's conversion); see `weak_perspective_to_translation`
and `translation_to_weak_perspective`.

`project` is for keypoints and losses: depths below `min_depth` are clamped
so the output is always finite. `transform_points_screen` is for the
rasterizers: it returns (u, v, depth) and leaves points the camera cannot see
to the rasterizer, which drops faces touching them.
"""

import dataclasses

import tensorflow as tf

_MIN_DEPTH = 1e-6


def _check_points(points) -> tf.Tensor:
  points = tf.convert_to_tensor(points)
  if points.shape.rank != 3 or points.shape[-1] != 3:
    raise ValueError(
        f"points must have shape [B, N, 3]; got {points.shape}.")
  return points


def _batch_vector(value, name: str, size: int, dtype) -> tf.Tensor:
  """`value` as a `[B, size]` tensor (a scalar or `[size]` is broadcast later)."""
  value = tf.convert_to_tensor(value, dtype=dtype)
  if value.shape.rank == 0:
    value = tf.fill([1, size], value)
  elif value.shape.rank == 1:
    if size == 1:
      value = value[:, None]
    elif value.shape[0] == size:
      value = value[None, :]
    else:
      raise ValueError(f"{name} must have shape [B, {size}] or [{size}]; "
                       f"got {value.shape}.")
  if value.shape.rank != 2 or value.shape[-1] != size:
    raise ValueError(
        f"{name} must have shape [B, {size}]; got {value.shape}.")
  return value


@dataclasses.dataclass(frozen=True)
class PerspectiveCamera:
  """A pinhole camera with square pixels allowed to differ in x and y.

  Attributes:
    focal: `[B, 2]` (or `[2]`, or a scalar) focal lengths (f_x, f_y), pixels.
    principal_point: `[B, 2]` (or `[2]`) principal point (c_x, c_y), pixels.
  """
  focal: tf.Tensor
  principal_point: tf.Tensor

  def _intrinsics(self, dtype):
    focal = _batch_vector(self.focal, "focal", 2, dtype)
    principal_point = _batch_vector(self.principal_point, "principal_point", 2,
                                    dtype)
    return focal[:, None, :], principal_point[:, None, :]

  def project(self, points, min_depth: float = _MIN_DEPTH) -> tf.Tensor:
    """Projects camera-frame points to pixels, clamping depth to `min_depth`.

    Args:
      points: `[B, N, 3]` points in the camera frame (metres).
      min_depth: smaller depths (including negative ones) are clamped to it,
        so points behind the camera give finite pixels and finite gradients
        (zero with respect to their depth). Non-finite points give NaN pixels
        and zero gradients.

    Returns:
      `[B, N, 2]` pixel coordinates.
    """
    points = _check_points(points)
    focal, principal_point = self._intrinsics(points.dtype)
    # Non-finite points are swapped for (0, 0, 1) before the division and
    # their pixels set to NaN after it, so their gradients are zero (not
    # NaN); tf.maximum clamps the depth with a zero gradient below it.
    # tensorflow_graphics' perspective.project (a test checks it computes
    # the same for visible points) has no such guards and is faster: 2.3x
    # in the forward pass for B = 16, N = 6890 on a loaded 2-core CPU
    # (python -m benchmarks.camera). The guards cost that time; they keep
    # points behind the camera and non-finite vertices out of the gradients.
    finite = tf.reduce_all(tf.math.is_finite(points), axis=-1, keepdims=True)
    safe = tf.where(finite, points, tf.constant([0.0, 0.0, 1.0], points.dtype))
    depth = tf.maximum(safe[..., 2:], tf.cast(min_depth, points.dtype))
    projected = focal * safe[..., :2] / depth + principal_point
    return tf.where(finite, projected,
                    tf.constant(float("nan"), points.dtype))

  def transform_points_screen(self, points,
                              min_depth: float = _MIN_DEPTH) -> tf.Tensor:
    """`[B, N, 3]` (u, v, depth): pixels and the camera-frame depth Z.

    Points with Z ≤ `min_depth` get finite (u, v) computed with a clamped
    depth, and their true depth, so the rasterizer's near plane drops them.
    """
    points = _check_points(points)
    return tf.concat([self.project(points, min_depth), points[..., 2:]],
                     axis=-1)


@dataclasses.dataclass(frozen=True)
class WeakPerspectiveCamera:
  """HMR / SPIN weak perspective on a square crop.

  Attributes:
    scale: `[B]` scale s (the crop spans s · (X + t) ∈ [−1, 1]).
    translation: `[B, 2]` translation (t_x, t_y), metres.
    crop_size: the crop side S in pixels.
  """
  scale: tf.Tensor
  translation: tf.Tensor
  crop_size: int

  def __post_init__(self):
    if int(self.crop_size) <= 0:
      raise ValueError(f"crop_size must be positive; got {self.crop_size}.")

  def project(self, points) -> tf.Tensor:
    """Projects `[B, N, 3]` points to `[B, N, 2]` pixels (depth is ignored)."""
    points = _check_points(points)
    scale = _batch_vector(self.scale, "scale", 1, points.dtype)[:, None, :]
    translation = _batch_vector(self.translation, "translation", 2,
                                points.dtype)[:, None, :]
    half = 0.5 * self.crop_size
    normalized = scale * (points[..., :2] + translation)
    return normalized * half + (half - 0.5)

  def transform_points_screen(self, points) -> tf.Tensor:
    """`[B, N, 3]` (u, v, Z). Rasterize with `z_near=None` and
    `perspective_correct=False`: depth here is only for ordering."""
    points = _check_points(points)
    return tf.concat([self.project(points), points[..., 2:]], axis=-1)


def weak_perspective_to_translation(scale, translation, focal,
                                    crop_size: int) -> tf.Tensor:
  """SPIN's conversion: `[B, 3]` translation (t_x, t_y, 2f / (S · s)).

  Args:
    scale: `[B]` weak-perspective scale s (positive).
    translation: `[B, 2]` weak-perspective (t_x, t_y).
    focal: focal length f in pixels (a scalar or `[B]`), the principal point
      being the crop centre.
    crop_size: the crop side S in pixels.
  """
  translation = tf.convert_to_tensor(translation)
  if translation.shape.rank != 2 or translation.shape[-1] != 2:
    raise ValueError(
        f"translation must have shape [B, 2]; got {translation.shape}.")
  scale = tf.convert_to_tensor(scale, dtype=translation.dtype)
  focal = tf.convert_to_tensor(focal, dtype=translation.dtype)
  if scale.shape.rank != 1:
    raise ValueError(f"scale must have shape [B]; got {scale.shape}.")
  depth = 2.0 * focal / (crop_size * scale)
  return tf.concat([translation, depth[:, None]], axis=-1)


def translation_to_weak_perspective(translation, focal, crop_size: int):
  """Inverse of `weak_perspective_to_translation`: returns (scale [B],
  translation [B, 2])."""
  translation = tf.convert_to_tensor(translation)
  if translation.shape.rank != 2 or translation.shape[-1] != 3:
    raise ValueError(
        f"translation must have shape [B, 3]; got {translation.shape}.")
  focal = tf.convert_to_tensor(focal, dtype=translation.dtype)
  scale = 2.0 * focal / (crop_size * translation[:, 2])
  return scale, translation[:, :2]


def crop_perspective_camera(focal, crop_size: int,
                            batch_size: int) -> PerspectiveCamera:
  """The perspective camera SPIN pairs with a weak-perspective crop: focal f,
  principal point at the crop centre ((S − 1)/2 in our pixel convention)."""
  focal = tf.convert_to_tensor(focal, tf.float32)
  center = 0.5 * (crop_size - 1)
  return PerspectiveCamera(
      focal=tf.broadcast_to(tf.reshape(focal, [-1, 1]), [batch_size, 2]),
      principal_point=tf.fill([batch_size, 2], center))
