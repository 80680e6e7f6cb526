"""Losses: hand-worked values, bad shapes, and gradients (finite differences)
through the 6D head and the body model."""

import numpy as np
import tensorflow as tf

from body import lbs
from body import toy
from priors import losses
from priors import rotation6d
from tests import testing


class LossValueTest(testing.TestCase):

  def test_rotation_matrix_loss_hand_case(self):
    # A 90° turn about z differs from I by ‖R − I‖²_F = 4 (2·(1 − cos)·2).
    rz = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    pred = np.stack([rz, np.eye(3)])[None]          # [1, 2, 3, 3]
    gt = np.stack([np.eye(3), np.eye(3)])[None]
    self.assertAllClose(losses.rotation_matrix_loss(pred, gt), 2.0)

  def test_axis_angle_loss_hand_case(self):
    pred = np.zeros((1, 6))
    gt = np.array([[0.0, 0.0, 1.0, 0.0, 2.0, 0.0]])
    # Per joint ‖·‖²: 1 and 4, mean 2.5.
    self.assertAllClose(losses.axis_angle_loss(pred, gt), 2.5)

  def test_vertex_joint_reprojection_hand_cases(self):
    gt = np.zeros((2, 4, 3))
    pred = gt.copy()
    pred[0, 1, 0] = 0.2         # one vertex 20 cm off in sample 0
    self.assertAllClose(losses.vertex_loss(pred, gt), 0.04 / 4 / 2)
    # Joint loss is root-aligned: a pure shift costs nothing.
    self.assertAllClose(losses.joint_loss(gt + 3.0, gt), 0.0)
    kp = np.zeros((1, 2, 2))
    kp_pred = np.array([[[0.3, 0.4], [1.0, 0.0]]])
    self.assertAllClose(losses.reprojection_loss(kp_pred, kp), (0.25 + 1) / 2)
    self.assertAllClose(
        losses.reprojection_loss(kp_pred, kp, np.array([[1.0, 0.0]])),
        0.25 / 2)

  def test_camera_and_betas(self):
    self.assertAllClose(losses.camera_loss([[1.0, 0, 0]], [[0.0, 0, 2]]), 5.0)
    self.assertAllClose(losses.betas_loss([[1.0, 1.0]], [[0.0, 3.0]]), 2.5)

  @testing.parameters(
      (losses.rotation_matrix_loss, (2, 24, 3, 3), (2, 23, 3, 3)),
      (losses.vertex_loss, (2, 10, 3), (2, 11, 3)),
      (losses.vertex_loss, (10, 3), (10, 3)),
      (losses.betas_loss, (2, 10), (2, 9)))
  def test_rejects_bad_shapes(self, fn, shape_a, shape_b):
    with self.assertRaisesRegex(ValueError, "pred"):
      fn(tf.zeros(shape_a), tf.zeros(shape_b))


class LossGradientTest(testing.TestCase):

  def test_rotation_loss_gradient_through_6d(self):
    gt = tf.constant(rotation6d.to_matrix(
        self.rng.normal(size=(2, 3, 6))).numpy())

    def f(x):
      return losses.rotation_matrix_loss(rotation6d.to_matrix(x), gt)

    x = tf.constant(self.rng.normal(size=(2, 3, 6)))
    theoretical, numerical = tf.test.compute_gradient(f, [x])
    self.assertAllClose(theoretical, numerical, atol=1e-6)

  def test_vertex_loss_gradient_through_body_model(self):
    assets = toy.make_assets()
    betas = tf.constant(self.rng.normal(size=(1, 10)))
    gt_pose = rotation6d.to_matrix(tf.constant(
        np.tile([1.0, 0, 0, 0, 1, 0], (1, 24, 1))))
    gt = lbs.forward(assets, betas, gt_pose).vertices

    def f(x):
      pose = rotation6d.to_matrix(x)
      return losses.vertex_loss(lbs.forward(assets, betas, pose).vertices, gt)

    x = tf.constant(np.tile([1.0, 0, 0, 0, 1, 0], (1, 24, 1)) +
                    0.3 * self.rng.normal(size=(1, 24, 6)))
    theoretical, numerical = tf.test.compute_gradient(f, [x], delta=1e-6)
    self.assertAllClose(theoretical, numerical, atol=1e-5, rtol=1e-4)
    self.assertGreater(np.abs(theoretical[0]).max(), 1e-4)


if __name__ == "__main__":
  testing.main()
