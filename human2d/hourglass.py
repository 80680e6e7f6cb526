"""The stacked hourglass (Newell, Yang & Deng, ECCV 2016) with a silhouette
head, as Pavlakos et al. (CVPR 2018) use it.

    model = build(config)                    # config: human2d.config.ModelConfig
    heatmaps, silhouette = model(images)     # images: [B, S, S, 3] 0..255

Dimensions: B batch, S = `input_size`, M = S / 4 heatmap side, N stacks,
K keypoints. Outputs keep every stack for intermediate supervision:
`heatmaps` `[B, N, M, M, K]`, `silhouette` `[B, N, M, M, 2]` logits
(channel 0 background, 1 body). The last stack is the prediction.

Blocks: pre-activation residual bottlenecks (BN-ReLU-1×1, BN-ReLU-3×3,
BN-ReLU-1×1, 1×1 projection when the width changes); stem 7×7/2 conv,
residual, 2×2 max-pool, two residuals; each hourglass recurses `depth` times
(max-pool, residual … nearest up-sampling, add the skip branch); after each
stack a residual and a 1×1 conv-BN-ReLU give the features from which the
heads read, and all but the last stack feed features and predictions back
through 1×1 convolutions, as in the original.
"""

import keras
from keras import layers
import tensorflow as tf

from human2d import config as config_lib


def _bn_relu(x, name):
  x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5,
                                name=name + "_bn")(x)
  return layers.ReLU(name=name + "_relu")(x)


def residual(x, channels: int, name: str):
  """Pre-activation bottleneck residual module."""
  skip = x
  if x.shape[-1] != channels:
    skip = layers.Conv2D(channels, 1, name=name + "_skip")(x)
  half = max(channels // 2, 1)
  y = _bn_relu(x, name + "_a")
  y = layers.Conv2D(half, 1, name=name + "_a_conv")(y)
  y = _bn_relu(y, name + "_b")
  y = layers.Conv2D(half, 3, padding="same", name=name + "_b_conv")(y)
  y = _bn_relu(y, name + "_c")
  y = layers.Conv2D(channels, 1, name=name + "_c_conv")(y)
  return layers.Add(name=name + "_add")([skip, y])


def hourglass(x, depth: int, channels: int, name: str):
  """One hourglass of `depth` down-samplings; output has x's shape."""
  up = residual(x, channels, name + "_up")
  low = layers.MaxPool2D(2, name=name + "_pool")(x)
  low = residual(low, channels, name + "_low1")
  if depth > 1:
    low = hourglass(low, depth - 1, channels, name + "_" + str(depth - 1))
  else:
    low = residual(low, channels, name + "_bottom")
  low = residual(low, channels, name + "_low3")
  low = layers.UpSampling2D(2, interpolation="nearest",
                            name=name + "_upsample")(low)
  return layers.Add(name=name + "_merge")([up, low])


def build(config: config_lib.ModelConfig) -> keras.Model:
  """The Keras model of `config` (see the module docstring for I/O)."""
  s, c, k = config.input_size, config.channels, config.num_keypoints
  images = keras.Input([s, s, 3], dtype="float32", name="images")
  x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="normalise")(images)
  x = layers.Conv2D(config.stem_channels, 7, strides=2, padding="same",
                    name="stem_conv")(x)
  x = _bn_relu(x, "stem")
  x = residual(x, max(c // 2, config.stem_channels), "stem_res1")
  x = layers.MaxPool2D(2, name="stem_pool")(x)
  x = residual(x, max(c // 2, config.stem_channels), "stem_res2")
  x = residual(x, c, "stem_res3")

  heatmaps, silhouettes = [], []
  for i in range(config.num_stacks):
    n = f"stack{i}"
    y = hourglass(x, config.depth, c, n + "_hg")
    y = residual(y, c, n + "_out")
    y = layers.Conv2D(c, 1, name=n + "_feat_conv")(y)
    y = _bn_relu(y, n + "_feat")
    hm = layers.Conv2D(k, 1, name=n + "_heatmaps")(y)
    sil = layers.Conv2D(2, 1, name=n + "_silhouette")(y)
    heatmaps.append(hm)
    silhouettes.append(sil)
    if i + 1 < config.num_stacks:
      back = layers.Concatenate(name=n + "_preds")([hm, sil])
      x = layers.Add(name=n + "_next")([
          x, layers.Conv2D(c, 1, name=n + "_feat_back")(y),
          layers.Conv2D(c, 1, name=n + "_pred_back")(back)])

  stack = layers.Lambda(lambda t: tf.stack(t, axis=1), name="stack_outputs")
  return keras.Model(images, [stack(heatmaps), stack(silhouettes)],
                     name="hourglass")

