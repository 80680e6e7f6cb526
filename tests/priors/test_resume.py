"""Training: resume after an interrupt, checkpoints vs exported weights."""

import json
import os

import numpy as np
import tensorflow as tf

from body import toy
from priors import config as config_lib
from priors import data
from priors import pose_prior
from priors import training
from synth import corruption
from tests import testing

_TINY_DATA = data.DataConfig(noise=corruption.CLEAN, clean_fraction=1.0)


def _arrays(n=32, seed=0):
  return data.generate_arrays(toy.make_assets(), n, seed, chunk=n)


class ResumeTest(testing.TestCase):

  def test_resume_after_interrupt(self):
    arrays = _arrays()
    model_dir = self.create_tempdir().full_path
    cfg = config_lib.TrainConfig(
        prior="pose", model_dir=model_dir, body_model="toy", data=_TINY_DATA,
        pose_model=pose_prior.PosePriorConfig(hidden_units=32),
        loss=config_lib.LossConfig(vertex_start=1.0),   # one trace per run
        batch_size=8, num_steps=20, checkpoint_every=10, log_every=5,
        image_every=10)
    # "Killed" after 13 steps: the checkpoint of step 10 survives.
    first = training.train(cfg, arrays=arrays, stop_after=13)
    self.assertEqual(first.final_step, 13)
    self.assertFalse(os.path.exists(first.weights_path))
    ckpt = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    self.assertTrue(ckpt.endswith("-10"))
    second = training.train(cfg, arrays=arrays)
    self.assertEqual(second.start_step, 10)   # lost 3 < checkpoint_every
    self.assertEqual(second.final_step, 20)
    self.assertTrue(os.path.isfile(second.weights_path))
    with open(os.path.join(model_dir, "config.json")) as f:
      self.assertEqual(config_lib.from_dict(json.load(f)), cfg)
    # The optimiser state came back too: Adam's step counter.
    reader = tf.train.load_checkpoint(
        tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")))
    self.assertEqual(int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE")),
                     20)
    self.assertEqual(int(reader.get_tensor(
        "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE")), 20)
    names = [n for n, _ in tf.train.list_variables(
        tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")))]
    self.assertTrue(any(n.startswith("optimizer/") for n in names), names)
    self.assertNotEmpty(os.listdir(os.path.join(model_dir, "train")))

  def test_resumed_weights_equal_saved_ones(self):
    arrays = _arrays(16)
    model_dir = self.create_tempdir().full_path
    cfg = config_lib.TrainConfig(
        prior="pose", model_dir=model_dir, body_model="toy", data=_TINY_DATA,
        pose_model=pose_prior.PosePriorConfig(hidden_units=16),
        batch_size=8, num_steps=5, checkpoint_every=5, log_every=5,
        image_every=0)
    result = training.train(cfg, arrays=arrays)
    model = pose_prior.PosePrior(cfg.pose_model)
    model.load_weights(result.weights_path)
    ckpt = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    restored = pose_prior.PosePrior(cfg.pose_model)
    tf.train.Checkpoint(model=restored).restore(ckpt).expect_partial()
    for a, b in zip(model.weights, restored.weights):
      self.assertAllEqual(a, b)
    self.assertFalse(np.allclose(model.input_layer.kernel.numpy(), 0))


if __name__ == "__main__":
  testing.main()
