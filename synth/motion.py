"""Synthetic motion clips: poses interpolated between prior samples, seen by
a moving camera.

    clip = motion.sample_clip(generator, rng, MotionConfig(frames=60))
    clip.batch            # SampleBatch, one sample per frame (ground truth)

A clip is one person (one β) whose pose passes through `keys` plausible
poses from the generator's pose distribution, each joint slerped between
consecutive keys with smoothstep easing (velocity 0 at the keys, as people
pause between movements). The camera orbits: its azimuth moves linearly by
up to `max_orbit` radians over the clip, and the framing (box size and
offset in the crop) moves linearly between two draws. The ground truth
(`SampleBatch`: camera-frame θ, joints, keypoints) comes from
`SampleGenerator.render`; `synth.images.ImageRenderer.render_samples` with
the same `rng` state for every frame turns it into a video of one person
in one scene (with `occluder_probability` and `shadow_probability` 0: an
occluder follows a keypoint, and a contact shadow changes the draws that
follow it).
"""

import dataclasses
from typing import NamedTuple

import numpy as np
from scipy.spatial.transform import Rotation
from scipy.spatial.transform import Slerp

from synth import framing
from synth import sample as sample_lib
from synth import shape_prior
from synth import viewpoint


@dataclasses.dataclass(frozen=True)
class MotionConfig:
  """One clip's length and motion.

  Attributes:
    frames: T, frames of the clip.
    keys: poses the body passes through (≥ 2), spread evenly over the clip.
    max_orbit: the largest camera azimuth change over the clip, radians.
  """
  frames: int = 60
  keys: int = 4
  max_orbit: float = 1.0

  def __post_init__(self):
    if self.keys < 2 or self.frames < self.keys:
      raise ValueError(f"need keys ≥ 2 and frames ≥ keys, got keys="
                       f"{self.keys}, frames={self.frames}.")
    if self.max_orbit < 0:
      raise ValueError(f"max_orbit must be ≥ 0, got {self.max_orbit}.")


class Clip(NamedTuple):
  """A clip's ground truth: `batch` (one sample per frame) and its body-frame
  poses `theta_body` `[T, 72]` (before the view)."""
  batch: sample_lib.SampleBatch
  theta_body: np.ndarray


def interpolate_poses(keys: np.ndarray, frames: int) -> np.ndarray:
  """`[T, 72]` axis-angle poses through the `[K, 72]` `keys` (module doc)."""
  keys = np.asarray(keys, np.float64)
  if keys.ndim != 2 or keys.shape[1] % 3 or len(keys) < 2:
    raise ValueError(f"keys must be [K ≥ 2, 3J], got {keys.shape}.")
  k, joints = len(keys), keys.shape[1] // 3
  # Key k sits at clip position k / (K − 1); ease within each segment.
  pos = np.linspace(0.0, k - 1, frames)
  seg = np.minimum(pos.astype(int), k - 2)
  u = pos - seg
  eased = seg + u * u * (3.0 - 2.0 * u)
  out = np.empty((frames, joints, 3))
  for j in range(joints):
    rots = Rotation.from_rotvec(keys[:, 3 * j:3 * j + 3])
    out[:, j] = Slerp(np.arange(k), rots)(eased).as_rotvec()
  return out.reshape(frames, -1)


def sample_clip(generator: sample_lib.SampleGenerator,
                rng: np.random.Generator, config: MotionConfig) -> Clip:
  """One clip's ground truth; a pure function of `rng`'s state."""
  cfg = generator.config
  keys, _ = generator.sample_poses(rng, config.keys)
  theta_body = interpolate_poses(keys, config.frames)
  betas = shape_prior.sample_betas(rng, 1, cfg.shape).astype(np.float32)
  view = cfg.view
  azimuth0 = rng.uniform(0.0, 2 * np.pi)
  orbit = rng.uniform(-config.max_orbit, config.max_orbit)
  elevation = np.clip(view.elevation_mean + view.elevation_std *
                      rng.standard_normal(), *view.elevation_range)
  roll = view.roll_std * rng.standard_normal()
  t = np.linspace(0.0, 1.0, config.frames)
  views = viewpoint.view_rotation(azimuth0 + orbit * t,
                                  np.full_like(t, elevation),
                                  np.full_like(t, roll))
  scale, shift = framing.sample_framing(rng, 2, cfg.camera)
  scale = scale[0] + (scale[1] - scale[0]) * t
  shift = shift[0] + (shift[1] - shift[0]) * t[:, None]
  theta = viewpoint.apply_view(theta_body, views).astype(np.float32)
  batch = generator.render(theta, np.repeat(betas, config.frames, axis=0),
                           scale, shift)
  return Clip(batch=batch, theta_body=theta_body.astype(np.float32))


def frame(batch: sample_lib.SampleBatch, t: int) -> sample_lib.SampleBatch:
  """Frame `t` of a clip's batch, as a batch of one."""
  return sample_lib.SampleBatch(**{
      f.name: getattr(batch, f.name)[t:t + 1]
      for f in dataclasses.fields(batch)})
