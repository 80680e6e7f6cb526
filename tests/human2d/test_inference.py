"""Tests for human2d/inference.py: flip test symmetry, loading."""

import json
import os

import numpy as np
import tensorflow as tf

from body import keypoints
from human2d import config
from human2d import hourglass
from human2d import inference
from tests import testing


class InferenceTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.cfg = config.preset("tiny")
    self.net = inference.Human2D(hourglass.build(self.cfg), self.cfg)
    self.crops = self.rng.uniform(0, 255, size=[2, 64, 64, 3]).astype(
        np.float32)

  def test_flip_test_is_mirror_symmetric(self):
    # With the flip test, a mirrored crop gives the mirrored keypoints with
    # left and right swapped, whatever the weights.
    a = self.net.predict(self.crops)
    b = self.net.predict(self.crops[:, :, ::-1])
    perm = keypoints.get(self.cfg.keypoint_set).flip_permutation()
    mirrored = b.keypoints.xy.numpy()[:, perm]
    mirrored[..., 0] = 63 - mirrored[..., 0]
    self.assertAllClose(mirrored, a.keypoints.xy, atol=1e-3)
    self.assertAllClose(b.silhouette[:, :, ::-1], a.silhouette, atol=1e-5)

  def test_without_flip_test_it_is_the_last_stack(self):
    out = self.net.predict(self.crops, flip_test=False)
    hm, _ = self.net.model(self.crops, training=False)
    self.assertAllClose(out.heatmaps, hm[:, -1])
    self.assertEqual(out.keypoints.xy.shape, (2, self.cfg.num_keypoints, 2))

  def test_load_round_trip_and_errors(self):
    d = self.create_tempdir().full_path
    weights = os.path.join(d, "h.weights.h5")
    self.net.model.save_weights(weights)
    import dataclasses  # pylint: disable=g-import-not-at-top
    with open(os.path.join(d, "h.config.json"), "w") as f:
      json.dump(dataclasses.asdict(self.cfg), f)
    loaded = inference.Human2D.load(weights)
    self.assertAllClose(loaded.predict(self.crops).heatmaps,
                        self.net.predict(self.crops).heatmaps, atol=1e-5)
    with self.assertRaisesRegex(ValueError, "no Human2D weights"):
      inference.Human2D.load(os.path.join(d, "none.weights.h5"))
    with self.assertRaisesRegex(ValueError, r"crops must be \[B, 64, 64, 3\]"):
      self.net.predict(np.zeros([1, 32, 32, 3]))

  def test_shipped_weights_load(self):
    path = os.path.join(inference.WEIGHTS_DIR,
                        inference.SHIPPED + ".weights.h5")
    if not os.path.exists(path):
      self.skipTest("no shipped weights yet")
    net = inference.Human2D.load()
    out = net.predict(tf.zeros([1, 256, 256, 3]))
    self.assertEqual(out.keypoints.xy.shape, (1, net.config.num_keypoints, 2))


if __name__ == "__main__":
  testing.main()
