"""Tests for synth/motion.py: interpolated pose clips with a moving camera
(toy body, 64² crops)."""

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

from body import toy
from synth import images
from synth import motion
from tests import testing


class MotionTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.renderer = images.ImageRenderer(images.ImageConfig(
        image_size=64, silhouette_size=16, batch_size=1, body_model="toy",
        occluder_probability=0.0, shadow_probability=0.0),
        toy.make_assets())

  def test_interpolation_passes_through_keys_smoothly(self):
    keys = Rotation.random(3 * 24, random_state=1).as_rotvec()
    keys = 0.8 * keys.reshape(3, 72) / np.pi
    poses = motion.interpolate_poses(keys, 21)        # keys at 0, 10, 20
    for frame, key in ((0, 0), (10, 1), (20, 2)):
      self.assertAllClose(
          Rotation.from_rotvec(poses[frame].reshape(24, 3)).as_matrix(),
          Rotation.from_rotvec(keys[key].reshape(24, 3)).as_matrix(),
          atol=1e-6)
    # Eased: the first step out of a key is smaller than a mid-segment step.
    step = lambda a, b: (Rotation.from_rotvec(poses[a].reshape(24, 3)).inv()
                         * Rotation.from_rotvec(poses[b].reshape(24, 3))
                         ).magnitude().mean()
    self.assertLess(step(0, 1), 0.5 * step(4, 5))

  def test_clip_is_one_person_with_smooth_joints(self):
    config = motion.MotionConfig(frames=12, keys=3, max_orbit=0.5)
    generator = self.renderer.generator
    clip = motion.sample_clip(generator, np.random.default_rng(4), config)
    again = motion.sample_clip(generator, np.random.default_rng(4), config)
    self.assertAllClose(clip.batch.joints3d, again.batch.joints3d)
    self.assertEqual(clip.batch.theta.shape, (12, 72))
    self.assertAllClose(clip.batch.betas, np.repeat(clip.batch.betas[:1], 12,
                                                    axis=0))
    joints = clip.batch.joints3d - clip.batch.joints3d[:, :1]
    accel = np.abs(np.diff(joints, 2, axis=0)).max()
    speed = np.abs(np.diff(joints, 1, axis=0)).max()
    self.assertGreater(speed, 0.0)
    self.assertLess(accel, speed)
    # The same rng state per frame: the same scene and clothes, moving body.
    a = self.renderer.render_samples(np.random.default_rng(9),
                                     motion.frame(clip.batch, 0))
    b = self.renderer.render_samples(np.random.default_rng(9),
                                     motion.frame(clip.batch, 11))
    body = (a["silhouette256"][0] > 0) | (b["silhouette256"][0] > 0)
    still = cv2.dilate(body.astype(np.uint8), np.ones((9, 9), np.uint8)) == 0
    self.assertGreater(still.mean(), 0.3)
    diff = np.abs(a["image"][0].astype(int) - b["image"][0].astype(int))
    self.assertLess(diff[still].mean(), 1.0)
    self.assertFalse(np.array_equal(a["silhouette256"], b["silhouette256"]))

  def test_bad_configs_are_named(self):
    with self.assertRaisesRegex(ValueError, "keys"):
      motion.MotionConfig(frames=3, keys=5)
    with self.assertRaisesRegex(ValueError, "max_orbit"):
      motion.MotionConfig(max_orbit=-1)
    with self.assertRaisesRegex(ValueError, "keys must be"):
      motion.interpolate_poses(np.zeros((1, 72)), 5)


if __name__ == "__main__":
  testing.main()
