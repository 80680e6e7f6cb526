"""Viewpoints: turn a body orientation in the SMPL world into a camera frame.

The SMPL world is y up with the body facing +z. A camera in front of the body
at the same height sees it through `Rx(π)` (OpenCV camera: x right, y down,
z forward), the ≈180° about x that dataset fits carry. A viewpoint adds:

  * azimuth a: the body turns about the vertical by a (full circle, uniform);
  * elevation e: the camera rises by e above the body's horizon and looks
    down at it (e > 0 puts the head nearer to the camera than the feet);
  * roll r: the camera turns about its optical axis.

    R_global = Rz(r) · Rx(π) · Rx(e) · Ry(a) · R_body
"""

import dataclasses

import numpy as np

from body import finite
from synth import rotation


@dataclasses.dataclass(frozen=True)
class ViewpointConfig:
  """Distribution of viewpoints (radians).

  Attributes:
    elevation_mean: mean camera elevation (slightly above the body, as in
      photographs taken at eye level of standing people).
    elevation_std: standard deviation of the elevation.
    elevation_range: (lo, hi) truncation of the elevation.
    roll_std: standard deviation of the camera roll.
  """
  elevation_mean: float = np.radians(8.0)
  elevation_std: float = np.radians(15.0)
  elevation_range: tuple = (np.radians(-30.0), np.radians(75.0))
  roll_std: float = np.radians(5.0)

  def __post_init__(self):
    finite.check_fields(self)
    lo, hi = self.elevation_range
    if not -np.pi / 2 <= lo <= hi <= np.pi / 2:
      raise ValueError(
          f"elevation_range must satisfy -π/2 ≤ lo ≤ hi ≤ π/2, got "
          f"{self.elevation_range}.")
    if self.elevation_std < 0 or self.roll_std < 0:
      raise ValueError("elevation_std and roll_std must be ≥ 0.")


def view_rotation(azimuth, elevation, roll) -> np.ndarray:
  """`[N, 3, 3]` world-to-camera rotations `Rz(r)·Rx(π)·Rx(e)·Ry(a)`."""
  flip = np.diag([1.0, -1.0, -1.0])
  return (rotation.rot_z(roll) @ flip @ rotation.rot_x(elevation)
          @ rotation.rot_y(azimuth))


def sample_view_rotations(rng: np.random.Generator, n: int,
                          config: ViewpointConfig = ViewpointConfig()
                          ) -> np.ndarray:
  """Samples `[n, 3, 3]` world-to-camera rotations."""
  azimuth = rng.uniform(0.0, 2 * np.pi, n)
  lo, hi = config.elevation_range
  elevation = np.clip(
      config.elevation_mean + config.elevation_std * rng.standard_normal(n),
      lo, hi)
  roll = config.roll_std * rng.standard_normal(n)
  return view_rotation(azimuth, elevation, roll)


def apply_view(theta: np.ndarray, view: np.ndarray) -> np.ndarray:
  """Replaces θ's root by `view · R_root` (a copy). θ `[N, 72]`, view
  `[N, 3, 3]`."""
  theta = np.array(theta, dtype=np.float64)
  root = rotation.axis_angle_to_matrix(theta[:, :3])
  theta[:, :3] = rotation.matrix_to_axis_angle(view @ root)
  return theta
