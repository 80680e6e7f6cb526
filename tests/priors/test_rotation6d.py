"""6D rotation representation: round trips against SciPy, orthonormality,
gradients."""

import numpy as np
from scipy.spatial.transform import Rotation
import tensorflow as tf

from priors import rotation6d
from tests import testing


class Rotation6dTest(testing.TestCase):

  def test_round_trip_scipy_matrices(self):
    mats = Rotation.random(50, random_state=3).as_matrix()
    six = rotation6d.from_matrix(tf.constant(mats))
    np.testing.assert_allclose(six.numpy()[:, :3], mats[:, :, 0])
    np.testing.assert_allclose(rotation6d.to_matrix(six).numpy(), mats,
                               atol=1e-6)

  def test_arbitrary_input_gives_rotation(self):
    x = self.rng.normal(size=(4, 7, 6))
    r = rotation6d.to_matrix(tf.constant(x)).numpy()
    self.assertEqual(r.shape, (4, 7, 3, 3))
    np.testing.assert_allclose(np.swapaxes(r, -1, -2) @ r,
                               np.broadcast_to(np.eye(3), r.shape), atol=1e-6)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-6)
    # Gram–Schmidt by hand for one vector: first column is a1 normalised.
    a1 = x[0, 0, :3]
    np.testing.assert_allclose(r[0, 0, :, 0], a1 / np.linalg.norm(a1), atol=1e-6)

  def test_gradient(self):
    x = tf.constant(self.rng.normal(size=(2, 6)))
    theoretical, numerical = tf.test.compute_gradient(rotation6d.to_matrix,
                                                      [x])
    self.assertAllClose(theoretical, numerical, atol=1e-6)

  def test_cross_matches_numpy(self):
    a = self.rng.normal(size=(4, 5, 3))
    b = self.rng.normal(size=(1, 5, 3))
    self.assertAllClose(rotation6d.cross(tf.constant(a), tf.constant(b)),
                        np.cross(a, b))

  def test_cross_rejects_bad_shapes(self):
    with self.assertRaisesRegex(ValueError, "b must have shape"):
      rotation6d.cross(tf.zeros([2, 3]), tf.zeros([2, 4]))

  def test_to_matrix_graph_has_no_cross_op(self):
    fn = tf.function(rotation6d.to_matrix,
                     input_signature=[tf.TensorSpec([None, 6], tf.float32)])
    types = {n.op for n in fn.get_concrete_function().graph.as_graph_def().node}
    self.assertIn("Rsqrt", types)
    self.assertNotIn("Cross", types)

  @testing.parameters(((3, 5),), ((6, 3, 4),))
  def test_rejects_bad_shapes(self, shape):
    with self.assertRaises(ValueError):
      if shape[-1] == 5:
        rotation6d.to_matrix(tf.zeros(shape))
      else:
        rotation6d.from_matrix(tf.zeros(shape))


if __name__ == "__main__":
  testing.main()
