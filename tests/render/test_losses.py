"""Tests for render.losses."""

import numpy as np
import tensorflow as tf

from render import losses
from tests import testing


class KeypointLossTest(testing.TestCase):

  def test_hand_worked(self):
    projected = [[[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]]]
    observed = [[[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]]
    # 0.5·1 + 2·25 + 1·0 = 50.5
    self.assertAllClose(
        losses.keypoint_reprojection(projected, observed,
                                     [[0.5, 2.0, 1.0]]), [50.5])
    self.assertAllClose(losses.keypoint_reprojection(projected, observed),
                        [26.0])

  def test_non_finite_keypoints_are_ignored(self):
    projected = tf.constant([[[0.0, 0.0], [3.0, 4.0]]])
    observed = tf.constant([[[1.0, 0.0], [np.nan, 0.0]]])
    with tf.GradientTape() as tape:
      tape.watch(projected)
      loss = losses.keypoint_reprojection(projected, observed)
    self.assertAllClose(loss, [1.0])
    self.assertAllClose(tape.gradient(loss, projected),
                        [[[-2.0, 0.0], [0.0, 0.0]]])

  @testing.parameters(((1, 3, 2), (1, 4, 2), None), ((3, 2), (3, 2), None),
                      ((1, 3, 2), (1, 3, 2), (1, 2)))
  def test_bad_shapes(self, projected, observed, confidence):
    confidence = None if confidence is None else np.ones(confidence)
    with self.assertRaises(ValueError):
      losses.keypoint_reprojection(np.zeros(projected), np.zeros(observed),
                                   confidence)


class SilhouetteLossTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.rendered = np.array([[[0.5, 1.0], [0.0, 0.25]]])
    self.observed = np.array([[[1.0, 1.0], [0.0, 0.0]]])

  def test_l2(self):
    self.assertAllClose(
        losses.silhouette_l2(self.rendered, self.observed), [0.3125])

  def test_iou(self):
    # intersection 0.5 + 1 = 1.5; union Σ(Ŝ + S − ŜS) = 1 + 1 + 0.25.
    self.assertAllClose(losses.silhouette_iou(self.rendered, self.observed),
                        [1 - 1.5 / 2.25], atol=1e-5)
    self.assertAllClose(losses.silhouette_iou(np.zeros((1, 2, 2)),
                                              np.zeros((1, 2, 2))), [0.0])

  def test_bce(self):
    eps = 1e-6
    expected = -(np.log(0.5) + np.log(1 - eps) + np.log(1 - eps) +
                 np.log(0.75)) / 4
    self.assertAllClose(losses.silhouette_bce(self.rendered, self.observed),
                        [expected])

  def test_gradients_are_finite_at_saturation(self):
    rendered = tf.constant([[[0.0, 1.0]]])
    observed = tf.constant([[[1.0, 0.0]]])

    @tf.function
    def grads(r):
      with tf.GradientTape() as tape:
        tape.watch(r)
        total = (losses.silhouette_bce(r, observed) +
                 losses.silhouette_iou(r, observed) +
                 losses.silhouette_l2(r, observed))
      return tape.gradient(total, r)

    self.assertTrue(np.all(np.isfinite(grads(rendered).numpy())))

  @testing.parameters(((2, 2), (2, 2)), ((1, 2, 2), (1, 3, 2)))
  def test_bad_shapes(self, rendered, observed):
    for fn in (losses.silhouette_l2, losses.silhouette_iou,
               losses.silhouette_bce):
      with self.assertRaises(ValueError):
        fn(np.zeros(rendered), np.zeros(observed))


if __name__ == "__main__":
  testing.main()
