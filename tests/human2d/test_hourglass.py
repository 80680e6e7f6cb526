"""Tests for human2d/hourglass.py."""

import numpy as np

from human2d import config
from human2d import hourglass
from tests import testing


class HourglassTest(testing.TestCase):

  @testing.parameters("tiny", "small", "paper")
  def test_output_shapes(self, name):
    cfg = config.PRESETS[name]
    model = hourglass.build(cfg)
    m, k, n = cfg.heatmap_size, cfg.num_keypoints, cfg.num_stacks
    self.assertEqual(tuple(model.outputs[0].shape[1:]), (n, m, m, k))
    self.assertEqual(tuple(model.outputs[1].shape[1:]), (n, m, m, 2))
    if name == "tiny":   # Run only the small one.
      hm, sil = model(np.zeros([3, cfg.input_size, cfg.input_size, 3],
                               np.float32))
      self.assertEqual(hm.shape, (3, n, m, m, k))
      self.assertEqual(sil.shape, (3, n, m, m, 2))

  def test_sizes_grow_with_width_and_stacks(self):
    def params(**kw):
      return hourglass.build(config.preset("tiny", **kw)).count_params()
    self.assertLess(params(), params(channels=16))
    self.assertLess(params(), params(num_stacks=3))

  def test_paper_preset_size(self):
    # Newell et al.'s 2-stack, 256-channel hourglass has ≈ 6.7 M parameters
    # (their 8-stack one 25 M); the depth-4 recursion makes most of them.
    count = hourglass.build(config.PRESETS["paper"]).count_params()
    self.assertBetween(count, 5e6, 9e6)


if __name__ == "__main__":
  testing.main()
