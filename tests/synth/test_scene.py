"""Tests for synth/scene.py: backgrounds, photo crops, occluders."""

import os

import cv2
import numpy as np

from synth import scene
from tests import testing


class SceneTest(testing.TestCase):

  def test_procedural_backgrounds_vary(self):
    images = [scene.procedural_background(self.rng, 48) for _ in range(6)]
    for image in images:
      self.assertEqual(image.shape, (48, 48, 3))
      self.assertEqual(image.dtype, np.uint8)
    means = [image.mean() for image in images]
    self.assertGreater(np.ptp(means), 10)
    again = scene.procedural_background(np.random.default_rng(1), 48)
    np.testing.assert_array_equal(
        again, scene.procedural_background(np.random.default_rng(1), 48))

  def test_value_noise_range(self):
    noise = scene.value_noise(self.rng, 64)
    self.assertEqual(noise.shape, (64, 64))
    self.assertLess(np.abs(noise).max(), 1.5)
    self.assertGreater(noise.std(), 0.05)

  def test_photo_crops(self):
    folder = self.create_tempdir().full_path
    gradient = np.tile(np.arange(0, 200, 2, dtype=np.uint8)[None, :, None],
                       (60, 1, 3))
    cv2.imwrite(os.path.join(folder, "a.jpg"), gradient)
    with open(os.path.join(folder, "notes.txt"), "w") as f:
      f.write("not an image, ignored")
    bank = scene.PhotoBank([folder])
    self.assertLen(bank, 1)
    crop = bank.crop(self.rng, 32)
    self.assertEqual(crop.shape, (32, 32, 3))
    self.assertGreater(np.ptp(crop), 5)
    always = scene.background(self.rng, 32, bank, photo_probability=1.0)
    self.assertLess(np.abs(always.astype(int)[..., 0] -
                           always[..., 2]).max(), 8)   # grey, from the photo

  def test_occluders_cover_something_near_the_point(self):
    covered = 0
    for _ in range(12):
      mask, colour = scene.occluder(self.rng, 64, (32.0, 32.0))
      self.assertEqual(mask.shape, (64, 64))
      self.assertEqual(mask.dtype, bool)
      self.assertEqual(colour.shape, (64, 64, 3))
      self.assertGreater(mask.sum(), 0)
      covered += mask[16:48, 16:48].any()
    self.assertGreater(covered, 8)


if __name__ == "__main__":
  testing.main()
