"""Tests for render.shading: vertex normals and the Lambert shader."""

import numpy as np
import tensorflow as tf

from render import primitives
from render import shading
from tests import testing


def _light(direction, color=(1.0, 1.0, 1.0), ambient=(0.0, 0.0, 0.0),
           specular=0.0, shininess=10.0):
  d = np.asarray(direction, np.float64)
  return shading.Light(
      direction=tf.constant([d / np.linalg.norm(d)], tf.float32),
      color=tf.constant([color], tf.float32),
      ambient=tf.constant([ambient], tf.float32),
      specular=tf.constant([specular], tf.float32),
      shininess=tf.constant([shininess], tf.float32))


class ShadingTest(testing.TestCase):

  def test_sphere_normals_point_outwards(self):
    verts, faces = primitives.icosphere(2)
    normals = shading.vertex_normals(tf.constant(verts[None], tf.float32),
                                     faces).numpy()[0]
    radial = verts / np.linalg.norm(verts, axis=1, keepdims=True)
    cos = np.sum(normals * radial, axis=1)
    self.assertGreater(cos.min(), 0.99)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1, atol=1e-5)

  def test_lambert_and_ambient(self):
    albedo = tf.constant([[0.5, 0.4, 0.2]] * 3)
    normals = tf.constant([[0.0, 0.0, -1.0], [0.0, -1.0, -1.0],
                           [0.0, 0.0, 1.0]])
    light = _light([0, 0, -1], color=(1.0, 0.5, 2.0),
                   ambient=(0.1, 0.2, 0.3))
    got = shading.shade(albedo, normals, light,
                        batch_ids=tf.zeros([3], tf.int32)).numpy()
    a = np.array([0.5, 0.4, 0.2])
    c = np.array([1.0, 0.5, 2.0])
    amb = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(got[0], a * (amb + c), rtol=1e-5)
    np.testing.assert_allclose(got[1], a * (amb + c * np.sqrt(0.5)),
                               rtol=1e-5)
    np.testing.assert_allclose(got[2], a * amb, rtol=1e-5)  # faces away

  def test_specular_peaks_at_mirror_direction(self):
    albedo = tf.zeros([2, 3])
    normals = tf.constant([[0.0, 0.0, -1.0], [0.0, -0.6, -0.8]])
    light = _light([0, 0, -1], specular=0.5, shininess=20.0)
    got = shading.shade(albedo, normals, light,
                        batch_ids=tf.zeros([2], tf.int32)).numpy()
    np.testing.assert_allclose(got[0], 0.5, rtol=1e-4)
    self.assertLess(got[1, 0], 0.2)

  def test_dense_layout(self):
    albedo = tf.fill([1, 2, 2, 3], 0.5)
    normals = tf.constant(np.broadcast_to([0.0, 0.0, -1.0], (1, 2, 2, 3)),
                          tf.float32)
    got = shading.shade(albedo, normals, _light([0, 0, -1])).numpy()
    np.testing.assert_allclose(got, 0.5, rtol=1e-5)

  def test_srgb_round_trip(self):
    x = tf.constant([0.0, 0.2, 0.5, 1.0])
    np.testing.assert_allclose(
        shading.linear_to_srgb(shading.srgb_to_linear(x)).numpy(),
        [0.0, 0.2, 0.5, 1.0], atol=1e-3)


if __name__ == "__main__":
  testing.main()
