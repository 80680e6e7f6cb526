"""Tests for human2d/training.py: overfitting a handful of images, resume."""

import os

import keras
import numpy as np
import tensorflow as tf

from human2d import config
from human2d import data
from human2d import hourglass
from human2d import training
from tests import testing


def _fixed_batches(cfg: config.TrainConfig, n_images=4, seed=0):
  """An infinite dataset repeating the same `n_images` examples: blobs on
  a plain background, keypoints on the blobs, a silhouette."""
  rng = np.random.default_rng(seed)
  m, s = cfg.model.heatmap_size, cfg.model.input_size
  k = cfg.model.num_keypoints
  examples = []
  for _ in range(n_images):
    image = np.full([s, s, 3], 60, np.float32)
    xy = rng.uniform(8, s - 8, size=[k, 2]).astype(np.float32)
    for x, y in xy:
      image[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3] = 220
    ex = data.make_example(image, xy, np.ones([k], np.float32),
                           (image[..., 0] > 100).astype(np.float32), True,
                           tf.fill([2], (s - 1) / 2), float(s), 0.0,
                           cfg.model, cfg.augment, cfg.sigma,
                           tf.constant([0, 0], tf.int64), training=False)
    examples.append(ex)
  batch = {key: tf.stack([e[key] for e in examples]) for key in examples[0]}
  return tf.data.Dataset.from_tensors(batch).repeat()


def _config(model_dir, **kw):
  base = dict(model_dir=model_dir,
              model=config.preset("tiny", channels=16, num_stacks=1),
              sources=(config.SourceConfig("records", "unused"),),
              batch_size=4, num_steps=150, optimizer="adam",
              learning_rate=3e-3, warmup_steps=10, checkpoint_every=50,
              log_every=50, image_every=100, sigma=1.0)
  base.update(kw)
  return config.TrainConfig(**base)


