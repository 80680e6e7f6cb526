"""The residual "bilinear" unit of Martinez et al. 2017.

    y = x + f(f(x)),   f = dropout ∘ relu ∘ batch_norm ∘ linear(units)

Both priors use it: PosePrior stacks two after an input projection, ShapePrior
puts one after its convolutions.
"""

import keras


class BilinearUnit(keras.layers.Layer):
  """Two (linear → BN → ReLU → dropout) stages with a skip connection.

  Input and output: A tensor of shape `[B, units]`.
  """

  def __init__(self, units: int = 1024, dropout: float = 0.5, **kwargs):
    super().__init__(**kwargs)
    if units <= 0 or not 0.0 <= dropout < 1.0:
      raise ValueError(
          f"need units > 0 and 0 ≤ dropout < 1, got {units}, {dropout}.")
    self.units = units
    self.dropout = dropout
    self._stages = []
    for i in range(2):
      self._stages.append((
          keras.layers.Dense(units, name=f"linear{i}"),
          keras.layers.BatchNormalization(name=f"bn{i}"),
          keras.layers.Dropout(dropout, name=f"dropout{i}")))

  def build(self, input_shape):
    if input_shape[-1] != self.units:
      raise ValueError(
          f"BilinearUnit({self.units}) needs inputs of shape [B, "
          f"{self.units}], got {tuple(input_shape)}.")
    shape = tuple(input_shape)
    for dense, bn, _ in self._stages:
      dense.build(shape)
      bn.build(shape)
    super().build(input_shape)

  def call(self, x, training=None):
    y = x
    for dense, bn, drop in self._stages:
      y = drop(keras.ops.relu(bn(dense(y), training=training)),
               training=training)
    return x + y

  def get_config(self):
    return {**super().get_config(), "units": self.units,
            "dropout": self.dropout}
