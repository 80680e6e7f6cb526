"""Detector-like corruption of clean 2D keypoints: a train-time augmentation
and the "detector-like noise" of the priors' evaluation.

A 2D detector is a few pixels off (more for hidden joints), misses some
joints, puts one on the wrong limb now and then, confuses left and right,
and reports a confidence. `corrupt` imitates that statelessly (a pure
function of its seed), so it runs inside `tf.data`:

    ds = record.read_dataset(out, batch_size=64)
    ds = ds.enumerate().map(lambda i, x: corruption.corrupt_record(
        x, CorruptionConfig(), flip_pairs, seed=tf.stack([7, i])))

Every scale is a fraction of the person's size, so the same config serves
crop pixels and the priors' normalised crop coordinates alike. Steps, per
sample (K keypoints, visibility 0 out of frame / 1 occluded / 2 visible):
  1. person size = the diagonal of the box around its in-frame keypoints;
     jitter ~ N(0, (σ · size)²) per coordinate, σ × `occluded_scale` for
     occluded keypoints;
  2. with probability `outlier_rate` a keypoint is replaced by another
     keypoint of the same person, jittered by `outlier_sigma` · size (a
     wrong-limb detection), with a low confidence;
  3. with probability `mirror_rate` a keypoint with a left/right partner is
     placed on its partner instead (jittered by `outlier_sigma` · size: both
     ankles on one leg, the commonest gross error of a 2D network on bodies
     seen from the side or back), with its ordinary confidence: measured on
     the shipped Human2D, such points are nearly as confident as good ones;
  4. with probability `swap_rate` the whole left/right assignment of the
     sample is swapped (a detector's front/back confusion);
  5. confidence ~ U(visible_confidence) for visible, U(occluded_confidence)
     for occluded, 0 for out-of-frame keypoints;
  6. each keypoint dropped (confidence 0, coordinates 0) with probability
     `drop_rate` (`occluded_drop_rate` for occluded ones).

The defaults are the noise the shipped priors are trained and evaluated
with, calibrated to a 2D detector's published accuracy in its own units,
MPII's PCKh (the fraction of keypoints within α head sizes, a missed one
counting as wrong; `priors.evaluation` measures it on every input it feeds):
a one-stack hourglass at 256² input scores PCKh@0.5 = 88.9 % and
PCKh@0.1 = 31.7 % on MPII val (mmpose's model zoo). On synth's samples
(person box diagonal ≈ 195 px, head size ≈ 24 px in a 256² crop) the defaults
give ≈ 89 % and ≈ 31 %: σ = 0.0125 (≈ 2.4 px per coordinate for visible,
3.7 px for occluded keypoints) sets the fine accuracy, and the gross errors
(3 % of visible and 16 % of occluded keypoints missed, 5 % on a wrong limb)
the rest. `HEAVY`, the earlier default, has twice the jitter and fewer gross
errors (PCKh@0.5 ≈ 82 %, PCKh@0.1 ≈ 9 %): a stress test, not a detector.
Left/right swaps and mirror errors are off by default; `HUMAN2D_LIKE` has
the gross-error mix measured on the shipped Human2D (below).

Shapes: keypoints `[B, K, 2]`, visibility `[B, K]`.
"""

import dataclasses
from typing import Dict, Sequence, Tuple

import numpy as np
import tensorflow as tf

from body import finite
from body import keypoints as keypoints_lib


@dataclasses.dataclass(frozen=True)
class CorruptionConfig:
  """Strength of the corruption.

  Attributes:
    sigma: jitter standard deviation as a fraction of the person size.
    occluded_scale: multiplies the jitter of occluded keypoints.
    drop_rate: chance that a visible keypoint is missed.
    occluded_drop_rate: chance that an occluded keypoint is missed.
    outlier_rate: chance that a keypoint is placed near another one.
    outlier_sigma: spread of an outlier around the keypoint it copies, as a
      fraction of the person size.
    mirror_rate: chance that a keypoint with a left/right partner is placed
      on that partner (when it is in frame).
    swap_rate: chance that a sample's left/right labels are swapped.
    visible_confidence: (lo, hi) uniform confidence of visible keypoints.
    occluded_confidence: (lo, hi) uniform confidence of occluded keypoints
      (outliers get 0.9 × a draw from it).
  """
  sigma: float = 0.0125
  occluded_scale: float = 1.5
  drop_rate: float = 0.03
  occluded_drop_rate: float = 0.16
  outlier_rate: float = 0.05
  outlier_sigma: float = 0.033
  mirror_rate: float = 0.0
  swap_rate: float = 0.0
  visible_confidence: Tuple[float, float] = (0.6, 1.0)
  occluded_confidence: Tuple[float, float] = (0.2, 0.6)

  def __post_init__(self):
    finite.check_fields(self)
    # Floats throughout (ints from JSON or callers would make int tensors).
    for f in dataclasses.fields(self):
      value = getattr(self, f.name)
      object.__setattr__(self, f.name, tuple(map(float, value))
                         if isinstance(value, (tuple, list)) else float(value))
    rates = ("drop_rate", "occluded_drop_rate", "outlier_rate",
             "mirror_rate", "swap_rate")
    for name in ("sigma", "occluded_scale", "outlier_sigma") + rates:
      value = getattr(self, name)
      if value < 0 or (name in rates and value > 1):
        raise ValueError(f"CorruptionConfig.{name} must be ≥ 0"
                         f"{' and ≤ 1' if name in rates else ''}, got "
                         f"{value}.")
    for name in ("visible_confidence", "occluded_confidence"):
      lo, hi = getattr(self, name)
      if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"CorruptionConfig.{name} must satisfy 0 ≤ lo ≤ "
                         f"hi ≤ 1, got {(lo, hi)}.")


