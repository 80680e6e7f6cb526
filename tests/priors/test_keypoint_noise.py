"""Detector-like keypoint corruption."""

import numpy as np
import tensorflow as tf

from priors import keypoint_noise
from tests import testing


class NoiseTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.kp = tf.constant(self.rng.uniform(-0.8, 0.8, size=(2000, 17, 2)),
                          tf.float32)
    vis = np.full((2000, 17), 2, np.uint8)
    vis[:, 0] = 0
    vis[:, 1] = 1
    self.vis = tf.constant(vis)

  def test_clean_config_is_identity_inside_crop(self):
    noisy, conf = keypoint_noise.corrupt(self.kp, self.vis,
                                         keypoint_noise.CLEAN, [1, 2])
    self.assertAllClose(noisy[:, 1:], self.kp[:, 1:])
    self.assertAllClose(conf[:, 1:], np.ones((2000, 16)))
    self.assertAllClose(conf[:, 0], np.zeros(2000))
    self.assertAllClose(noisy[:, 0], np.zeros((2000, 2)))

  def test_statistics_and_determinism(self):
    cfg = keypoint_noise.NoiseConfig(sigma=0.04, drop_rate=0.1,
                                     outlier_rate=0.0)
    noisy, conf = keypoint_noise.corrupt(self.kp, self.vis, cfg, [3, 4])
    again, _ = keypoint_noise.corrupt(self.kp, self.vis, cfg, [3, 4])
    self.assertAllEqual(noisy, again)
    kept = conf.numpy()[:, 2:] > 0
    err = (noisy.numpy() - self.kp.numpy())[:, 2:][kept]
    self.assertAllClose(err.std(), 0.04, rtol=0.05)
    self.assertAllClose(1.0 - kept.mean(), 0.1, atol=0.01)
    # Occluded keypoints: 3× the drop rate, lower confidence.
    self.assertAllClose((conf.numpy()[:, 1] == 0).mean(), 0.3, atol=0.04)
    self.assertLess(conf.numpy()[:, 1].max(), 0.61)
    self.assertGreater(conf.numpy()[:, 2:][kept].min(), 0.59)

  def test_rejects_bad_config(self):
    with self.assertRaises(ValueError):
      keypoint_noise.NoiseConfig(sigma=-1.0)
    with self.assertRaises(ValueError):
      keypoint_noise.NoiseConfig(visible_confidence=(0.9, 0.2))


if __name__ == "__main__":
  testing.main()
