"""Tests for synth/corruption.py."""

import dataclasses

import numpy as np
import tensorflow as tf

from synth import corruption
from tests import testing

FLIP = ((0, 1), (2, 3))


class CorruptionTest(testing.TestCase):

  def _inputs(self, b=400):
    kp = np.tile(np.array([[100.0, 50.0], [140.0, 50.0], [100.0, 150.0],
                           [140.0, 150.0], [120.0, 10.0]]), (b, 1, 1))
    vis = np.tile(np.array([2, 2, 1, 2, 0]), (b, 1))
    return kp.astype(np.float32), vis

  def test_person_size(self):
    kp, vis = self._inputs(1)
    # In-frame box: x 100..140, y 50..150 (the out-of-frame point is ignored).
    self.assertAllClose(corruption.person_size(kp, vis),
                        [np.hypot(40.0, 100.0)])

  def test_statistics(self):
    kp, vis = self._inputs(4000)
    config = corruption.CorruptionConfig(
        sigma=0.02, occluded_scale=2.0, drop_rate=0.0, occluded_drop_rate=0.0,
        outlier_rate=0.0, occluded_confidence=(0.1, 0.5))
    out, conf, swapped = corruption.corrupt(kp, vis, config, FLIP, [1, 2])
    out, conf = out.numpy(), conf.numpy()
    size = np.hypot(40.0, 100.0)
    err = out - kp
    self.assertAllClose(np.std(err[:, 0]), 0.02 * size, rtol=0.05)
    self.assertAllClose(np.std(err[:, 2]), 0.04 * size, rtol=0.05)
    self.assertAllEqual(conf[:, 4], np.zeros(4000))
    self.assertAllEqual(out[:, 4], np.zeros((4000, 2)))
    self.assertBetween(conf[:, 0].min(), 0.6, 1.0)
    self.assertBetween(conf[:, 2].max(), 0.1, 0.5)
    self.assertFalse(np.any(swapped))

  def test_scale_free(self):
    # Scaling the keypoints scales the corruption: pixels and normalised
    # coordinates get the same noise relative to the person.
    kp, vis = self._inputs(50)
    config = corruption.CorruptionConfig(outlier_rate=0.3, swap_rate=0.3)
    a, conf_a, _ = corruption.corrupt(kp, vis, config, FLIP, [8, 9])
    b, conf_b, _ = corruption.corrupt(kp / 128.0, vis, config, FLIP, [8, 9])
    self.assertAllClose(a / 128.0, b, atol=1e-5)
    self.assertAllEqual(conf_a, conf_b)

  def test_outliers_copy_another_keypoint(self):
    kp, vis = self._inputs(4000)
    config = corruption.CorruptionConfig(
        sigma=0.0, drop_rate=0.0, occluded_drop_rate=0.0, outlier_rate=0.2,
        outlier_sigma=0.0)
    out, conf, _ = corruption.corrupt(kp, vis, config, FLIP, [1, 3])
    out, conf = out.numpy(), conf.numpy()
    moved = np.any(out[:, 0] != kp[:, 0], axis=-1)
    # A copy of keypoint 0 itself is not a move: 4 of 5 draws move it.
    self.assertAllClose(moved.mean(), 0.2 * 4 / 5, atol=0.03)
    on_another = np.any(np.all(out[moved, 0][:, None] == kp[0][None], -1), -1)
    self.assertTrue(np.all(on_another))
    self.assertLess(conf[moved, 0].max(), 0.9 * 0.6 + 1e-6)

  def test_integer_settings(self):
    kp, vis = self._inputs(3)
    config = corruption.CorruptionConfig(sigma=0, drop_rate=0,
                                         occluded_drop_rate=1, outlier_rate=0)
    self.assertIsInstance(config.drop_rate, float)
    out, conf, _ = corruption.corrupt(kp, vis, config, FLIP, [2, 3])
    self.assertAllEqual(conf.numpy()[:, 2], np.zeros(3))     # occluded: dropped
    self.assertAllClose(out[:, 0], kp[:, 0])

  def test_clean_is_identity_inside_the_crop(self):
    kp, vis = self._inputs(10)
    out, conf, _ = corruption.corrupt(kp, vis, corruption.CLEAN, FLIP, [2, 2])
    self.assertAllClose(out[:, :4], kp[:, :4])
    self.assertAllEqual(conf, np.tile([1.0, 1.0, 1.0, 1.0, 0.0], (10, 1)))

  def test_drop_and_swap(self):
    kp, vis = self._inputs(4000)
    config = corruption.CorruptionConfig(sigma=0.0, drop_rate=0.1,
                                         occluded_drop_rate=0.2,
                                         outlier_rate=0.0, swap_rate=0.25)
    out, conf, swapped = corruption.corrupt(kp, vis, config, FLIP, [3, 4])
    out, conf, swapped = out.numpy(), conf.numpy(), swapped.numpy()
    self.assertAllClose(swapped.mean(), 0.25, atol=0.03)
    kept = conf > 0
    self.assertAllClose(1 - kept[:, 0].mean(), 0.1, atol=0.02)
    # A swapped sample's keypoint 0 sits where keypoint 1 was (and 2 / 3).
    rows = swapped & kept[:, 0]
    self.assertAllClose(out[rows, 0], np.tile([140.0, 50.0], (rows.sum(), 1)))
    # Swapped: keypoint 2 now visible (was 3's), keypoint 3 occluded.
    self.assertAllClose(1 - kept[swapped, 3].mean(), 0.2, atol=0.05)

  def test_mirror_errors_land_on_the_partner(self):
    kp, vis = self._inputs(4000)
    config = corruption.CorruptionConfig(
        sigma=0.0, drop_rate=0.0, occluded_drop_rate=0.0, outlier_rate=0.0,
        outlier_sigma=0.0, mirror_rate=0.3)
    out, conf, _ = corruption.corrupt(kp, vis, config, FLIP, [4, 5])
    out, conf = out.numpy(), conf.numpy()
    moved0 = np.any(out[:, 0] != kp[:, 0], axis=-1)
    self.assertAllClose(moved0.mean(), 0.3, atol=0.03)
    self.assertAllClose(out[moved0, 0], np.tile(kp[0, 1], (moved0.sum(), 1)))
    # Keypoint 4 has no partner: never moved. Confidence is not lowered.
    self.assertAllClose(out[:, 4], np.zeros((4000, 2)))
    self.assertGreaterEqual(conf[moved0, 0].min(), 0.6)
    # Without mirror errors every other draw is that of the same seed.
    plain = dataclasses.replace(config, mirror_rate=0.0)
    base, base_conf, _ = corruption.corrupt(kp, vis, plain, FLIP, [4, 5])
    self.assertAllClose(out[~moved0, 0], base.numpy()[~moved0, 0])
    self.assertAllEqual(conf, base_conf)

  def test_human2d_like_preset(self):
    kp, vis = self._inputs(4000)
    out, conf, _ = corruption.corrupt(kp, vis, corruption.HUMAN2D_LIKE, FLIP,
                                      [6, 7])
    # The network always answers: nothing in frame is missing.
    self.assertTrue(np.all(conf.numpy()[:, :4] > 0))
    self.assertIs(corruption.PRESETS["human2d"], corruption.HUMAN2D_LIKE)

  def test_deterministic(self):
    kp, vis = self._inputs(10)
    config = corruption.CorruptionConfig()
    a = corruption.corrupt(kp, vis, config, FLIP, [5, 6])
    b = corruption.corrupt(kp, vis, config, FLIP, [5, 6])
    c = corruption.corrupt(kp, vis, config, FLIP, [5, 7])
    self.assertAllEqual(a[0], b[0])
    self.assertNotAllClose(a[0], c[0])

  def test_bad_inputs(self):
    with self.assertRaises(ValueError):
      corruption.CorruptionConfig(drop_rate=-0.1)
    with self.assertRaises(ValueError):
      corruption.CorruptionConfig(outlier_rate=1.5)
    with self.assertRaises(ValueError):
      corruption.CorruptionConfig(mirror_rate=-0.5)
    with self.assertRaises(ValueError):
      corruption.CorruptionConfig(visible_confidence=(0.9, 0.2))
    with self.assertRaises(ValueError):
      corruption.corrupt(tf.zeros([2, 5]), tf.zeros([2, 5]),
                         corruption.CorruptionConfig(), FLIP, [0, 0])


if __name__ == "__main__":
  testing.main()
