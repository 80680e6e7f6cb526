"""Tests for body/lbs.py against an independent NumPy float64 reference."""

import numpy as np
import tensorflow as tf

from body import lbs
from body import toy
from tests import testing
from tests.body import reference


class LbsTest(testing.TestCase):

  def _random_inputs(self, batch, num_betas=10, scale=0.8):
    theta = self.rng.normal(scale=scale, size=(batch, 72))
    betas = self.rng.normal(size=(batch, num_betas))
    transl = self.rng.normal(size=(batch, 3))
    return theta, betas, transl

  @testing.parameters((1, 10), (3, 10), (2, 4))
  def test_matches_numpy_reference_float64(self, batch, num_betas):
    assets = toy.make_assets()
    theta, betas, transl = self._random_inputs(batch, num_betas)
    out = lbs.forward_axis_angle(assets, betas, tf.constant(theta), transl)
    for b in range(batch):
      rotmats = np.stack([reference.rodrigues(r)
                          for r in theta[b].reshape(24, 3)])
      verts, joints = reference.smpl_forward(assets, betas[b], rotmats,
                                             transl[b])
      self.assertAllClose(out.vertices[b], verts, atol=1e-10)
      self.assertAllClose(out.joints[b], joints, atol=1e-10)

  def test_float32_close_to_float64(self):
    assets = toy.make_assets()
    theta, betas, transl = self._random_inputs(4)
    out64 = lbs.forward_axis_angle(assets, betas, tf.constant(theta), transl)
    out32 = lbs.forward_axis_angle(assets, betas.astype(np.float32),
                                   tf.constant(theta, tf.float32),
                                   transl.astype(np.float32))
    self.assertEqual(out32.vertices.dtype, tf.float32)
    self.assertAllClose(out32.vertices, out64.vertices, atol=2e-5)

  def test_zero_pose_is_template_and_rest_joints(self):
    assets = toy.make_assets()
    out = lbs.forward_axis_angle(assets, np.zeros((2, 10)),
                                 tf.zeros([2, 72], tf.float64))
    self.assertAllClose(out.vertices[1], assets.v_template)
    self.assertAllClose(out.joints[0],
                        assets.j_regressor @ assets.v_template)

  def test_tf_function_xla_and_dynamic_batch(self):
    assets = toy.make_assets()
    theta, betas, transl = self._random_inputs(5)
    eager = lbs.forward_axis_angle(assets, betas, tf.constant(theta), transl)

    @tf.function(input_signature=[tf.TensorSpec([None, 10], tf.float64),
                                  tf.TensorSpec([None, 72], tf.float64),
                                  tf.TensorSpec([None, 3], tf.float64)],
                 jit_compile=True)
    def compiled(b, t, x):
      return lbs.forward_axis_angle(assets, b, t, x)

    for n in (5, 2):
      out = compiled(betas[:n], theta[:n], transl[:n])
      self.assertAllClose(out.vertices, eager.vertices[:n], atol=1e-9)

  def test_first_call_inside_tf_function_then_another_graph(self):
    # A fresh model whose constants are first built while tracing.
    assets = toy.make_assets(num_betas=7)
    fn1 = tf.function(lambda t: lbs.forward_axis_angle(
        assets, tf.zeros([1, 7]), t).vertices)
    fn2 = tf.function(lambda t: lbs.forward_axis_angle(
        assets, tf.zeros([1, 7]), t).joints)
    theta = tf.zeros([1, 72])
    self.assertAllClose(fn1(theta)[0], assets.v_template)
    self.assertAllClose(fn2(theta)[0],
                        assets.j_regressor @ assets.v_template)

  def test_gradients_match_finite_differences(self):
    assets = toy.make_assets()
    theta, betas, transl = self._random_inputs(1, scale=0.5)
    # A fixed random projection keeps the Jacobian small.
    probe = tf.constant(self.rng.normal(size=(1, assets.num_vertices, 3)))

    def objective(b, t, x):
      out = lbs.forward_axis_angle(assets, b, t, x)
      return tf.reduce_sum(out.vertices * probe) + tf.reduce_sum(
          out.joints ** 2)

    theoretical, numerical = tf.test.compute_gradient(
        objective, [tf.constant(betas), tf.constant(theta),
                    tf.constant(transl)], delta=1e-6)
    for th, nu in zip(theoretical, numerical):
      self.assertAllClose(th, nu, rtol=1e-5, atol=1e-5)

  def test_gradient_at_zero_pose_is_finite(self):
    assets = toy.make_assets()
    theta = tf.zeros([2, 72], tf.float32)
    with tf.GradientTape() as tape:
      tape.watch(theta)
      out = lbs.forward_axis_angle(assets, tf.zeros([2, 10]), theta)
      loss = tf.reduce_sum(out.vertices ** 2)
    grad = tape.gradient(loss, theta)
    self.assertTrue(np.all(np.isfinite(grad.numpy())))
    self.assertGreater(np.abs(grad.numpy()).max(), 0.0)

  def test_rotation_matrix_input(self):
    assets = toy.make_assets()
    rotmats = np.tile(np.eye(3), (3, 24, 1, 1))
    rotmats[:, 0] = reference.rodrigues(np.array([0.0, np.pi / 2, 0.0]))
    out = lbs.forward(assets, np.zeros((3, 10)), rotmats)
    # Rotating the root by 90° about y maps +x (the body's left) to −z.
    left_hip = out.joints.numpy()[0, 1]
    self.assertAllClose(left_hip, [0.0, -0.09, -0.06], atol=1e-6)

  @testing.named_parameters(
      ("betas_rank", (2,), (2, 24, 3, 3), None, "betas"),
      ("too_many_betas", (2, 11), (2, 24, 3, 3), None, "components"),
      ("pose_joints", (2, 10), (2, 23, 3, 3), None, "pose"),
      ("pose_axis_angle", (2, 10), (2, 72), None, "pose"),
      ("transl", (2, 10), (2, 24, 3, 3), (2, 4), "transl"),
      ("batch_mismatch", (3, 10), (2, 24, 3, 3), None, "batch"),
  )
  def test_rejects_bad_shapes(self, betas_shape, pose_shape, transl_shape,
                              message):
    assets = toy.make_assets()
    transl = None if transl_shape is None else np.zeros(transl_shape)
    with self.assertRaisesRegex(ValueError, message):
      lbs.forward(assets, np.zeros(betas_shape), np.zeros(pose_shape), transl)

  def test_rejects_bad_theta(self):
    with self.assertRaisesRegex(ValueError, "theta"):
      lbs.forward_axis_angle(toy.make_assets(), np.zeros((1, 10)),
                             np.zeros((1, 69)))

  # Issue 19, defect 3: non-finite values.
  def test_nan_theta_stays_in_its_sample_or_raises_when_checked(self):
    assets = toy.make_assets()
    theta, betas, _ = self._random_inputs(3)
    theta[1, 7] = np.nan
    out = lbs.forward_axis_angle(assets, betas, tf.constant(theta))
    finite = np.isfinite(out.vertices.numpy()).all(axis=(1, 2))
    self.assertAllEqual(finite, [True, False, True])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "theta contains NaN"):
      lbs.forward_axis_angle(assets, betas, tf.constant(theta),
                             check_finite=True)
    betas[2, 0] = np.inf
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "betas contains NaN"):
      lbs.forward(assets, betas, np.tile(np.eye(3), [3, 24, 1, 1]),
                  check_finite=True)

  def test_float16_theta_is_computed_in_float32(self):
    assets = toy.make_assets()
    out = lbs.forward_axis_angle(assets, np.zeros((1, 10), np.float16),
                                 np.zeros((1, 72), np.float16))
    self.assertEqual(out.vertices.dtype, tf.float32)
    self.assertAllClose(out.vertices[0], assets.v_template, atol=1e-6)

  @testing.parameters(1e6, 1e19, 1e30)
  def test_huge_finite_theta_gives_a_finite_mesh(self, value):
    assets = toy.make_assets()
    theta = np.zeros((1, 72), np.float32)
    theta[0, 3:6] = [value, -value, 0.5 * value]
    out = lbs.forward_axis_angle(assets, np.zeros((1, 10), np.float32), theta)
    self.assertTrue(np.isfinite(out.vertices.numpy()).all())
    # The joint's rotation is the float64 Rodrigues matrix of the same θ.
    rotmats = np.stack([reference.rodrigues(r) for r in
                        theta[0].astype(np.float64).reshape(24, 3)])
    verts, _ = reference.smpl_forward(assets, np.zeros(10), rotmats,
                                      np.zeros(3))
    if value < 1e7:  # Beyond, float32 cannot resolve the angle mod 2π.
      self.assertAllClose(out.vertices[0], verts, atol=1e-3)


if __name__ == "__main__":
  testing.main()
