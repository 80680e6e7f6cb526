"""Training: resume after an interrupt, checkpoints vs exported weights."""

import dataclasses
import glob
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


def _small_config(model_dir, **kwargs):
  """A pose run of 20 steps with dropout, corruption and mirroring on (every
  random draw of a step), checkpoints every 5 steps."""
  values = dict(
      prior="pose", model_dir=model_dir, body_model="toy",
      data=data.DataConfig(noise=corruption.CorruptionConfig(),
                           clean_fraction=0.3, mirror=0.5),
      pose_model=pose_prior.PosePriorConfig(hidden_units=16, dropout=0.3),
      loss=config_lib.LossConfig(vertex_start=0.5),
      batch_size=8, num_steps=20, checkpoint_every=5, log_every=5,
      image_every=10, max_to_keep=5)
  values.update(kwargs)
  return config_lib.TrainConfig(**values)


def _weights(path, cfg):
  model = pose_prior.PosePrior(cfg.pose_model)
  model.load_weights(path)
  return [w.numpy() for w in model.weights]


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


  def test_resumed_run_is_bit_identical_to_an_uninterrupted_one(self):
    # 12 examples, batch 8: batches straddle epochs, so the resumed run must
    # find its place inside an epoch's permutation too.
    arrays = _arrays(12)
    whole_dir = self.create_tempdir().full_path
    whole = training.train(_small_config(whole_dir), arrays=arrays)
    cut_dir = self.create_tempdir().full_path
    cfg = _small_config(cut_dir)
    first = training.train(cfg, arrays=arrays, stop_after=13)  # "killed"
    self.assertEqual(first.final_step, 13)
    second = training.train(cfg, arrays=arrays)
    self.assertEqual(second.start_step, 10)
    expected = _weights(whole.weights_path, cfg)
    got = _weights(second.weights_path, cfg)
    self.assertLen(got, len(expected))
    for a, b in zip(expected, got):
      np.testing.assert_array_equal(a, b)
    self.assertEqual(whole.last_losses, second.last_losses)

  def test_rerun_with_other_flags_is_refused_before_writing(self):
    arrays = _arrays(12)
    model_dir = self.create_tempdir().full_path
    cfg = _small_config(model_dir, num_steps=10, image_every=0)
    result = training.train(cfg, arrays=arrays)
    config_path = os.path.join(model_dir, "config.json")
    with open(config_path) as f:
      saved_text = f.read()
    other = dataclasses.replace(cfg, learning_rate=0.5)
    with self.assertRaisesRegex(ValueError, r"learning_rate: 0.001 → 0.5"):
      training.train(other, arrays=arrays)
    with open(config_path) as f:
      self.assertEqual(f.read(), saved_text)
    # The directory still loads as the run it was.
    self.assertEqual(config_lib.load_json(config_path), cfg)
    _weights(result.weights_path, config_lib.load_json(config_path))
    # Settings that change neither maths nor order may change on resume.
    more = dataclasses.replace(cfg, log_every=2, checkpoint_every=2)
    self.assertEqual(training.train(more, arrays=arrays).start_step, 10)
    self.assertEqual(config_lib.load_json(config_path), more)

  def test_truncated_latest_checkpoint_falls_back_to_the_previous(self):
    arrays = _arrays(12)
    model_dir = self.create_tempdir().full_path
    cfg = _small_config(model_dir, image_every=0)
    training.train(cfg, arrays=arrays, stop_after=10)
    ckpt_dir = os.path.join(model_dir, "checkpoints")
    (data_file,) = glob.glob(os.path.join(ckpt_dir, "ckpt-10.data-*"))
    with open(data_file, "rb") as f:
      content = f.read()
    with open(data_file, "wb") as f:   # a kill in the middle of the write
      f.write(content[:len(content) // 2])
    with self.assertLogs(level="WARNING") as logs:
      resumed = training.train(cfg, arrays=arrays)
    self.assertEqual(resumed.start_step, 5)
    self.assertEqual(resumed.final_step, 20)
    self.assertIn("ckpt-10", "\n".join(logs.output))
    self.assertTrue(os.path.exists(os.path.join(
        ckpt_dir, "corrupt", os.path.basename(data_file))))
    # Finished from step 5: same weights as a run that was never cut.
    whole = training.train(_small_config(self.create_tempdir().full_path,
                                         image_every=0), arrays=arrays)
    for a, b in zip(_weights(whole.weights_path, cfg),
                    _weights(resumed.weights_path, cfg)):
      np.testing.assert_array_equal(a, b)


if __name__ == "__main__":
  testing.main()
