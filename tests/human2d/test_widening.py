"""Tests for human2d/widening.py."""

import numpy as np
import tensorflow as tf

from human2d import config
from human2d import hourglass
from human2d import widening
from tests import testing


def _trained_like(model, seed):
  """Random weights everywhere, so that no block is trivially zero."""
  rng = np.random.default_rng(seed)
  for layer in model.layers:
    ws = layer.get_weights()
    if ws:
      new = [rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in ws]
      if len(ws) == 4:  # Batch norm: a positive moving variance.
        new[3] = np.abs(new[3]) + 0.5
      layer.set_weights(new)
  return model


class WideningTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.narrow = _trained_like(hourglass.build(config.PRESETS["tiny"]), 0)
    self.wide = hourglass.build(config.preset("tiny", channels=16,
                                              stem_channels=8))
    self.images = np.random.default_rng(1).uniform(0, 255, (4, 64, 64, 3))

  def test_wide_network_computes_the_narrow_function(self):
    before = [np.asarray(t) for t in self.wide(self.images)]
    widening.widen_into(self.narrow, self.wide, seed=3)
    for training in (False, True):  # Moving and batch statistics.
      a = self.narrow(self.images, training=training)
      b = self.wide(self.images, training=training)
      for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(y), np.asarray(x), atol=1e-4)
    # The untouched wide network computed something else.
    self.assertGreater(np.abs(before[0] - np.asarray(a[0])).max(), 1e-2)

  def test_identity_skip_becomes_a_projection(self):
    # stem 4 → 6 with channels 8 → 16: stem_res1 keeps width 4 → becomes 8,
    # no longer the stem's 6, so the wide network has a projection there.
    wide = hourglass.build(config.preset("tiny", channels=16,
                                         stem_channels=6))
    self.assertNotIn("stem_res1_skip", [l.name for l in self.narrow.layers])
    widening.widen_into(self.narrow, wide, seed=3)
    for x, y in zip(self.narrow(self.images), wide(self.images)):
      np.testing.assert_allclose(np.asarray(y), np.asarray(x), atol=1e-4)

  def test_new_channels_start_random_and_receive_gradients(self):
    widening.widen_into(self.narrow, self.wide, seed=3)
    head = self.wide.get_layer("stack1_heatmaps")
    kernel = head.get_weights()[0]
    old_in = self.narrow.get_layer("stack1_heatmaps").get_weights()[0].shape[2]
    np.testing.assert_array_equal(kernel[..., old_in:, :], 0.0)
    feat = self.wide.get_layer("stack1_feat_conv").get_weights()[0]
    self.assertGreater(np.abs(feat[..., old_in:]).max(), 1e-3)
    with tf.GradientTape() as tape:
      hm, _ = self.wide(self.images, training=True)
      loss = tf.reduce_mean(tf.square(hm - 1.0))
    grad = tape.gradient(loss, head.kernel)
    # The zero block's gradient is not zero: the new channels can learn.
    self.assertGreater(np.abs(np.asarray(grad)[..., old_in:, :]).max(), 1e-6)

  def test_seed_decides_the_new_channels_only(self):
    widening.widen_into(self.narrow, self.wide, seed=3)
    a = self.wide.get_layer("stack0_feat_conv").get_weights()[0].copy()
    widening.widen_into(self.narrow, self.wide, seed=4)
    b = self.wide.get_layer("stack0_feat_conv").get_weights()[0]
    old = self.narrow.get_layer("stack0_feat_conv").get_weights()[0].shape
    np.testing.assert_array_equal(a[..., :old[2], :old[3]],
                                  b[..., :old[2], :old[3]])
    self.assertFalse(np.array_equal(a, b))

  def test_rejects_other_networks(self):
    with self.assertRaisesRegex(ValueError, "differ in layers"):
      widening.widen_into(self.narrow, hourglass.build(
          config.preset("tiny", channels=16, num_stacks=3)))
    with self.assertRaisesRegex(ValueError, "at least as wide"):
      widening.widen_into(self.wide, self.narrow)


if __name__ == "__main__":
  testing.main()
