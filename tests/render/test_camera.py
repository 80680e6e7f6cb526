"""Tests for render.camera."""

import numpy as np
import tensorflow as tf
from tensorflow_graphics.rendering.camera import perspective

from render import camera
from tests import testing


class PerspectiveCameraTest(testing.TestCase):

  def test_project_hand_worked(self):
    cam = camera.PerspectiveCamera(focal=[[100.0, 200.0]],
                                   principal_point=[[31.5, 15.5]])
    points = tf.constant([[[0.0, 0.0, 2.0], [1.0, -0.5, 4.0]]])
    # u = 100·1/4 + 31.5 = 56.5; v = 200·(−0.5)/4 + 15.5 = −9.5.
    self.assertAllClose(cam.project(points),
                        [[[31.5, 15.5], [56.5, -9.5]]])
    screen = cam.transform_points_screen(points)
    self.assertAllClose(screen[..., 2], [[2.0, 4.0]])

  def test_matches_tensorflow_graphics(self):
    focal = self.rng.uniform(50, 500, size=(3, 2))
    center = self.rng.uniform(0, 100, size=(3, 2))
    points = self.rng.uniform([-1, -1, 0.5], [1, 1, 5], size=(3, 7, 3))
    cam = camera.PerspectiveCamera(focal=focal, principal_point=center)
    self.assertAllClose(
        cam.project(points),
        perspective.project(points, focal[:, None], center[:, None]))

  def test_broadcasts_unbatched_intrinsics(self):
    cam = camera.PerspectiveCamera(focal=50.0, principal_point=[10.0, 20.0])
    points = self.rng.uniform(1, 2, size=(3, 5, 3))
    expected = 50.0 * points[..., :2] / points[..., 2:] + [10.0, 20.0]
    self.assertAllClose(cam.project(points), expected)

  def test_behind_camera_is_finite_with_finite_gradient(self):
    cam = camera.PerspectiveCamera(focal=[10.0, 10.0],
                                   principal_point=[0.0, 0.0])
    points = tf.constant([[[1.0, 1.0, 0.0], [1.0, 1.0, -2.0],
                           [np.nan, 0.0, 1.0]]])
    with tf.GradientTape() as tape:
      tape.watch(points)
      projected = cam.project(points)
      total = tf.reduce_sum(projected[:, :2]) + tf.reduce_sum(
          tf.where(tf.math.is_nan(projected), 0.0, projected))
    self.assertTrue(np.all(np.isfinite(projected[:, :2].numpy())))
    self.assertTrue(np.all(np.isnan(projected[:, 2].numpy())))
    grad = tape.gradient(total, points).numpy()
    self.assertTrue(np.all(np.isfinite(grad)))
    self.assertAllEqual(grad[:, :, 2], np.zeros((1, 3)))  # clamped depths

  @testing.parameters(((4, 3),), ((1, 4, 2),), ((1, 4, 3, 1),))
  def test_bad_point_shapes(self, shape):
    cam = camera.PerspectiveCamera(focal=1.0, principal_point=[0.0, 0.0])
    with self.assertRaises(ValueError):
      cam.project(np.zeros(shape))

  def test_bad_intrinsics_shape(self):
    cam = camera.PerspectiveCamera(focal=[1.0, 2.0, 3.0],
                                   principal_point=[0.0, 0.0])
    with self.assertRaises(ValueError):
      cam.project(np.ones((1, 2, 3)))


class WeakPerspectiveTest(testing.TestCase):

  def test_project_hand_worked(self):
    # s·(X + t) = 0.5·(1 + 0.2) = 0.6 → u = 0.6·112 + 111.5 = 178.7.
    cam = camera.WeakPerspectiveCamera(scale=[0.5], translation=[[0.2, 0.0]],
                                       crop_size=224)
    self.assertAllClose(cam.project([[[1.0, -1.0, 7.0]]]),
                        [[[178.7, -0.5 * 112 + 111.5]]])

  def test_crop_edges(self):
    cam = camera.WeakPerspectiveCamera(scale=[1.0], translation=[[0.0, 0.0]],
                                       crop_size=64)
    # Normalized −1 and 1 are the outer edges of pixels 0 and 63.
    self.assertAllClose(cam.project([[[-1.0, 1.0, 0.0]]]), [[[-0.5, 63.5]]])

  def test_conversion_round_trip(self):
    scale = self.rng.uniform(0.5, 1.5, size=4)
    translation = self.rng.normal(size=(4, 2))
    full = camera.weak_perspective_to_translation(scale, translation,
                                                  focal=5000.0, crop_size=224)
    self.assertAllClose(full[:, 2], 2 * 5000.0 / (224 * scale))
    back_scale, back_translation = camera.translation_to_weak_perspective(
        full, focal=5000.0, crop_size=224)
    self.assertAllClose(back_scale, scale)
    self.assertAllClose(back_translation, translation)

  def test_matches_perspective_for_a_far_flat_body(self):
    # A flat (Z = 0) body: weak perspective is exact for the converted camera.
    points = np.concatenate(
        [self.rng.uniform(-0.8, 0.8, size=(2, 30, 2)), np.zeros((2, 30, 1))],
        axis=-1)
    scale, translation = [0.9, 1.1], [[0.1, -0.2], [0.0, 0.3]]
    weak = camera.WeakPerspectiveCamera(scale=scale, translation=translation,
                                        crop_size=224)
    full = camera.weak_perspective_to_translation(scale, translation, 5000.0,
                                                  224)
    persp = camera.crop_perspective_camera(5000.0, crop_size=224,
                                           batch_size=2)
    moved = tf.cast(points, tf.float32) + tf.cast(full[:, None, :],
                                                  tf.float32)
    self.assertAllClose(persp.project(moved), weak.project(points),
                        atol=1e-3)

  def test_bad_crop_size(self):
    with self.assertRaises(ValueError):
      camera.WeakPerspectiveCamera(scale=[1.0], translation=[[0.0, 0.0]],
                                   crop_size=0)


if __name__ == "__main__":
  testing.main()
