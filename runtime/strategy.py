"""tf.distribute strategies by name, and this process's role in a cluster.

    strategy = strategy_lib.make("multi_worker")   # TF_CONFIG names the cluster
    role = strategy_lib.role(strategy)             # chief or not, worker count

Names (a trainer's `--strategy` flag): "default" (no distribution),
"one_device" (/gpu:0 if there is one, else /cpu:0), "mirrored" (every local
device) and "multi_worker" (`MultiWorkerMirroredStrategy`: every process
listed in the `TF_CONFIG` environment variable runs the same program; the
chief, task "chief" 0 or else "worker" 0, writes the shared outputs).
"""

import json
import os
from typing import Dict, NamedTuple, Sequence

import tensorflow as tf

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker")


class WorkerRole(NamedTuple):
  """This process in its cluster.

  Attributes:
    task_type: "chief", "worker", or "" outside a cluster.
    task_id: index among the tasks of `task_type` (0 outside a cluster).
    num_workers: processes training together (1 outside a cluster).
    is_chief: whether this process writes the shared outputs (config,
      checkpoints, summaries, final weights).
  """
  task_type: str
  task_id: int
  num_workers: int
  is_chief: bool


SINGLE = WorkerRole(task_type="", task_id=0, num_workers=1, is_chief=True)


def _cluster_from_env() -> dict:
  text = os.environ.get("TF_CONFIG", "")
  if not text:
    raise ValueError(
        "strategy 'multi_worker' needs the TF_CONFIG environment variable "
        "(e.g. {\"cluster\": {\"worker\": [\"host1:2222\", \"host2:2222\"]}, "
        "\"task\": {\"type\": \"worker\", \"index\": 0}}), set for every "
        "process of the cluster; it is not set.")
  try:
    tf_config = json.loads(text)
    cluster, task = tf_config["cluster"], tf_config["task"]
    task["type"], int(task["index"])
  except (ValueError, KeyError, TypeError) as e:
    raise ValueError(f"TF_CONFIG must be JSON with 'cluster' and 'task' "
                     f"{{'type', 'index'}}, got {text!r} ({e}).") from e
  return tf_config


def make(name: str) -> tf.distribute.Strategy:
  """The strategy called `name` (one of `STRATEGIES`).

  "multi_worker" must be made at program start, before any other TensorFlow
  op runs (a TensorFlow rule), and reads `TF_CONFIG`.
  """
  if name not in STRATEGIES:
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}.")
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "one_device":
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")
  if name == "multi_worker":
    _cluster_from_env()
    return tf.distribute.MultiWorkerMirroredStrategy()
  return tf.distribute.get_strategy()


def role(strategy: tf.distribute.Strategy) -> WorkerRole:
  """This process's role under `strategy` (`SINGLE` unless multi-worker)."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.task_type:
    return SINGLE
  return role_in_cluster(resolver.cluster_spec().as_dict(),
                         resolver.task_type, int(resolver.task_id))


def role_in_cluster(cluster: Dict[str, Sequence[str]], task_type: str,
                    task_id: int) -> WorkerRole:
  """The role of task (`task_type`, `task_id`) of `cluster` (TF_CONFIG's
  {"chief": [...], "worker": [...]}): the chief is task "chief" 0, or
  "worker" 0 in a cluster without one."""
  if task_type not in cluster or not 0 <= task_id < len(cluster[task_type]):
    raise ValueError(f"task ({task_type!r}, {task_id}) is not in the "
                     f"cluster {cluster}.")
  num_workers = sum(len(cluster.get(kind, ())) for kind in ("chief",
                                                            "worker"))
  is_chief = (task_type == "chief" or
              (task_type == "worker" and task_id == 0 and
               "chief" not in cluster))
  return WorkerRole(task_type=task_type, task_id=task_id,
                    num_workers=num_workers, is_chief=is_chief)


def synchronize_batch_norm(model, strategy: tf.distribute.Strategy) -> int:
  """With more than one replica in sync, makes every Keras
  `BatchNormalization` layer of `model` compute its batch statistics over
  the global batch (all-reduced) instead of each replica's part, so the
  moving statistics stay equal on every worker and match a one-device run.
  Returns the number of layers switched (0 with one replica: a single
  replica's statistics are the global ones already)."""
  if strategy.num_replicas_in_sync <= 1:
    return 0
  import keras  # pylint: disable=g-import-not-at-top
  count = 0
  for layer in model._flatten_layers(include_self=True, recursive=True):  # pylint: disable=protected-access
    if isinstance(layer, keras.layers.BatchNormalization):
      layer.synchronized = True
      count += 1
  return count
