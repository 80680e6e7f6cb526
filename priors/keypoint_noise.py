"""Detector-like corruption of ground-truth 2D keypoints, in TensorFlow.

A 2D detector (e.g. HRNet on a 256² person crop) is usually a few pixels off,
misses or down-weights occluded joints, and now and then places a keypoint on
the wrong limb. `corrupt` imitates that on normalised crop coordinates
([−1, 1], see `priors.pose_prior.normalize_keypoints`) so the PosePrior can be
trained and evaluated on inputs like the ones it will see:

  1. Gaussian jitter with standard deviation `sigma` (normalised units; 0.04
     ≈ 5 px on a 256 crop), 1.5× larger for occluded keypoints;
  2. confidence ~ U(visible_confidence) for visible, U(occluded_confidence)
     for occluded keypoints, 0 outside the crop;
  3. each keypoint dropped (confidence 0) with probability `drop_rate`
     (occluded ones with 3× that);
  4. each keypoint replaced, with probability `outlier_rate`, by a point
     within `outlier_radius` of another random keypoint (a wrong-limb
     detection), with a confidence in U(occluded_confidence).

Visibility codes are synth's: 0 out of frame, 1 occluded, 2 visible.
Shapes: keypoints `[B, K, 2]`, visibility `[B, K]`.
"""

import dataclasses
from typing import Tuple

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class NoiseConfig:
  """Strength of the corruption (all zero/one = clean inputs).

  Attributes:
    sigma: jitter standard deviation, normalised crop units.
    drop_rate: chance a visible keypoint is missed.
    outlier_rate: chance a keypoint is placed near another one.
    outlier_radius: spread of an outlier around the keypoint it copies.
    visible_confidence: (lo, hi) uniform confidence of visible keypoints.
    occluded_confidence: (lo, hi) uniform confidence of occluded keypoints.
  """
  sigma: float = 0.04
  drop_rate: float = 0.03
  outlier_rate: float = 0.02
  outlier_radius: float = 0.05
  visible_confidence: Tuple[float, float] = (0.6, 1.0)
  occluded_confidence: Tuple[float, float] = (0.2, 0.6)

  def __post_init__(self):
    object.__setattr__(self, "visible_confidence",
                       tuple(self.visible_confidence))
    object.__setattr__(self, "occluded_confidence",
                       tuple(self.occluded_confidence))
    if min(self.sigma, self.drop_rate, self.outlier_rate,
           self.outlier_radius) < 0:
      raise ValueError("noise rates and scales must be ≥ 0.")
    for lo, hi in (self.visible_confidence, self.occluded_confidence):
      if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError("confidence ranges must satisfy 0 ≤ lo ≤ hi ≤ 1.")


CLEAN = NoiseConfig(sigma=0.0, drop_rate=0.0, outlier_rate=0.0,
                    visible_confidence=(1.0, 1.0),
                    occluded_confidence=(1.0, 1.0))


def clean_confidence(visibility):
  """`[B, K]` 1 inside the crop (occluded or not), 0 outside."""
  return tf.cast(tf.convert_to_tensor(visibility) > 0, tf.float32)


def corrupt(keypoints, visibility, config: NoiseConfig, seed):
  """Returns (noisy keypoints `[B, K, 2]`, confidence `[B, K]`).

  Args:
    keypoints: `[B, K, 2]` ground-truth normalised keypoints.
    visibility: `[B, K]` int codes 0/1/2.
    config: a NoiseConfig.
    seed: `[2]` int seed for the stateless random ops (deterministic).
  """
  keypoints = tf.convert_to_tensor(keypoints, tf.float32)
  visibility = tf.convert_to_tensor(visibility)
  if keypoints.shape.rank != 3 or keypoints.shape[-1] != 2:
    raise ValueError(f"keypoints must have shape [B, K, 2], got "
                     f"{keypoints.shape.as_list()}.")
  shape = tf.shape(keypoints)
  b, k = shape[0], shape[1]
  seeds = tf.random.experimental.stateless_split(
      tf.cast(seed, tf.int64), num=7)
  occluded = tf.equal(visibility, 1)
  inside = visibility > 0
  c = config

  sigma = tf.where(occluded, 1.5 * c.sigma, c.sigma)[..., None]
  noisy = keypoints + sigma * tf.random.stateless_normal(shape, seeds[0])

  def uniform(rng, lo_hi, s):
    return tf.random.stateless_uniform([b, k], s, lo_hi[0], lo_hi[1] + 1e-9)
  confidence = tf.where(occluded,
                        uniform(None, c.occluded_confidence, seeds[1]),
                        uniform(None, c.visible_confidence, seeds[2]))

  # Wrong-limb detections: copy another keypoint of the same body, jittered.
  other = tf.random.stateless_uniform([b, k], seeds[3], 0, k, dtype=tf.int32)
  copied = tf.gather(keypoints, other, batch_dims=1) + (
      c.outlier_radius * tf.random.stateless_normal(shape, seeds[4]))
  is_outlier = tf.random.stateless_uniform([b, k], seeds[5]) < c.outlier_rate
  noisy = tf.where(is_outlier[..., None], copied, noisy)
  confidence = tf.where(is_outlier,
                        uniform(None, c.occluded_confidence, seeds[1]) * 0.9,
                        confidence)

  drop = tf.where(occluded, 3.0 * c.drop_rate, c.drop_rate)
  dropped = tf.random.stateless_uniform([b, k], seeds[6]) < drop
  confidence = tf.where(dropped | ~inside, tf.zeros_like(confidence),
                        confidence)
  noisy = noisy * tf.cast(confidence > 0, noisy.dtype)[..., None]
  return noisy, confidence
