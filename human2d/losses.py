"""Human2D's loss: `λ·MSE(heatmaps) + CE(silhouette)`, summed over stacks
(Pavlakos et al. 2018, λ = 100; intermediate supervision as Newell et al.).

Dimensions: B batch, N stacks, M heatmap side, K keypoints.

* MSE is the mean of (ĥ − h)² over the pixels of the keypoints a source
  labels (weight 1), so unlabelled points (LSP has no face points) and points
  outside the crop add nothing.
* CE is the per-pixel softmax cross-entropy of the 2-channel silhouette
  (0 background, 1 body) against the body coverage in [0, 1], averaged over
  the pixels of the examples that have a silhouette (photos have none).
"""

from typing import Dict

import tensorflow as tf


def heatmap_mse(predicted, target, weights, foreground_weight: float = 0.0):
  """Masked heatmap MSE of one stack.

  Args:
    predicted, target: `[B, M, M, K]`.
    weights: `[B, K]` 0/1.
    foreground_weight: each pixel's squared error is weighted by
      1 + foreground_weight · target (0: the plain MSE of the paper). A few
      percent of the pixels carry the peaks; weighting them keeps a network
      from settling on all-zero maps early in training.
  """
  sq = tf.square(predicted - target)
  if foreground_weight:
    sq *= 1.0 + foreground_weight * target
  err = tf.reduce_mean(sq, axis=[1, 2])  # [B, K]
  return tf.math.divide_no_nan(tf.reduce_sum(err * weights),
                               tf.reduce_sum(weights))


def silhouette_ce(logits, coverage, has_silhouette):
  """Masked silhouette cross-entropy of one stack.

  Args:
    logits: `[B, M, M, 2]`.
    coverage: `[B, M, M]` body fraction in [0, 1].
    has_silhouette: `[B]` 0/1.
  """
  labels = tf.stack([1.0 - coverage, coverage], axis=-1)
  ce = tf.nn.softmax_cross_entropy_with_logits(labels, logits)
  per_example = tf.reduce_mean(ce, axis=[1, 2])
  return tf.math.divide_no_nan(tf.reduce_sum(per_example * has_silhouette),
                               tf.reduce_sum(has_silhouette))


def total(heatmaps, silhouettes, batch: Dict[str, tf.Tensor],
          heatmap_weight: float = 100.0,
          foreground_weight: float = 0.0) -> Dict[str, tf.Tensor]:
  """The loss of all stacks.

  Args:
    heatmaps: `[B, N, M, M, K]` predictions of every stack.
    silhouettes: `[B, N, M, M, 2]` logits of every stack.
    batch: with `heatmaps` `[B, M, M, K]`, `weights` `[B, K]`,
      `silhouette` `[B, M, M]`, `has_silhouette` `[B]`.
    heatmap_weight: λ.
    foreground_weight: see `heatmap_mse`.

  Returns:
    {"heatmap": Σ_stacks MSE, "silhouette": Σ_stacks CE, "total": λ·heatmap
    + silhouette}.
  """
  heatmaps = tf.cast(heatmaps, tf.float32)
  silhouettes = tf.cast(silhouettes, tf.float32)
  if heatmaps.shape.rank != 5 or silhouettes.shape.rank != 5:
    raise ValueError(f"predictions must be [B, N, M, M, ·], got "
                     f"{heatmaps.shape} and {silhouettes.shape}.")
  n = heatmaps.shape[1]
  batch = {k: tf.cast(batch[k], tf.float32) for k in (
      "heatmaps", "weights", "silhouette", "has_silhouette")}
  mse = tf.add_n([heatmap_mse(heatmaps[:, i], batch["heatmaps"],
                              batch["weights"], foreground_weight)
                  for i in range(n)])
  ce = tf.add_n([silhouette_ce(silhouettes[:, i], batch["silhouette"],
                               batch["has_silhouette"]) for i in range(n)])
  return {"heatmap": mse, "silhouette": ce, "total": heatmap_weight * mse + ce}
