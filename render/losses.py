"""Render losses: keypoint reprojection and silhouette comparison.

The refinement objective of Pavlakos et al. 2018 is

    L = 10 · Σ_i ‖ŵ_i − w_i‖² + ‖Ŝ − S‖²

with ŵ the projected model keypoints, w the detected ones, Ŝ the rendered
and S the observed silhouette. Each function here returns one value per
batch element (`[B]`) so callers choose the weights and the reduction; all are
plain TF ops, usable under `tf.GradientTape` and inside `tf.function`.

Dimensions: B batch, K keypoints, H×W image.
"""

import tensorflow as tf

_EPS = 1e-6


def _check_same(a, b, name_a: str, name_b: str):
  if a.shape.rank is not None and b.shape.rank is not None and (
      not a.shape.is_compatible_with(b.shape)):
    raise ValueError(f"{name_a} and {name_b} must have the same shape; got "
                     f"{a.shape} and {b.shape}.")


def keypoint_reprojection(projected, observed, confidence=None) -> tf.Tensor:
  """Confidence-weighted squared reprojection error, `[B]`.

  Σ_k c_k · ‖ŵ_k − w_k‖² (pixels²). Keypoints with a non-finite observation or
  projection count with weight zero (and give zero, not NaN, gradients).

  Args:
    projected: `[B, K, 2]` projected model keypoints ŵ (pixels).
    observed: `[B, K, 2]` detected keypoints w (pixels).
    confidence: `[B, K]` weights c ≥ 0, or None for all ones.
  """
  projected = tf.convert_to_tensor(projected)
  observed = tf.convert_to_tensor(observed, dtype=projected.dtype)
  if projected.shape.rank != 3 or projected.shape[-1] != 2:
    raise ValueError(
        f"projected must have shape [B, K, 2]; got {projected.shape}.")
  _check_same(projected, observed, "projected", "observed")
  if confidence is None:
    confidence = tf.ones_like(projected[..., 0])
  confidence = tf.convert_to_tensor(confidence, dtype=projected.dtype)
  _check_same(confidence, projected[..., 0], "confidence",
              "projected[..., 0]")
  residual = projected - observed
  finite = tf.reduce_all(tf.math.is_finite(residual), axis=-1)
  finite &= tf.math.is_finite(confidence)
  residual = tf.where(finite[..., None], residual, tf.zeros_like(residual))
  weight = tf.where(finite, confidence, tf.zeros_like(confidence))
  return tf.reduce_sum(weight * tf.reduce_sum(tf.square(residual), -1), -1)


def _check_silhouettes(rendered, observed):
  rendered = tf.convert_to_tensor(rendered)
  observed = tf.convert_to_tensor(observed, dtype=rendered.dtype)
  if rendered.shape.rank != 3:
    raise ValueError(
        f"rendered must have shape [B, H, W]; got {rendered.shape}.")
  _check_same(rendered, observed, "rendered", "observed")
  return rendered, observed


def silhouette_l2(rendered, observed) -> tf.Tensor:
  """‖Ŝ − S‖², summed over pixels, `[B]` (the paper's silhouette term)."""
  rendered, observed = _check_silhouettes(rendered, observed)
  return tf.reduce_sum(tf.square(rendered - observed), axis=[1, 2])


def silhouette_iou(rendered, observed) -> tf.Tensor:
  """1 − soft IoU, `[B]`: 1 − Σ ŜS / Σ (Ŝ + S − ŜS); 0 for two empty images."""
  rendered, observed = _check_silhouettes(rendered, observed)
  intersection = tf.reduce_sum(rendered * observed, axis=[1, 2])
  union = tf.reduce_sum(rendered + observed - rendered * observed, axis=[1, 2])
  return 1.0 - (intersection + _EPS) / (union + _EPS)


def silhouette_bce(rendered, observed, eps: float = _EPS) -> tf.Tensor:
  """Binary cross-entropy averaged over pixels, `[B]`, with Ŝ clipped to
  [eps, 1 − eps] so saturated pixels give finite values and gradients."""
  rendered, observed = _check_silhouettes(rendered, observed)
  clipped = tf.clip_by_value(rendered, eps, 1.0 - eps)
  bce = -(observed * tf.math.log(clipped) +
          (1.0 - observed) * tf.math.log(1.0 - clipped))
  return tf.reduce_mean(bce, axis=[1, 2])
