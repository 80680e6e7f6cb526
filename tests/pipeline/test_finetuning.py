"""Tests of pipeline.finetuning: the alternation, resume after a crash,
the exported weights load."""

import numpy as np
import tensorflow as tf

from pipeline import finetuning
from pipeline import model as model_lib
from tests import testing
from tests.pipeline import networks

S, M, K = 64, 16, 23      # The tiny Human2D: 64² crops, COCO_21_LSP.


def _batches(n=2):
  """An infinite dataset whose batch i is a function of i alone."""
  def make(i):
    seed = tf.stack([tf.constant(7, tf.int64), i])
    keypoints = tf.random.stateless_uniform([n, K, 2], seed, 16.0, S - 16.0)
    image = tf.random.stateless_uniform([n, S, S, 3], seed + 1, 0.0, 255.0)
    yy, xx = tf.meshgrid(tf.range(M, dtype=tf.float32),
                         tf.range(M, dtype=tf.float32), indexing="ij")
    blob = tf.cast((tf.abs(yy - M / 2) < M / 3) &
                   (tf.abs(xx - M / 2) < M / 6), tf.float32)
    return {"image": image, "keypoints": keypoints,
            "weights": tf.ones([n, K]), "heatmaps": tf.zeros([n, M, M, K]),
            "silhouette": tf.tile(blob[None], [n, 1, 1]),
            "has_silhouette": tf.ones([n])}
  return tf.data.Dataset.range(1 << 30).map(make)


class FinetuneTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.h2d, self.pose, self.shape = networks.write_tiny_weights(
        self.create_tempdir().full_path)

  def _config(self, **kw):
    base = dict(model_dir=self.create_tempdir().full_path,
                human2d_weights=self.h2d, pose_weights=self.pose,
                shape_weights=self.shape, batch_size=2, num_steps=8,
                learning_rate=1e-3, checkpoint_every=3, log_every=1,
                proxy_cell=0.0, render_jit_compile=False)
    base.update(kw)
    return finetuning.FinetuneConfig(**base)

  def test_alternation(self):
    turns = [finetuning.updates_human2d(i, 2) for i in range(6)]
    self.assertEqual(turns, [True, True, False, False, True, True])
    self.assertTrue(finetuning.updates_human2d(0, 1))
    self.assertFalse(finetuning.updates_human2d(1, 1))
    for i in range(4):
      self.assertFalse(finetuning.updates_human2d(i, 1, "priors"))
      self.assertTrue(finetuning.updates_human2d(i, 1, "human2d"))

  def test_a_frozen_network_keeps_its_weights(self):
    start = {"human2d": self.h2d, "pose_prior": self.pose,
             "shape_prior": self.shape}
    for update, frozen in (("priors", {"human2d"}),
                           ("human2d", {"pose_prior", "shape_prior"})):
      result = finetuning.finetune(
          self._config(update=update, num_steps=2), _batches())
      for name, path in start.items():
        moved = np.abs(_weights(result.weights[name]) - _weights(path)).max()
        if name in frozen:
          self.assertEqual(moved, 0.0, f"{update}: {name}")
        else:
          self.assertGreater(moved, 0.0, f"{update}: {name}")

  def test_priors_turns_before(self):
    for every, update in ((1, "both"), (2, "both"), (3, "priors")):
      turns = [not finetuning.updates_human2d(i, every, update)
               for i in range(9)]
      for step in range(10):
        self.assertEqual(
            finetuning.priors_turns_before(step, every, update),
            sum(turns[:step]), (every, update, step))

  def test_config_refuses_bad_values(self):
    with self.assertRaisesRegex(ValueError, "alternate_every"):
      self._config(alternate_every=0)
    with self.assertRaisesRegex(ValueError, "update"):
      self._config(update="everything")
    with self.assertRaisesRegex(ValueError, "prior_batch_size"):
      self._config(prior_examples=4, prior_batch_size=8)
    with self.assertRaisesRegex(ValueError, "prior_loss_weight"):
      self._config(prior_loss_weight=-1.0)
    with self.assertRaisesRegex(ValueError, "pose_weights"):
      self._config(pose_weights="/nonexistent.weights.h5")

  def test_resume_after_a_crash_matches_an_uninterrupted_run(self):
    # With the synthetic prior loss on, so that its batches resume too:
    # iterations alternate human2d / priors, so priors turns 0, 1, 2 run
    # at steps 1, 3, 5, and turn 3 (step 7) must draw synthetic batch 3.
    kw = dict(prior_loss_weight=0.5, prior_examples=8, prior_batch_size=2)
    cfg = self._config(**kw)
    # The run dies at step 7 (its data runs out), after the step-6
    # checkpoint; the rerun resumes there.
    with self.assertRaisesRegex(ValueError, "ran out"):
      finetuning.finetune(cfg, _batches().take(7))
    resumed = finetuning.finetune(cfg, _batches())
    self.assertEqual(resumed.start_step, 6)
    self.assertEqual(resumed.final_step, 8)
    whole = finetuning.finetune(self._config(**kw), _batches())
    self.assertEqual(whole.start_step, 0)
    # Step 8 (index 7) was a priors turn: its log holds the synthetic terms.
    self.assertIn("synthetic_pose", whole.last_losses)
    for key in ("render", "synthetic_pose"):
      self.assertAllClose(resumed.last_losses[key], whole.last_losses[key],
                          rtol=1e-4, msg=key)
    for name in ("human2d", "pose_prior", "shape_prior"):
      a = _weights(resumed.weights[name])
      b = _weights(whole.weights[name])
      # A step moves weights by ~lr = 1e-3; 1e-5 absorbs float reduction
      # order (threads), not a lost or repeated step.
      self.assertAllClose(a, b, rtol=1e-4, atol=1e-5, msg=name)
    # The same start without the synthetic loss ends elsewhere.
    plain = finetuning.finetune(self._config(), _batches())
    self.assertNotIn("synthetic_pose", plain.last_losses)
    self.assertGreater(np.abs(_weights(plain.weights["pose_prior"]) -
                              _weights(whole.weights["pose_prior"])).max(),
                       1e-6)
    # Training moved every network from its start.
    start = {"human2d": self.h2d, "pose_prior": self.pose,
             "shape_prior": self.shape}
    for name, path in start.items():
      self.assertGreater(np.abs(_weights(whole.weights[name]) -
                                _weights(path)).max(), 0.0, name)
    # The exported weights load like the shipped ones.
    model = model_lib.BodyFromImage.load(
        whole.weights["human2d"], pose_weights=whole.weights["pose_prior"],
        shape_weights=whole.weights["shape_prior"], flip_test=False)
    self.assertEqual(model.crop_size, S)


def _weights(path):
  """All arrays of a Keras weights file, flattened and concatenated."""
  return np.concatenate([a.ravel() for a in testing.stored_arrays(path)])


if __name__ == "__main__":
  testing.main()
