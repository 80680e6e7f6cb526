"""runtime.strategy: names, TF_CONFIG errors, roles, BatchNorm sync."""

import json
import os
from unittest import mock

import keras
import tensorflow as tf

from runtime import strategy as strategy_lib
from tests import testing


class StrategyTest(testing.TestCase):

  def test_default_is_the_default_strategy_of_a_single_process(self):
    strategy = strategy_lib.make("default")
    self.assertIs(strategy, tf.distribute.get_strategy())
    self.assertEqual(strategy_lib.role(strategy), strategy_lib.SINGLE)
    self.assertTrue(strategy_lib.SINGLE.is_chief)

  def test_one_device_role_is_single(self):
    strategy = strategy_lib.make("one_device")
    self.assertIsInstance(strategy, tf.distribute.OneDeviceStrategy)
    self.assertEqual(strategy_lib.role(strategy), strategy_lib.SINGLE)

  def test_unknown_name_is_refused(self):
    with self.assertRaisesRegex(ValueError, "'mirored'"):
      strategy_lib.make("mirored")

  @testing.parameters(("",), ("not json",), ('{"cluster": {}}',))
  def test_multi_worker_needs_a_tf_config(self, value):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    if value:
      env["TF_CONFIG"] = value
    with mock.patch.dict(os.environ, env, clear=True):
      with self.assertRaisesRegex(ValueError, "TF_CONFIG"):
        strategy_lib.make("multi_worker")

  @testing.parameters(
      ({"worker": ["a:1", "b:1"]}, "worker", 0, True, 2),
      ({"worker": ["a:1", "b:1"]}, "worker", 1, False, 2),
      ({"chief": ["c:1"], "worker": ["a:1"]}, "chief", 0, True, 2),
      ({"chief": ["c:1"], "worker": ["a:1"]}, "worker", 0, False, 2),
      ({"chief": ["c:1"], "worker": ["a:1"], "ps": ["p:1"]}, "worker", 0,
       False, 2))
  def test_role_in_cluster(self, cluster, task_type, task_id, chief, count):
    role = strategy_lib.role_in_cluster(cluster, task_type, task_id)
    self.assertEqual(role.is_chief, chief)
    self.assertEqual(role.num_workers, count)
    self.assertEqual((role.task_type, role.task_id), (task_type, task_id))

  def test_role_of_a_task_outside_the_cluster_is_refused(self):
    with self.assertRaisesRegex(ValueError, "'worker', 2"):
      strategy_lib.role_in_cluster({"worker": ["a:1", "b:1"]}, "worker", 2)

  def test_batch_norm_stays_local_with_one_replica(self):
    model = keras.Sequential([keras.layers.Dense(3),
                              keras.layers.BatchNormalization()])
    model.build((None, 2))
    count = strategy_lib.synchronize_batch_norm(model, tf.distribute.get_strategy())
    self.assertEqual(count, 0)
    self.assertFalse(model.layers[1].synchronized)

  def test_tf_config_error_names_the_variable_content(self):
    with mock.patch.dict(os.environ, {"TF_CONFIG": json.dumps({"task": 1})}):
      with self.assertRaisesRegex(ValueError, "'cluster'"):
        strategy_lib.make("multi_worker")


if __name__ == "__main__":
  testing.main()
