"""Tests for synth/camera_effects.py."""

import dataclasses

import numpy as np

from synth import camera_effects
from tests import testing


def _image(rng):
  """A 64² image with edges and texture (blur and JPEG change it)."""
  img = np.zeros((64, 64, 3), np.uint8)
  img[16:48, 16:48] = 220
  return np.clip(img + rng.integers(0, 40, img.shape), 0, 255).astype(
      np.uint8)


class CameraEffectsTest(testing.TestCase):

  def test_off_is_identity(self):
    image = _image(self.rng)
    out = camera_effects.apply(self.rng, image,
                               camera_effects.EffectsConfig().off())
    np.testing.assert_array_equal(out, image)

  @testing.parameters("blur", "motion_blur", "colour", "gamma", "noise",
                      "jpeg")
  def test_each_effect_changes_the_image(self, name):
    image = _image(self.rng)
    config = dataclasses.replace(camera_effects.EffectsConfig().off(),
                                 **{f"{name}_probability": 1.0})
    out = camera_effects.apply(np.random.default_rng(0), image, config)
    self.assertEqual(out.shape, image.shape)
    self.assertEqual(out.dtype, np.uint8)
    self.assertGreater(np.abs(out.astype(int) - image).mean(), 0.3)
    again = camera_effects.apply(np.random.default_rng(0), image, config)
    np.testing.assert_array_equal(out, again)

  def test_blur_smooths(self):
    image = _image(self.rng)
    config = dataclasses.replace(camera_effects.EffectsConfig().off(),
                                 blur_probability=1.0, blur_sigma=(1.5, 1.5))
    out = camera_effects.apply(self.rng, image, config)
    grad = lambda x: np.abs(np.diff(x.astype(int), axis=1)).mean()
    self.assertLess(grad(out), 0.7 * grad(image))

  def test_motion_kernel_is_normalized_line(self):
    k = camera_effects.motion_kernel(7, 0.0)
    self.assertAlmostEqual(float(k.sum()), 1.0, places=5)
    self.assertGreater(k[3].sum(), 0.9)        # horizontal: the middle row

  @testing.parameters(dict(noise_probability=2.0), dict(blur_sigma=(2, 1)),
                      dict(jpeg_quality=(50, 120)))
  def test_bad_config(self, **kwargs):
    with self.assertRaises(ValueError):
      camera_effects.EffectsConfig(**kwargs)


if __name__ == "__main__":
  testing.main()
