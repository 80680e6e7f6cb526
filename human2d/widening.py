"""Function-preserving widening of a trained hourglass (in the spirit of
Net2WiderNet, Chen, Goodfellow & Shlens, ICLR 2016).

    wide = hourglass.build(wider_config)
    widen_into(narrow_model, wide, seed=0)
    # wide(images) == narrow_model(images), and wide has room to learn more.

A wider preset trained from scratch on 2 CPU cores needs tens of hours to
catch up with the shipped `small` weights; started from them it begins where
they are. The two networks must have the same layers (same stacks, depth and
keypoint set; only `channels` and `stem_channels` grow). In every tensor the
narrow network's channels become the first ones of the wide network's:

- a convolution's kernel keeps the narrow kernel in its old-input → old-output
  block, has zeros in its new-input → old-output block (so the new channels
  never reach the old ones, nor the heads), and a fresh random initialisation
  in its columns for the new outputs (so they start as useful features of
  the old ones and have gradients);
- a batch normalisation keeps the narrow statistics and scales for the old
  channels and starts the new ones at the identity (γ 1, β 0, mean 0, var 1).

Residual additions, pooling and up-sampling act per channel, so the old
channels compute exactly what they computed before, in training mode (batch
statistics) as in inference mode; the heads read only old channels until
training gives the zeros a value. Where a residual's identity skip becomes a
1×1 projection (its input and output widths no longer match), the projection
starts as the identity on the old channels.
"""

from typing import Dict, List

import keras
import numpy as np

_WEIGHTED = (keras.layers.Conv2D, keras.layers.BatchNormalization)


class _Identity:
  """Stands in for a narrow residual's identity skip (a 1×1 eye kernel)."""

  def __init__(self, weights):
    self._weights = weights

  def get_weights(self):
    return self._weights


def _weighted_layers(model: keras.Model) -> Dict[str, keras.layers.Layer]:
  return {l.name: l for l in model.layers if l.weights}


def _conv(old: List[np.ndarray], new: List[np.ndarray], name: str,
          rng: np.random.Generator) -> List[np.ndarray]:
  kernel, bias = new[0].copy(), new[1].copy()
  o_kernel, o_bias = old
  kh, kw, cin, cout = o_kernel.shape
  if kernel.shape[:2] != (kh, kw):
    raise ValueError(f"{name}: kernel size {kernel.shape[:2]} ≠ {(kh, kw)}.")
  # Fresh columns for the new outputs, drawn here so the result depends only
  # on `seed` (Glorot uniform over the wide kernel's fans, Keras' default).
  fan = kh * kw * (kernel.shape[2] + kernel.shape[3])
  limit = np.sqrt(6.0 / fan)
  kernel[...] = rng.uniform(-limit, limit, kernel.shape)
  kernel[:, :, :cin, :cout] = o_kernel
  kernel[:, :, cin:, :cout] = 0.0
  bias[...] = 0.0
  bias[:cout] = o_bias
  return [kernel, bias]


def _batch_norm(old: List[np.ndarray], new: List[np.ndarray]
                ) -> List[np.ndarray]:
  out = []
  # Keras order: gamma, beta, moving_mean, moving_variance.
  for o, n, fill in zip(old, new, (1.0, 0.0, 0.0, 1.0)):
    w = np.full(n.shape, fill, n.dtype)
    w[:o.shape[0]] = o
    out.append(w)
  return out


def widen_into(narrow: keras.Model, wide: keras.Model, seed: int = 0) -> None:
  """Sets `wide`'s weights so that it computes what `narrow` computes (its
  outputs equal up to float rounding) with the extra channels free to learn.

  Raises ValueError when the two are not the same network at two widths:
  a layer missing from either, a layer that would shrink, or weights of
  another kind than convolution and batch normalisation."""
  old_layers, new_layers = _weighted_layers(narrow), _weighted_layers(wide)
  rng = np.random.default_rng(seed)
  for name in sorted(set(new_layers) - set(old_layers)):
    # A residual whose identity skip needs a projection at the new widths.
    if name.endswith("_skip") and name[:-5] + "_a_bn" in old_layers:
      width = old_layers[name[:-5] + "_a_bn"].get_weights()[0].shape[0]
      kernel = np.zeros((1, 1, width, width), np.float32)
      kernel[0, 0] = np.eye(width)
      old_layers[name] = _Identity([kernel, np.zeros(width, np.float32)])
  if set(old_layers) != set(new_layers):
    only_old = sorted(set(old_layers) - set(new_layers))[:5]
    only_new = sorted(set(new_layers) - set(old_layers))[:5]
    raise ValueError(
        "the networks differ in layers (only in the narrow one: "
        f"{only_old}; only in the wide one: {only_new}); widen only "
        "`channels` and `stem_channels` of one preset.")
  for name in sorted(new_layers):
    o_layer, n_layer = old_layers[name], new_layers[name]
    if not isinstance(n_layer, _WEIGHTED):
      raise ValueError(f"{name}: cannot widen a {type(n_layer).__name__}.")
    old = [np.asarray(w) for w in o_layer.get_weights()]
    new = [np.asarray(w) for w in n_layer.get_weights()]
    for o, n in zip(old, new):
      if any(a > b for a, b in zip(o.shape, n.shape)) or o.ndim != n.ndim:
        raise ValueError(f"{name}: {o.shape} does not fit in {n.shape}; "
                         "the wide network must be at least as wide.")
    if isinstance(n_layer, keras.layers.Conv2D):
      n_layer.set_weights(_conv(old, new, name, rng))
    else:
      n_layer.set_weights(_batch_norm(old, new))