class TrainingTest(testing.TestCase):

  def test_overfits_a_handful_of_images(self):
    cfg = _config(self.create_tempdir().full_path)
    result = training.train(cfg, _fixed_batches(cfg))
    self.assertEqual(result.final_step, 150)
    self.assertTrue(os.path.exists(result.weights_path))
    # The first step's loss is ~100 × MSE of random outputs plus ln 2; the
    # fitted network must be far below it.
    first = _config(self.create_tempdir().full_path, num_steps=1,
                    log_every=1)
    start = training.train(first, _fixed_batches(first)).last_losses
    self.assertLess(result.last_losses["total"], 0.2 * start["total"])
    self.assertLess(result.last_losses["silhouette"],
                    0.75 * start["silhouette"])

  def test_resume_after_a_crash_matches_an_uninterrupted_run(self):
    d = self.create_tempdir().full_path
    cfg = _config(d, num_steps=20, checkpoint_every=5, log_every=5)
    ds = _fixed_batches(cfg)
    # The run dies at step 13 (its data source fails), after the step-10
    # checkpoint; the rerun resumes from there.
    with self.assertRaisesRegex(ValueError, "ran out"):
      training.train(cfg, ds.take(13))
    result = training.train(cfg, ds)
    self.assertEqual(result.start_step, 10)
    self.assertEqual(result.final_step, 20)
    whole = _config(self.create_tempdir().full_path, num_steps=20,
                    checkpoint_every=5, log_every=5)
    uninterrupted = training.train(whole, ds)
    self.assertAllClose(result.last_losses["total"],
                        uninterrupted.last_losses["total"], rtol=1e-4)

  def test_bfloat16_training_learns_and_exports_float32_weights(self):
    d = self.create_tempdir().full_path
    # image_every < num_steps: the TensorBoard pictures are drawn from
    # bfloat16 outputs too.
    cfg = _config(d, num_steps=60, log_every=5, checkpoint_every=30,
                  image_every=30, precision="mixed_bfloat16")
    first = _config(self.create_tempdir().full_path, num_steps=1,
                    log_every=1, precision="mixed_bfloat16")
    start = training.train(first, _fixed_batches(first)).last_losses
    result = training.train(cfg, _fixed_batches(cfg))
    self.assertTrue(np.isfinite(result.last_losses["total"]))
    self.assertLess(result.last_losses["total"], 0.5 * start["total"])
    # The global policy is back to float32, and the weights load into a
    # float32 model (what inference builds) and predict finite maps there.
    self.assertEqual(keras.config.dtype_policy().name, "float32")
    self.assertEqual(_file_dtypes(result.weights_path), {np.dtype("float32")})
    model = hourglass.build(cfg.model)
    model.load_weights(result.weights_path)
    batch = next(iter(_fixed_batches(cfg)))
    hms, _ = model(batch["image"], training=False)
    self.assertEqual(hms.dtype, tf.float32)
    self.assertTrue(np.all(np.isfinite(hms.numpy())))
    with training.dtype_policy(cfg.precision):
      mixed = hourglass.build(cfg.model)
    self.assertEqual(mixed(batch["image"])[0].dtype, tf.bfloat16)
    self.assertEqual(keras.config.dtype_policy().name, "float32")

  def test_dtype_policy_is_restored_after_an_exception(self):
    with self.assertRaisesRegex(RuntimeError, "inside"):
      with training.dtype_policy("mixed_bfloat16"):
        self.assertEqual(keras.config.dtype_policy().name, "mixed_bfloat16")
        raise RuntimeError("inside")
    self.assertEqual(keras.config.dtype_policy().name, "float32")

  def test_bfloat16_warning_follows_the_cpu_flags(self):
    def cpuinfo(flags):
      path = os.path.join(self.get_temp_dir(), f"cpuinfo_{len(flags)}")
      with open(path, "w") as f:
        for core in range(2):
          f.write(f"processor\t: {core}\nflags\t\t: fpu sse2 avx2 {flags}\n\n")
      return path
    slow, fast = cpuinfo("fma"), cpuinfo("avx512f avx512_bf16")
    self.assertIs(training.cpu_has_bfloat16(slow), False)
    self.assertIs(training.cpu_has_bfloat16(fast), True)
    self.assertIsNone(training.cpu_has_bfloat16("/nonexistent/cpuinfo"))
    arm = os.path.join(self.get_temp_dir(), "cpuinfo_arm")
    with open(arm, "w") as f:
      f.write("processor\t: 0\nFeatures\t: fp asimd bf16\n\n")
    self.assertIsNone(training.cpu_has_bfloat16(arm))
    self.assertIsNone(training.check_precision("mixed_bfloat16", arm))
    if tf.config.list_physical_devices("GPU"):
      self.skipTest("a GPU: the CPU's bfloat16 does not matter")
    self.assertIn("--precision=float32",
                  training.check_precision("mixed_bfloat16", slow))
    self.assertIsNone(training.check_precision("mixed_bfloat16", fast))
    self.assertIsNone(training.check_precision("float32", slow))
    self.assertIsNone(training.check_precision("mixed_bfloat16",
                                               "/nonexistent/cpuinfo"))

  def test_resume_may_switch_precision(self):
    # A float32 run dies after its step-2 checkpoint; the rerun asks for
    # bfloat16 (allowed: RESUMABLE_CHANGES) and finishes from step 2, while a
    # changed num_steps is still refused.
    d = self.create_tempdir().full_path
    first = _config(d, num_steps=6, checkpoint_every=2, log_every=2)
    ds = _fixed_batches(first)
    with self.assertRaisesRegex(ValueError, "ran out"):
      training.train(first, ds.take(3))
    other = _config(d, num_steps=8, checkpoint_every=2, log_every=2,
                    precision="mixed_bfloat16")
    with self.assertRaisesRegex(ValueError, "num_steps"):
      training.train(other, ds)
    switched = _config(d, num_steps=6, checkpoint_every=2, log_every=2,
                       precision="mixed_bfloat16")
    result = training.train(switched, ds)
    self.assertEqual((result.start_step, result.final_step), (2, 6))
    self.assertTrue(np.isfinite(result.last_losses["total"]))
    self.assertEqual(_file_dtypes(result.weights_path), {np.dtype("float32")})

  def test_rerun_with_other_flags_is_refused_before_writing(self):
    d = self.create_tempdir().full_path
    cfg = _config(d, num_steps=2, checkpoint_every=1, log_every=1)
    training.train(cfg, _fixed_batches(cfg))
    with open(os.path.join(d, "config.json")) as f:
      before = f.read()
    other = _config(d, num_steps=2, learning_rate=1e-4)
    with self.assertRaisesRegex(ValueError, "learning_rate"):
      training.train(other, _fixed_batches(other))
    with open(os.path.join(d, "config.json")) as f:
      self.assertEqual(f.read(), before)

  def test_learning_rate_schedule(self):
    cfg = _config("/tmp/unused", num_steps=100, warmup_steps=10)
    rate = training.learning_rate(cfg)
    self.assertAllClose(rate(0), cfg.learning_rate / 10)
    self.assertAllClose(rate(10), cfg.learning_rate)
    self.assertAllClose(rate(100), cfg.learning_rate * cfg.final_lr_fraction)



def _file_dtypes(path):
  """The dtypes of every array stored in a Keras weights file."""
  return {a.dtype for a in testing.stored_arrays(path)}


if __name__ == "__main__":
  testing.main()
