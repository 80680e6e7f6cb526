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
    # Plain attributes, not a list: tf.train.Checkpoint does not see the
    # lists Keras 3 tracks.
    self.linear0 = keras.layers.Dense(units, name="linear0")
    self.bn0 = keras.layers.BatchNormalization(name="bn0")
    self.drop0 = keras.layers.Dropout(dropout, name="dropout0")
    self.linear1 = keras.layers.Dense(units, name="linear1")
    self.bn1 = keras.layers.BatchNormalization(name="bn1")
    self.drop1 = keras.layers.Dropout(dropout, name="dropout1")

  @property
  def stages(self):
    return ((self.linear0, self.bn0, self.drop0),
            (self.linear1, self.bn1, self.drop1))

  def build(self, input_shape):
    if input_shape[-1] != self.units:
      raise ValueError(
          f"BilinearUnit({self.units}) needs inputs of shape [B, "
          f"{self.units}], got {tuple(input_shape)}.")
    shape = tuple(input_shape)
    for dense, bn, _ in self.stages:
      dense.build(shape)
      bn.build(shape)
    super().build(input_shape)

  def call(self, x, training=None):
    y = x
    for dense, bn, drop in self.stages:
      y = drop(keras.ops.relu(bn(dense(y), training=training)),
               training=training)
    return x + y

  def get_config(self):
    return {**super().get_config(), "units": self.units,
            "dropout": self.dropout}