CLEAN = CorruptionConfig(sigma=0.0, drop_rate=0.0, occluded_drop_rate=0.0,
                         outlier_rate=0.0, swap_rate=0.0,
                         visible_confidence=(1.0, 1.0),
                         occluded_confidence=(1.0, 1.0))
# The defaults before they were calibrated to PCKh (see the module docstring):
# twice the jitter and fewer gross errors, PCKh@0.1 ≈ 9 %, PCKh@0.5 ≈ 82 %.
HEAVY = CorruptionConfig(sigma=0.026, occluded_drop_rate=0.09,
                         outlier_rate=0.02)
# The errors of the shipped Human2D (run 17) on 48 held-out rendered people
# (`pipeline.evaluate`'s crops, 1,102 labelled keypoints, 2026-12-04): good
# points off by 0.0176 of the person size per coordinate; 21 % of the points
# whose partner is in frame sit on that partner (within 0.2 torso of it and
# more than 0.2 torso from their own truth); 15 % of all labelled points are
# other gross errors (confidence 0.54 on average, against 0.74 for good points
# and 0.71 for the mirrored ones); none is ever missing (the network always
# answers). A disjoint set (seed 777, 96 images) gave 0.0172, 23 % and 15 %.
HUMAN2D_LIKE = CorruptionConfig(sigma=0.0176, drop_rate=0.0,
                                occluded_drop_rate=0.0, outlier_rate=0.15,
                                mirror_rate=0.21,
                                visible_confidence=(0.55, 0.95))
PRESETS = {"detector": CorruptionConfig(), "heavy": HEAVY,
           "human2d": HUMAN2D_LIKE, "clean": CLEAN}


def person_size(keypoints, visibility) -> tf.Tensor:
  """`[B]` diagonal of the box around the in-frame keypoints (pixels)."""
  inside = tf.convert_to_tensor(visibility) > 0
  big = tf.constant(1e9, keypoints.dtype)
  lo = tf.reduce_min(tf.where(inside[..., None], keypoints, big), axis=1)
  hi = tf.reduce_max(tf.where(inside[..., None], keypoints, -big), axis=1)
  any_in = tf.reduce_any(inside, axis=1)
  return tf.where(any_in, tf.norm(hi - lo, axis=-1), tf.zeros_like(lo[:, 0]))


def corrupt(keypoints, visibility, config: CorruptionConfig,
            flip_pairs: Sequence[Tuple[int, int]], seed):
  """Returns (keypoints `[B, K, 2]`, confidence `[B, K]`, swapped `[B]`).

  Args:
    keypoints: `[B, K, 2]` clean keypoints (pixels or normalised units).
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
      tf.cast(seed, tf.int64), num=7)
  shape = tf.shape(visibility)
  occluded = tf.equal(visibility, 1)
  scale = tf.where(occluded, config.occluded_scale, 1.0)
  size = person_size(keypoints, visibility)[:, None, None]
  noise = tf.random.stateless_normal(tf.shape(keypoints), seeds[0])
  noisy = keypoints + noise * (config.sigma * size * scale[..., None])
  # Wrong-limb detections: another keypoint of the same person, jittered.
  other = tf.random.stateless_uniform(shape, seeds[4], 0, shape[1],
                                      dtype=tf.int32)
  copied = tf.gather(keypoints, other, batch_dims=1) + (
      config.outlier_sigma * size *
      tf.random.stateless_normal(tf.shape(keypoints), seeds[5]))
  is_outlier = tf.random.stateless_uniform(shape, seeds[6]) < (
      config.outlier_rate)
  noisy = tf.where(is_outlier[..., None], copied, noisy)
  perm = keypoints_lib.flip_permutation(keypoints.shape[1], flip_pairs)
  if config.mirror_rate > 0:
    # Seeds of their own, so the other draws stay those of a config without.
    mirror_seeds = tf.random.experimental.stateless_split(
        tf.random.experimental.stateless_fold_in(
            tf.cast(seed, tf.int64), 101), num=2)
    paired = tf.constant(perm != np.arange(len(perm)))
    partner_in = tf.gather(visibility, perm, axis=1) > 0
    mirrored = (tf.random.stateless_uniform(shape, mirror_seeds[0])
                < config.mirror_rate) & paired & partner_in & ~is_outlier
    on_partner = tf.gather(keypoints, perm, axis=1) + (
        config.outlier_sigma * size *
        tf.random.stateless_normal(tf.shape(keypoints), mirror_seeds[1]))
    noisy = tf.where(mirrored[..., None], on_partner, noisy)
  swapped = tf.random.stateless_uniform(shape[:1], seeds[1]) < config.swap_rate
  # A swap relabels: keypoint k takes the position (and visibility) of its
  # mirror partner.
  noisy = tf.where(swapped[:, None, None], tf.gather(noisy, perm, axis=1),
                   noisy)
  visibility = tf.where(swapped[:, None], tf.gather(visibility, perm, axis=1),
                        visibility)
  is_outlier = tf.where(swapped[:, None], tf.gather(is_outlier, perm, axis=1),
                        is_outlier)
  occluded = tf.equal(visibility, 1)
  inside = visibility > 0
  u = tf.random.stateless_uniform(shape, seeds[2])
  vis_lo, vis_hi = config.visible_confidence
  occ_lo, occ_hi = config.occluded_confidence
  low = occ_lo + (occ_hi - occ_lo) * u
  confidence = tf.where(occluded, low, vis_lo + (vis_hi - vis_lo) * u)
  confidence = tf.where(is_outlier, 0.9 * low, confidence)
  drop_p = tf.where(occluded, config.occluded_drop_rate, config.drop_rate)
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
