"""Tests for human2d/data.py: crops, augmentation and labels agree."""

import math

import numpy as np
import tensorflow as tf

from body import keypoints
from human2d import config
from human2d import data
from tests import testing

KSET = keypoints.COCO_21_LSP


class DataTest(testing.TestCase):

  def _image_with_marks(self):
    """A 120×90 image with a red blob at the left wrist and a green one at
    the right wrist; the keypoints (others unlabelled)."""
    image = np.zeros([120, 90, 3], np.uint8)
    xy = np.zeros([KSET.size, 2], np.float32)
    labelled = np.zeros([KSET.size], np.float32)
    marks = {"left_wrist": ((30, 40), 0), "right_wrist": ((65, 85), 1)}
    for name, ((x, y), channel) in marks.items():
      image[y - 2:y + 3, x - 2:x + 3, channel] = 255
      xy[KSET.names.index(name)] = (x, y)
      labelled[KSET.names.index(name)] = 1
    return image, xy, labelled

  def _brightest(self, crop, channel):
    """Centroid of the blob drawn in `channel`."""
    c = np.maximum(crop[..., channel] - crop[..., 1 - channel], 0)
    ys, xs = np.mgrid[:c.shape[0], :c.shape[1]]
    return np.array([(xs * c).sum(), (ys * c).sum()]) / c.sum()

  @testing.parameters((0.0, False), (0.4, False), (-0.3, True), (0.0, True))
  def test_keypoints_follow_the_pixels(self, rotation, flip):
    image, xy, labelled = self._image_with_marks()
    t = data.crop_transform([50.0, 60.0], 110.0, 64, rotation, flip)
    crop = data.warp_image(image, t, 64).numpy()
    pts = data.transform_points(xy, t).numpy()
    if flip:   # Mirrored crops swap left and right labels.
      pts = pts[KSET.flip_permutation()]
    left, right = (KSET.names.index("left_wrist"),
                   KSET.names.index("right_wrist"))
    # The left label sits on the red blob unless the crop is mirrored, when
    # the red blob (the person's left wrist) appears as a right wrist.
    red, green = self._brightest(crop, 0), self._brightest(crop, 1)
    expect_left, expect_right = (green, red) if flip else (red, green)
    self.assertLess(np.abs(pts[left] - expect_left).max(), 0.5)
    self.assertLess(np.abs(pts[right] - expect_right).max(), 0.5)

  def test_transform_round_trip(self):
    t = data.crop_transform([33.0, 71.0], 150.0, 256, 0.3, True)
    pts = self.rng.uniform(0, 100, size=[5, 2]).astype(np.float32)
    crop_pts = data.transform_points(pts, t).numpy()
    back = (t.numpy()[:, :2] @ crop_pts.T).T + t.numpy()[:, 2]
    self.assertAllClose(back, pts, atol=1e-3)

  def test_make_example_labels(self):
    image, xy, labelled = self._image_with_marks()
    cfg = config.preset("tiny")
    sil = np.zeros([120, 90], np.float32)
    sil[30:90, 20:70] = 1.0
    ex = data.make_example(
        image, xy, labelled, sil, True, tf.constant([45.0, 60.0]), 120.0,
        10.0, cfg, config.AugmentConfig(), 1.0, tf.constant([1, 2], tf.int64),
        training=True)
    self.assertEqual(ex["image"].shape, (64, 64, 3))
    self.assertEqual(ex["heatmaps"].shape, (16, 16, KSET.size))
    self.assertEqual(ex["silhouette"].shape, (16, 16))
    w = ex["weights"].numpy()
    self.assertEqual(w.sum(), 2.0)   # Only the labelled, inside points.
    peaks = ex["heatmaps"].numpy().reshape(-1, KSET.size).max(0)
    self.assertAllClose(peaks > 0.3, w > 0)
    self.assertBetween(float(ex["silhouette"].numpy().mean()), 0.05, 0.6)
    # Same seed → same example; another seed → another augmentation.
    again = data.make_example(
        image, xy, labelled, sil, True, tf.constant([45.0, 60.0]), 120.0,
        10.0, cfg, config.AugmentConfig(), 1.0, tf.constant([1, 2], tf.int64),
        training=True)
    self.assertAllEqual(ex["image"], again["image"])
    other = data.make_example(
        image, xy, labelled, sil, True, tf.constant([45.0, 60.0]), 120.0,
        10.0, cfg, config.AugmentConfig(), 1.0, tf.constant([1, 3], tf.int64),
        training=True)
    self.assertNotAllClose(ex["keypoints"], other["keypoints"])

  def test_points_outside_the_crop_get_no_weight(self):
    image, xy, labelled = self._image_with_marks()
    cfg = config.preset("tiny")
    ex = data.make_example(
        image, xy, labelled, np.zeros([120, 90]), False,
        tf.constant([30.0, 40.0]), 20.0, 0.0, cfg, config.AugmentConfig(),
        1.0, tf.constant([0, 0], tf.int64), training=False)
    w = ex["weights"].numpy()
    self.assertEqual(w[KSET.names.index("left_wrist")], 1.0)
    self.assertEqual(w[KSET.names.index("right_wrist")], 0.0)
    self.assertEqual(float(ex["has_silhouette"]), 0.0)

  def test_augmentation_ranges(self):
    aug = config.AugmentConfig()
    for i in range(20):
      scale, rot, _, shift = data.augment_params(
          aug, tf.constant([3, i], tf.int64), True)
      self.assertBetween(float(scale), 0.75, 1.25)
      self.assertLessEqual(abs(float(rot)), math.radians(30) + 1e-6)
      self.assertLessEqual(float(tf.reduce_max(tf.abs(shift))), 0.05 + 1e-6)


if __name__ == "__main__":
  testing.main()
