"""Tests for pipeline/crop.py: crops from boxes and keypoints, and back."""

import numpy as np

from human2d import data as h2d_data
from pipeline import crop
from tests import testing


class CropTest(testing.TestCase):

  def test_point_into_crop_and_back_lands_where_it_started(self):
    image = self.rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)
    c = crop.crop_from_box(image, [30, 20, 70, 80], size=64)
    points = self.rng.uniform([0, 0], [120, 90], (10, 2)).astype(np.float32)
    back = crop.to_image(crop.to_crop(points, c.transform), c.transform)
    self.assertAllClose(back, points, atol=1e-3)

  def test_crop_follows_the_box_with_the_margin(self):
    image = np.zeros((100, 200, 3), np.uint8)
    c = crop.crop_from_box(image, [40, 10, 80, 90], size=32)
    self.assertEqual(c.image.shape, (32, 32, 3))
    self.assertAllClose(c.centre, [60.0, 50.0])
    self.assertAllClose(c.side, h2d_data.BOX_MARGIN * 80)
    # The crop's corners span `side` image pixels around the centre.
    corners = crop.to_image([[-0.5, -0.5], [31.5, 31.5]], c.transform)
    self.assertAllClose(corners, [[60 - 50, 50 - 50], [60 + 50, 50 + 50]],
                        atol=1e-4)

  def test_crop_pixels_come_from_the_image(self):
    image = np.zeros((64, 64, 3), np.uint8)
    image[20:44, 20:44] = 200  # A bright square in the middle.
    c = crop.crop_from_box(image, [0, 0, 63, 63], size=64)
    # The crop is wider than the image: its centre pixel is the square's,
    # its corners outside the image are black.
    self.assertAllEqual(c.image[32, 32], [200, 200, 200])
    self.assertAllEqual(c.image[0, 0], [0, 0, 0])
    # A pixel mapped to the image finds the same value there.
    p = crop.to_image([[20.0, 30.0]], c.transform)[0]
    self.assertEqual(image[int(round(p[1])), int(round(p[0])), 0],
                     c.image[30, 20, 0])

  def test_whole_image_crop_spans_the_larger_side(self):
    image = np.zeros((50, 80, 3), np.uint8)
    c = crop.crop_from_box(image, crop.whole_image_box(50, 80), size=16)
    self.assertAllClose(c.side, 80.0, atol=1e-4)
    self.assertAllClose(c.centre, [39.5, 24.5])

  def test_box_from_keypoints_skips_unconfident_points(self):
    xy = np.array([[10, 10], [30, 50], [500, 500]], np.float32)
    box = crop.box_from_keypoints(xy, [1.0, 0.9, 0.0])
    centre = np.array([20.0, 30.0])
    half = 0.5 * crop.KEYPOINT_BOX_MARGIN * np.array([20.0, 40.0])
    self.assertAllClose(box, np.concatenate([centre - half, centre + half]))
    with self.assertRaisesRegex(ValueError, "at least 2 keypoints"):
      crop.box_from_keypoints(xy, [1.0, 0.0, 0.0])

  def test_bad_box_is_named(self):
    with self.assertRaisesRegex(ValueError, "x1 > x0"):
      crop.crop_from_box(np.zeros((8, 8, 3), np.uint8), [5, 0, 1, 4], 16)


if __name__ == "__main__":
  testing.main()
