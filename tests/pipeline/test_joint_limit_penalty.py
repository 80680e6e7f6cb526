"""Tests of pipeline.joint_limit_penalty against synth.joint_limits (NumPy)."""

import numpy as np
import tensorflow as tf

from pipeline import joint_limit_penalty
from synth import joint_limits
from tests import testing


class JointLimitPenaltyTest(testing.TestCase):

  @testing.parameters(0.3, 1e-4)
  def test_excess_matches_numpy_check(self, hinge_tolerance):
    theta = self.rng.normal(size=(300, 72)) * 0.8
    want = joint_limits.check(theta, hinge_tolerance=hinge_tolerance,
                              tolerance=0.0).worst
    got = joint_limit_penalty.excess(tf.constant(theta, tf.float64),
                                     hinge_tolerance).numpy()
    self.assertGreater(np.mean(want > 0), 0.1)   # the draw breaks limits
    self.assertAllClose(got, want, atol=1e-5)

  def test_zero_inside_limits(self):
    theta = np.zeros((2, 72))
    theta[1, 3 * joint_limits.L_KNEE] = 1.0          # knee flexed
    theta[1, 3 * joint_limits.R_ELBOW + 1] = 1.0     # right elbow flexed
    self.assertAllEqual(
        joint_limit_penalty.penalty(tf.constant(theta, tf.float32)),
        [0.0, 0.0])

  def test_penalty_is_the_sum_of_squared_excess(self):
    theta = np.zeros((1, 72))
    theta[0, 3 * joint_limits.L_KNEE] = -0.5          # hyperextended
    theta[0, 3 * joint_limits.NECK + 2] = 0.5         # 0.2 past its box
    self.assertAllClose(
        joint_limit_penalty.penalty(tf.constant(theta, tf.float64)),
        [0.5**2 + 0.2**2])

  def test_gradients_finite_at_rest_and_at_random_poses(self):
    theta = tf.constant(np.concatenate(
        [np.zeros((1, 72)), self.rng.normal(size=(8, 72))]), tf.float32)
    with tf.GradientTape() as tape:
      tape.watch(theta)
      value = tf.reduce_sum(joint_limit_penalty.penalty(theta))
    grad = tape.gradient(value, theta).numpy()
    self.assertTrue(np.all(np.isfinite(grad)))
    self.assertGreater(np.abs(grad).max(), 0.0)
    self.assertAllEqual(grad[0], np.zeros(72))

  def test_rejects_wrong_shape(self):
    with self.assertRaisesRegex(ValueError, "theta must have shape"):
      joint_limit_penalty.excess(tf.zeros([2, 24, 3]))


if __name__ == "__main__":
  testing.main()
