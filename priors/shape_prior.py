"""ShapePrior: a 64×64 silhouette → β.

Architecture (Pavlakos et al. 2018): five (3×3 conv → ReLU → 2×2 max-pool)
blocks (64 → 2 pixels), flatten, linear (`hidden_units`), one residual
bilinear unit, linear → β `[B, S]`.

Input: A tensor of shape `[B, R, R]` or `[B, R, R, 1]`, values in [0, 1]
(1 = body), R = `silhouette_size`.
"""

import dataclasses
from typing import Tuple

import keras
import tensorflow as tf

from body import finite
from priors import blocks


@dataclasses.dataclass(frozen=True)
class ShapePriorConfig:
  """Architecture of the ShapePrior.

  Attributes:
    silhouette_size: R (must be divisible by 2⁵).
    conv_channels: output channels of the five conv blocks.
    hidden_units: width of the bilinear unit.
    dropout: dropout rate inside the unit.
    num_betas: S.
  """
  silhouette_size: int = 64
  conv_channels: Tuple[int, ...] = (16, 32, 64, 64, 128)
  hidden_units: int = 1024
  dropout: float = 0.5
  num_betas: int = 10

  def __post_init__(self):
    finite.check_fields(self)
    object.__setattr__(self, "conv_channels", tuple(self.conv_channels))
    if len(self.conv_channels) != 5:
      raise ValueError(f"conv_channels must list 5 widths, got "
                       f"{self.conv_channels}.")
    if self.silhouette_size <= 0 or self.silhouette_size % 32:
      raise ValueError(f"silhouette_size must be a positive multiple of 32, "
                       f"got {self.silhouette_size}.")
    if min(self.hidden_units, self.num_betas) <= 0 or not (
        0.0 <= self.dropout < 1.0):
      raise ValueError("need hidden_units, num_betas > 0 and 0 ≤ dropout < 1.")


class ShapePrior(keras.Model):
  """Silhouettes `[B, R, R]` → β `[B, S]`."""

  def __init__(self, config: ShapePriorConfig = ShapePriorConfig(), **kwargs):
    super().__init__(**kwargs)
    self.config = config
    # Attributes conv0..conv4 (tf.train.Checkpoint ignores Keras lists).
    for i, ch in enumerate(config.conv_channels):
      setattr(self, f"conv{i}", keras.layers.Conv2D(
          ch, 3, padding="same", activation="relu", name=f"conv{i}"))
    self.pool = keras.layers.MaxPooling2D(2)
    self.flatten = keras.layers.Flatten()
    self.input_layer = keras.layers.Dense(config.hidden_units, name="input")
    self.unit = blocks.BilinearUnit(config.hidden_units, config.dropout,
                                    name="unit")
    self.head = keras.layers.Dense(
        config.num_betas, name="betas",
        kernel_initializer=keras.initializers.VarianceScaling(0.01))
    r = config.silhouette_size
    self(tf.zeros([1, r, r]), training=False)

  def call(self, silhouette, training=None):
    r = self.config.silhouette_size
    x = tf.convert_to_tensor(silhouette)
    x = tf.cast(x, tf.float32)
    if x.shape.rank == 3:
      x = x[..., None]
    if x.shape.rank != 4 or x.shape[1:] != (r, r, 1):
      raise ValueError(f"silhouette must have shape [B, {r}, {r}] or "
                       f"[B, {r}, {r}, 1], got {x.shape.as_list()}.")
    x = 2.0 * x - 1.0
    for i in range(len(self.config.conv_channels)):
      x = self.pool(getattr(self, f"conv{i}")(x))
    h = self.input_layer(self.flatten(x))
    return self.head(self.unit(h, training=training))
