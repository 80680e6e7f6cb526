"""Tests of pipeline.synthetic_loss: the priors' own loss on synthetic
bodies, as fine-tuning uses it."""

import numpy as np
import tensorflow as tf

from pipeline import synthetic_loss
from priors import pretrained
from tests import testing
from tests.pipeline import networks


class SyntheticPriorLossTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    _, self.pose, self.shape = networks.write_tiny_weights(
        self.create_tempdir().full_path)
    self.loss = synthetic_loss.SyntheticPriorLoss(self.pose, self.shape,
                                                  num_examples=12,
                                                  batch_size=4, seed=3)
    self.pose_model = pretrained.load_pose_prior(self.pose)
    self.shape_model = pretrained.load_shape_prior(self.shape)

  def test_batches_are_a_function_of_the_turn(self):
    whole = iter(self.loss.dataset(0))
    for _ in range(3):
      next(whole)
    third = next(whole)
    resumed = next(iter(self.loss.dataset(3)))
    for key in ("inputs", "rotmats", "silhouette", "betas"):
      self.assertAllClose(third[key], resumed[key], msg=key)

  def test_loss_is_finite_and_reaches_both_priors(self):
    batch = next(iter(self.loss.dataset(0)))
    variables = (self.pose_model.trainable_variables +
                 self.shape_model.trainable_variables)
    with tf.GradientTape() as tape:
      total, parts = self.loss(self.pose_model, self.shape_model, batch)
    self.assertEqual(set(parts), set(synthetic_loss.TERMS))
    self.assertAllClose(total, parts["pose"] + parts["shape"])
    for name, value in parts.items():
      self.assertTrue(np.isfinite(value.numpy()), name)
      self.assertGreater(float(value), 0.0, name)
    grads = tape.gradient(total, variables)
    pose_n = len(self.pose_model.trainable_variables)
    for label, part in (("pose", grads[:pose_n]), ("shape", grads[pose_n:])):
      norm = sum(float(tf.reduce_sum(tf.square(g))) for g in part
                 if g is not None)
      self.assertGreater(norm, 0.0, label)

  def test_refuses_a_batch_larger_than_the_set(self):
    with self.assertRaisesRegex(ValueError, "batch_size"):
      synthetic_loss.SyntheticPriorLoss(self.pose, self.shape,
                                        num_examples=2, batch_size=4, seed=0)


if __name__ == "__main__":
  testing.main()
