"""runtime.checkpoints: the config guard, restore past unreadable
checkpoints, workers that write nothing shared, dropout seed states."""

import glob
import json
import os

import keras
import numpy as np
import tensorflow as tf

from runtime import checkpoints
from runtime import strategy as strategy_lib
from tests import testing

_WORKER = strategy_lib.WorkerRole(task_type="worker", task_id=1,
                                  num_workers=2, is_chief=False)


def _truncate(path):
  with open(path, "rb") as f:
    content = f.read()
  with open(path, "wb") as f:
    f.write(content[:len(content) // 2])


class ConfigTest(testing.TestCase):

  def test_differences_name_nested_keys(self):
    old = {"a": 1, "loss": {"w": 1.0, "start": 0.5}, "t": (1, 2)}
    new = {"a": 1, "loss": {"w": 2.0, "start": 0.5}, "t": [1, 2], "x": 3}
    self.assertEqual(checkpoints.config_differences(old, new),
                     ["loss.w: 1.0 → 2.0", "x: '<absent>' → 3"])
    self.assertEqual(checkpoints.config_differences(old, new,
                                                    ("loss", "x")), [])

  def test_differing_config_is_refused_before_writing(self):
    model_dir = self.create_tempdir().full_path
    checkpoints.prepare_model_dir(model_dir, {"lr": 0.1, "steps": 5})
    path = os.path.join(model_dir, "config.json")
    with open(path) as f:
      saved = f.read()
    with self.assertRaisesRegex(ValueError, r"lr: 0.1 → 0.2.*new model_dir"):
      checkpoints.prepare_model_dir(model_dir, {"lr": 0.2, "steps": 5})
    with open(path) as f:
      self.assertEqual(f.read(), saved)
    # Same config, or a difference allowed: fine, the new one is written.
    checkpoints.prepare_model_dir(model_dir, {"lr": 0.1, "steps": 5})
    checkpoints.prepare_model_dir(model_dir, {"lr": 0.1, "steps": 9},
                                  may_differ=("steps",))
    with open(path) as f:
      self.assertEqual(json.load(f), {"lr": 0.1, "steps": 9})

  def test_unreadable_config_is_refused(self):
    model_dir = self.create_tempdir().full_path
    with open(os.path.join(model_dir, "config.json"), "w") as f:
      f.write("{half")
    with self.assertRaisesRegex(ValueError, "not valid JSON"):
      checkpoints.prepare_model_dir(model_dir, {"lr": 0.1})

  def test_workers_write_no_config(self):
    model_dir = os.path.join(self.create_tempdir().full_path, "run")
    checkpoints.prepare_model_dir(model_dir, {"lr": 0.1}, _WORKER)
    self.assertFalse(os.path.exists(model_dir))


class KeeperTest(testing.TestCase):

  def _keeper(self, model_dir, role=strategy_lib.SINGLE):
    v = tf.Variable(tf.zeros([100]))
    return v, checkpoints.CheckpointKeeper({"v": v}, model_dir, role,
                                           max_to_keep=5)

  def test_fresh_directory_restores_nothing(self):
    _, keeper = self._keeper(self.create_tempdir().full_path)
    self.assertIsNone(keeper.restore())
    self.assertIsNone(keeper.latest)

  def test_truncated_latest_falls_back_to_the_previous_one(self):
    model_dir = self.create_tempdir().full_path
    v, keeper = self._keeper(model_dir)
    for step in (1, 2, 3):
      v.assign(tf.fill([100], float(step)))
      keeper.save(step)
    _truncate(glob.glob(os.path.join(keeper.directory, "ckpt-3.data*"))[0])
    v2, keeper2 = self._keeper(model_dir)
    with self.assertLogs(level="WARNING") as logs:
      path = keeper2.restore()
    self.assertEqual(checkpoints.step_of(path), 2)
    np.testing.assert_array_equal(v2.numpy(), np.full([100], 2.0))
    self.assertIn("ckpt-3", logs.output[0])
    # Set aside: the next run neither retries nor counts it.
    self.assertEqual(checkpoints.step_of(keeper2.latest), 2)
    self.assertNotEmpty(glob.glob(os.path.join(keeper.directory, "corrupt",
                                               "ckpt-3.*")))
    keeper2.save(4)
    self.assertEqual(checkpoints.step_of(keeper2.latest), 4)

  def test_garbled_index_falls_back_too(self):
    model_dir = self.create_tempdir().full_path
    v, keeper = self._keeper(model_dir)
    keeper.save(1)
    v.assign(tf.ones([100]))
    keeper.save(2)
    _truncate(os.path.join(keeper.directory, "ckpt-2.index"))
    _, keeper2 = self._keeper(model_dir)
    self.assertEqual(checkpoints.step_of(keeper2.restore()), 1)

  def test_all_unreadable_is_an_error_naming_them(self):
    model_dir = self.create_tempdir().full_path
    _, keeper = self._keeper(model_dir)
    keeper.save(7)
    _truncate(glob.glob(os.path.join(keeper.directory, "ckpt-7.data*"))[0])
    _, keeper2 = self._keeper(model_dir)
    with self.assertRaisesRegex(ValueError, "ckpt-7"):
      keeper2.restore()

  def test_checkpoint_without_an_optional_object_restores_the_rest(self):
    model_dir = self.create_tempdir().full_path
    v = tf.Variable(tf.fill([3], 5.0))
    checkpoints.CheckpointKeeper({"v": v}, model_dir).save(1)
    v2, seed = tf.Variable(tf.zeros([3])), tf.Variable([7, 0])
    keeper = checkpoints.CheckpointKeeper({"v": v2, "seeds": [seed]},
                                          model_dir, optional=("seeds",))
    self.assertEqual(checkpoints.step_of(keeper.restore()), 1)
    np.testing.assert_array_equal(v2.numpy(), [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(seed.numpy(), [7, 0])
    strict = checkpoints.CheckpointKeeper({"v": v2, "seeds": [seed]},
                                          model_dir)
    with self.assertRaises(AssertionError):   # not optional: another model
      strict.restore()
    with self.assertRaisesRegex(ValueError, "optional names"):
      checkpoints.CheckpointKeeper({"v": v2}, model_dir, optional=("x",))

  def test_worker_saves_leave_the_model_dir_alone(self):
    model_dir = self.create_tempdir().full_path
    _, chief = self._keeper(model_dir)
    chief.save(1)
    before = sorted(os.listdir(chief.directory))
    v, worker = self._keeper(model_dir, _WORKER)
    self.assertEqual(checkpoints.step_of(worker.restore()), 1)  # reads it
    written = worker.save(2)
    self.assertEqual(sorted(os.listdir(chief.directory)), before)
    self.assertFalse(glob.glob(written + "*"))    # its scratch is gone
    self.assertEqual(checkpoints.step_of(worker.latest), 1)

  def test_save_file(self):
    directory = self.create_tempdir().full_path
    path = os.path.join(directory, "m.weights.h5")
    seen = []

    def save(target):
      seen.append(target)
      self.assertTrue(target.endswith(".weights.h5"))
      with open(target, "w") as f:
        f.write("w")

    checkpoints.save_file(save, path)
    self.assertEqual(os.listdir(directory), ["m.weights.h5"])
    os.remove(path)
    checkpoints.save_file(save, path, _WORKER)
    self.assertEqual(os.listdir(directory), [])
    self.assertFalse(os.path.exists(seen[-1]))


class SeedStatesTest(testing.TestCase):

  def test_restored_seed_states_repeat_the_dropout_masks(self):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.layers.Dropout(0.5)])
    model.build((None, 64))
    states = checkpoints.seed_states(model)
    self.assertLen(states, 1)
    x = tf.ones([2, 64])
    model(x, training=True)
    checkpoint = tf.train.Checkpoint(seeds=states)
    path = checkpoint.save(os.path.join(self.create_tempdir().full_path, "c"))
    first = model(x, training=True).numpy()
    second = model(x, training=True).numpy()
    self.assertFalse(np.array_equal(first, second))
    checkpoint.restore(path)
    np.testing.assert_array_equal(model(x, training=True).numpy(), first)


if __name__ == "__main__":
  testing.main()
