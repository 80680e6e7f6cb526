"""Detector-like corruption of clean 2D keypoints: a train-time augmentation.

A 2D detector is a few pixels off (more for small people and hidden joints),
misses some joints, confuses left and right now and then, and reports a
confidence. `corrupt` imitates that on the records of `synth/record.py`,
statelessly (a pure function of its seed), so it can run inside `tf.data`:

    ds = record.read_dataset(out, batch_size=64)
    ds = ds.enumerate().map(lambda i, x: corruption.corrupt_record(
        x, CorruptionConfig(), flip_pairs, seed=tf.stack([7, i])))

Steps, per sample (K keypoints in crop pixels, visibility 0/1/2):
  1. person size = the diagonal of the box around its in-frame keypoints;
     jitter ~ N(0, (σ · size)²) per coordinate, σ × `occluded_scale` for
     occluded keypoints;
  2. with probability `swap_rate` the whole left/right assignment of the
     sample is swapped (a detector's front/back confusion);
  3. confidence ~ U(visible_confidence) for visible, U(occluded_confidence)
     for occluded, 0 for out-of-frame keypoints;
  4. each keypoint dropped (confidence 0, coordinates 0) with probability
     `drop_rate` (× `occluded_scale` for occluded ones).

Shapes: keypoints `[B, K, 2]`, visibility `[B, K]`.
"""

import dataclasses
from typing import Dict, Sequence, Tuple

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class CorruptionConfig:
  """Strength of the corruption.

  Attributes:
    sigma: jitter standard deviation as a fraction of the person size (0.02
      of a 200 px tall person ≈ 4 px).
    occluded_scale: multiplies jitter and drop rate of occluded keypoints.
    drop_rate: chance that a keypoint is missed.
    swap_rate: chance that a sample's left/right labels are swapped.
    visible_confidence: (lo, hi) uniform confidence of visible keypoints.
    occluded_confidence: (lo, hi) uniform confidence of occluded keypoints.
  """
  sigma: float = 0.02
  occluded_scale: float = 2.0
  drop_rate: float = 0.05
  swap_rate: float = 0.03
  visible_confidence: Tuple[float, float] = (0.6, 1.0)
  occluded_confidence: Tuple[float, float] = (0.1, 0.5)

  def __post_init__(self):
    if min(self.sigma, self.occluded_scale, self.drop_rate,
           self.swap_rate) < 0:
      raise ValueError("corruption rates and scales must be ≥ 0.")
    if max(self.drop_rate * self.occluded_scale, self.swap_rate) > 1:
      raise ValueError("drop_rate × occluded_scale and swap_rate must be ≤ 1.")
    for lo, hi in (self.visible_confidence, self.occluded_confidence):
      if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError("confidence ranges must satisfy 0 ≤ lo ≤ hi ≤ 1.")


def person_size(keypoints, visibility) -> tf.Tensor:
  """`[B]` diagonal of the box around the in-frame keypoints (pixels)."""
  inside = tf.convert_to_tensor(visibility) > 0
  big = tf.constant(1e9, keypoints.dtype)
  lo = tf.reduce_min(tf.where(inside[..., None], keypoints, big), axis=1)
  hi = tf.reduce_max(tf.where(inside[..., None], keypoints, -big), axis=1)
  any_in = tf.reduce_any(inside, axis=1)
  return tf.where(any_in, tf.norm(hi - lo, axis=-1), tf.zeros_like(lo[:, 0]))


def flip_permutation(num_keypoints: int,
                     flip_pairs: Sequence[Tuple[int, int]]) -> tf.Tensor:
  perm = list(range(num_keypoints))
  for a, b in flip_pairs:
    perm[a], perm[b] = b, a
  return tf.constant(perm, tf.int32)


def corrupt(keypoints, visibility, config: CorruptionConfig,
            flip_pairs: Sequence[Tuple[int, int]], seed):
  """Returns (keypoints `[B, K, 2]`, confidence `[B, K]`, swapped `[B]`).

  Args:
    keypoints: `[B, K, 2]` clean keypoints, pixels.
    visibility: `[B, K]` int codes 0/1/2.
    config: a CorruptionConfig.
    flip_pairs: (left, right) keypoint index pairs (`KeypointSet.flip_pairs`).
    seed: `[2]` int seed of the stateless random ops.
  """
  keypoints = tf.convert_to_tensor(keypoints, tf.float32)
  visibility = tf.cast(visibility, tf.int32)
  if keypoints.shape.rank != 3 or keypoints.shape[-1] != 2:
    raise ValueError(f"keypoints must have shape [B, K, 2], got "
                     f"{keypoints.shape}.")
  if visibility.shape.rank != 2:
    raise ValueError(f"visibility must have shape [B, K], got "
                     f"{visibility.shape}.")
  seeds = tf.random.experimental.stateless_split(
      tf.cast(seed, tf.int64), num=5)
  shape = tf.shape(visibility)
  occluded = tf.equal(visibility, 1)
  inside = visibility > 0
  scale = tf.where(occluded, config.occluded_scale, 1.0)
  size = person_size(keypoints, visibility)
  noise = tf.random.stateless_normal(tf.shape(keypoints), seeds[0])
  noisy = keypoints + noise * (config.sigma * size[:, None, None] *
                               scale[..., None])
  swapped = tf.random.stateless_uniform(shape[:1], seeds[1]) < config.swap_rate
  perm = flip_permutation(keypoints.shape[1], flip_pairs)
  # A swap relabels: keypoint k takes the position (and visibility) of its
  # mirror partner.
  noisy = tf.where(swapped[:, None, None], tf.gather(noisy, perm, axis=1),
                   noisy)
  visibility = tf.where(swapped[:, None], tf.gather(visibility, perm, axis=1),
                        visibility)
  occluded = tf.equal(visibility, 1)
  inside = visibility > 0
  u = tf.random.stateless_uniform(shape, seeds[2])
  vis_lo, vis_hi = config.visible_confidence
  occ_lo, occ_hi = config.occluded_confidence
  confidence = tf.where(occluded, occ_lo + (occ_hi - occ_lo) * u,
                        vis_lo + (vis_hi - vis_lo) * u)
  drop_p = config.drop_rate * tf.where(occluded, config.occluded_scale, 1.0)
  dropped = tf.random.stateless_uniform(shape, seeds[3]) < drop_p
  keep = inside & ~dropped
  confidence = tf.where(keep, confidence, 0.0)
  noisy = tf.where(keep[..., None], noisy, 0.0)
  return noisy, confidence, swapped


def corrupt_record(record: Dict[str, tf.Tensor], config: CorruptionConfig,
                   flip_pairs: Sequence[Tuple[int, int]], seed
                   ) -> Dict[str, tf.Tensor]:
  """Adds `detections` `[B, K, 2]` and `confidence` `[B, K]` to a batched
  record dict from `record.read_dataset` (the clean fields are kept)."""
  out = dict(record)
  out["detections"], out["confidence"], _ = corrupt(
      record["keypoints2d"], record["visibility"], config, flip_pairs, seed)
  return out
