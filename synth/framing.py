"""Camera sampling: place the body so it fills a square person crop.

The camera is a pinhole with focal length f (pixels) and the principal point
at the crop centre ((S - 1) / 2 in the pixel convention of SMPL_CONVENTIONS.md,
as `render.camera.crop_perspective_camera`):

    u = f · X / Z + (S - 1) / 2,   v = f · Y / Z + (S - 1) / 2

Default f = 1000 px for S = 256 (a 14.6° field of view): a person crop taken
from an ordinary photograph (f ≈ 1,500 px on a 1,920 px image, person ≈ 400 px
tall, rescaled to 256) has an effective focal length of this order, so
perspective is mild but present. The body is in the camera frame (global
orientation from `synth/viewpoint.py`); the camera samples only the body's
translation t, chosen so that the larger side of the body's 2D bounding box is
`scale · S` pixels and its centre sits at the crop centre plus a jitter of
`shift · S` pixels, as in LSP/MPII-style crops.
"""

import dataclasses

import numpy as np

from body import finite


@dataclasses.dataclass(frozen=True)
class CameraConfig:
  """Crop camera and framing distribution.

  Attributes:
    image_size: crop side S, pixels.
    focal_length: f, pixels (for a crop of `image_size`).
    scale_range: (lo, hi), uniform, of the bounding box's larger side as a
      fraction of S.
    shift_range: largest |offset| of the box centre from the crop centre, as a
      fraction of S (uniform per axis).
  """
  image_size: int = 256
  focal_length: float = 1000.0
  scale_range: tuple = (0.65, 0.95)
  shift_range: float = 0.06

  def __post_init__(self):
    finite.check_fields(self)
    if self.image_size <= 0 or self.focal_length <= 0:
      raise ValueError(
          f"image_size and focal_length must be positive, got "
          f"{self.image_size}, {self.focal_length}.")
    lo, hi = self.scale_range
    if not 0 < lo <= hi:
      raise ValueError(f"scale_range must satisfy 0 < lo ≤ hi, got "
                       f"{self.scale_range}.")
    if self.shift_range < 0:
      raise ValueError(f"shift_range must be ≥ 0, got {self.shift_range}.")

  @property
  def principal_point(self) -> float:
    return 0.5 * (self.image_size - 1)


def project(points: np.ndarray, focal: float, principal_point: float,
            min_depth: float = 1e-6) -> np.ndarray:
  """Pinhole projection `[..., N, 3]` -> `[..., N, 2]` pixels."""
  z = np.maximum(points[..., 2:], min_depth)
  return focal * points[..., :2] / z + principal_point


def fit_translation(points: np.ndarray, config: CameraConfig,
                    scale: np.ndarray, shift: np.ndarray,
                    iterations: int = 4) -> np.ndarray:
  """Translation putting each point cloud's box at the requested size/place.

  Args:
    points: `[B, N, 3]` camera-frame points of each body (any origin).
    config: the camera.
    scale: `[B]` target larger box side, fraction of S.
    shift: `[B, 2]` target box centre offset from the crop centre, fraction
      of S.
    iterations: fixed-point iterations (perspective makes the box size depend
      on depth; 4 rounds converge to well under a pixel).

  Returns:
    `[B, 3]` translations t (metres); the body is `points + t`.
  """
  points = np.asarray(points, dtype=np.float64)
  if points.ndim != 3 or points.shape[-1] != 3:
    raise ValueError(f"points must have shape [B, N, 3], got {points.shape}.")
  f, c, s = config.focal_length, config.principal_point, config.image_size
  # Coordinate planes [B, N]: every step below is a contiguous pass.
  x, y, z = (np.ascontiguousarray(points[..., i]) for i in range(3))
  lo = np.stack([x.min(axis=1), y.min(axis=1), z.min(axis=1)], -1)
  hi = np.stack([x.max(axis=1), y.max(axis=1), z.max(axis=1)], -1)
  extent = np.max(hi[:, :2] - lo[:, :2], axis=1)            # metres
  center3 = 0.5 * (lo + hi)
  target_size = scale * s
  target_center = c + shift * s
  depth = f * extent / target_size - center3[:, 2] + (hi[:, 2] - lo[:, 2])
  t = np.stack([-center3[:, 0], -center3[:, 1], depth], -1)

  def box(t):
    """Projected box (lo [B, 2], hi [B, 2]) of points + t (f > 0)."""
    inv = 1.0 / np.maximum(z + t[:, 2:], 1e-6)
    u = (x + t[:, :1]) * inv
    v = (y + t[:, 1:2]) * inv
    return (f * np.stack([u.min(axis=1), v.min(axis=1)], -1) + c,
            f * np.stack([u.max(axis=1), v.max(axis=1)], -1) + c)

  for _ in range(iterations):
    lo2, hi2 = box(t)
    size = np.max(hi2 - lo2, axis=1)
    z_mid = center3[:, 2] + t[:, 2]
    # Size scales as 1 / depth: rescale the centre's depth.
    new_z_mid = z_mid * size / target_size
    t[:, 2] += new_z_mid - z_mid
    lo2, hi2 = box(t)
    box_center = 0.5 * (lo2 + hi2)
    t[:, :2] += (target_center - box_center) * new_z_mid[:, None] / f
  return t


def sample_framing(rng: np.random.Generator, n: int, config: CameraConfig):
  """Samples `(scale [n], shift [n, 2])` for `fit_translation`."""
  lo, hi = config.scale_range
  scale = rng.uniform(lo, hi, n)
  shift = rng.uniform(-config.shift_range, config.shift_range, (n, 2))
  return scale, shift
