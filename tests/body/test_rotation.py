"""Tests for body/rotation.py."""

import numpy as np
import tensorflow as tf

from body import rotation
from tests import testing
from tests.body import reference


class RotationTest(testing.TestCase):

  def test_matches_rodrigues(self):
    vecs = self.rng.normal(size=(20, 3)) * 1.5
    vecs[0] = 0.0
    vecs[1] = [1e-9, 0, 0]
    expected = np.stack([reference.rodrigues(v) for v in vecs])
    self.assertAllClose(rotation.axis_angle_to_matrix(vecs), expected,
                        atol=1e-12)
    self.assertAllClose(rotation.axis_angle_to_matrix_np(vecs), expected,
                        atol=1e-12)

  def test_round_trip_and_zero(self):
    vecs = self.rng.normal(size=(50, 3))
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs = vecs / norms * self.rng.uniform(0.0, 3.0, size=(50, 1))
    vecs[0] = 0.0
    back = rotation.matrix_to_axis_angle(rotation.axis_angle_to_matrix(vecs))
    self.assertAllClose(back, vecs, atol=1e-6)

  def test_gradient_at_zero_is_skew(self):
    x = tf.zeros([3], tf.float64)
    with tf.GradientTape() as tape:
      tape.watch(x)
      r = rotation.axis_angle_to_matrix(x)
    jac = tape.jacobian(r, x).numpy()
    # dR/dv_z at 0 is the generator of rotations about z.
    self.assertAllClose(jac[..., 2], [[0, -1, 0], [1, 0, 0], [0, 0, 0]])

  def test_rejects_bad_shape(self):
    with self.assertRaisesRegex(ValueError, "rotvec"):
      rotation.axis_angle_to_matrix(np.zeros((4, 2)))


if __name__ == "__main__":
  testing.main()
