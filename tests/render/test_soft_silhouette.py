"""Tests for render.soft_silhouette."""

import numpy as np
import tensorflow as tf

from render import soft_silhouette
from tests import testing
from tests.render import meshes
from tests.render import reference


def _settings(size, **kwargs):
  # XLA compiles each kernel once per problem size (~0.3 s each): tests of
  # the numerics use it, the others run the same kernels as plain TF ops.
  kwargs.setdefault("jit_compile", False)
  return soft_silhouette.SoftSilhouetteSettings(image_size=(size, size),
                                                **kwargs)


class SoftSilhouetteTest(testing.TestCase):

  @testing.parameters((0.5, False, True), (0.5, True, True),
                      (2.0, True, False))
  def test_matches_reference(self, sigma, cull, jit):
    verts, faces = meshes.sphere_screen(size=14, subdivisions=1)
    settings = _settings(14, sigma=sigma, cull_backfaces=cull,
                         min_coverage=1e-9, jit_compile=jit)
    got = soft_silhouette.soft_silhouette(verts[None], faces, settings)
    expected = reference.soft(verts, faces, 14, 14, sigma,
                              cull_backfaces=cull)
    self.assertBetween(expected.mean(), 0.2, 0.8)
    # Pairs beyond the radius each change the result by < min_coverage.
    self.assertAllClose(got[0], expected, atol=1e-7)

  def test_default_truncation_error_is_small(self):
    verts, faces = meshes.random_triangles(self.rng, 5, 12)
    settings = _settings(12)
    got = soft_silhouette.soft_silhouette(verts[None], faces, settings)
    expected = reference.soft(verts, faces, 12, 12, settings.sigma)
    self.assertGreater(expected.max(), 0.9)
    self.assertAllClose(got[0], expected, atol=5 * 1e-4)

  def test_single_triangle_hand_worked(self):
    # Right triangle (0,0), (4,0), (0,4): pixel (1,1) is inside at distance 1
    # from two edges, so D = sigmoid(1/σ); pixel (5,0) is 1 outside vertex b.
    verts = np.array([[0, 0, 1], [4, 0, 1], [0, 4, 1]], np.float64)
    sil = soft_silhouette.soft_silhouette(
        verts[None], [[0, 1, 2]], _settings(8, sigma=0.5))[0].numpy()
    self.assertAllClose(sil[1, 1], 1 / (1 + np.exp(-2.0)))
    self.assertAllClose(sil[0, 5], 1 / (1 + np.exp(2.0)))
    self.assertAllClose(sil[2, 2], 0.5)  # on the hypotenuse

  def test_gradient_matches_finite_differences(self):
    verts, faces = meshes.sphere_screen(size=12, subdivisions=1)
    settings = _settings(12, sigma=0.7, cull_backfaces=True,
                         min_coverage=1e-12, jit_compile=True)
    weights = tf.constant(self.rng.uniform(size=(1, 12, 12)))
    verts = tf.constant(verts[None])

    def loss(v):
      sil = soft_silhouette.soft_silhouette(v, faces, settings)
      return tf.reduce_sum(weights * sil)

    with tf.GradientTape() as tape:
      tape.watch(verts)
      value = loss(verts)
    grad = tape.gradient(value, verts).numpy()
    self.assertGreater(np.abs(grad[..., :2]).max(), 1e-2)
    self.assertAllEqual(grad[..., 2], np.zeros_like(grad[..., 2]))
    step = 1e-6
    # Ten coordinates with a gradient and four without (keeps the test fast).
    moving = np.argwhere(np.abs(grad[..., :2]) > 1e-3)
    still = np.argwhere(np.abs(grad[..., :2]) <= 1e-3)
    self.assertGreaterEqual(len(moving), 10)
    chosen = np.concatenate([moving[::len(moving) // 10][:10], still[:4]])
    for index in map(tuple, chosen):
      delta = np.zeros(verts.shape)
      delta[index] = step
      numeric = (loss(verts + delta) - loss(verts - delta)).numpy() / (
          2 * step)
      self.assertAllClose(grad[index], numeric, rtol=1e-4, atol=1e-6)

  def test_image_gradient_matches_finite_differences(self):
    """Each pixel's gradient (a row of the soft image's Jacobian) against
    central differences of the soft image."""
    verts, faces = meshes.random_triangles(self.rng, 3, 10)
    settings = _settings(10, sigma=0.4, min_coverage=1e-12)
    verts = tf.constant(verts[None])
    step = 1e-6
    delta = np.zeros(verts.shape)
    delta[0, 4, 0] = step
    plus = soft_silhouette.soft_silhouette(verts + delta, faces, settings)
    minus = soft_silhouette.soft_silhouette(verts - delta, faces, settings)
    numeric = ((plus - minus) / (2 * step)).numpy()[0]
    with tf.GradientTape(persistent=True) as tape:
      tape.watch(verts)
      sil = soft_silhouette.soft_silhouette(verts, faces, settings)
      pixels = [sil[0, y, x] for y in range(10) for x in range(10)]
    analytic = np.array([tape.gradient(p, verts)[0, 4, 0] for p in pixels])
    self.assertGreater(np.abs(numeric).max(), 1e-2)
    self.assertAllClose(analytic.reshape(10, 10), numeric, rtol=1e-4,
                        atol=1e-7)

  def test_bad_vertices_give_no_nan(self):
    verts, faces = meshes.random_triangles(self.rng, 6, 12)
    verts[0, 0] = np.nan
    verts[3:6, 2] = 0.0
    verts[6, 2] = -1.0
    verts[10] = verts[9]
    verts[11] = verts[9]
    verts[12, :2] = 1e30
    verts = tf.constant(verts[None])
    with tf.GradientTape() as tape:
      tape.watch(verts)
      sil = soft_silhouette.soft_silhouette(verts, faces, _settings(12))
      total = tf.reduce_sum(sil)
    grad = tape.gradient(total, verts)
    self.assertTrue(np.all(np.isfinite(sil.numpy())))
    self.assertTrue(np.all(np.isfinite(grad.numpy())))
    self.assertAllEqual(grad[0, :12], np.zeros((12, 3)))  # dropped faces

  def test_empty_image(self):
    verts = np.array([[[50.0, 50.0, 1.0], [51.0, 50.0, 1.0],
                       [50.0, 51.0, 1.0]]], np.float32)
    verts = tf.constant(verts)
    with tf.GradientTape() as tape:
      tape.watch(verts)
      sil = soft_silhouette.soft_silhouette(verts, [[0, 1, 2]], _settings(6))
      total = tf.reduce_sum(sil)
    self.assertAllEqual(sil, np.zeros((1, 6, 6)))
    self.assertAllEqual(tape.gradient(total, verts),
                        np.zeros((1, 3, 3)))
    no_faces = soft_silhouette.soft_silhouette(
        np.zeros((2, 0, 3)), np.zeros((0, 3), np.int32), _settings(6))
    self.assertAllEqual(no_faces, np.zeros((2, 6, 6)))

  def test_inside_tf_function_with_tape(self):
    verts, faces = meshes.sphere_screen(size=16)
    settings = _settings(16, cull_backfaces=True, jit_compile=True)

    @tf.function
    def render_and_grad(v):
      with tf.GradientTape() as tape:
        tape.watch(v)
        sil = soft_silhouette.soft_silhouette(v, faces, settings)
        total = tf.reduce_sum(sil)
      return sil, tape.gradient(total, v)

    verts = tf.constant(verts[None], tf.float32)
    sil, grad = render_and_grad(verts)
    self.assertAllClose(
        sil, soft_silhouette.soft_silhouette(verts, faces, settings))
    self.assertGreater(float(tf.reduce_max(tf.abs(grad))), 0.0)

  def test_count_pairs_is_bounded_by_boxes(self):
    verts, faces = meshes.sphere_screen(size=16, subdivisions=2)
    settings = _settings(16, cull_backfaces=True)
    pairs = int(soft_silhouette.count_pairs(verts[None], faces, settings))
    self.assertGreater(pairs, 0)
    self.assertLess(pairs, 16 * 16 * len(faces) // 10)

  @testing.named_parameters(
      ("verts_rank", np.zeros((4, 3)), np.zeros((1, 3), np.int32)),
      ("verts_channels", np.zeros((1, 4, 2)), np.zeros((1, 3), np.int32)),
      ("faces_shape", np.zeros((1, 4, 3)), np.zeros((2, 2), np.int32)))
  def test_bad_shapes(self, verts, faces):
    with self.assertRaises(ValueError):
      soft_silhouette.soft_silhouette(verts, faces, _settings(4))

  @testing.named_parameters(("sigma", dict(sigma=0.0)),
                            ("coverage", dict(min_coverage=0.7)),
                            ("size", dict(image_size=(4, -1))))
  def test_bad_settings(self, kwargs):
    kwargs = {"image_size": (4, 4), **kwargs}
    with self.assertRaises(ValueError):
      soft_silhouette.SoftSilhouetteSettings(**kwargs)


if __name__ == "__main__":
  testing.main()
