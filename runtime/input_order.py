"""The order of training examples as a pure function of the global step.

    ds = input_order.replica_batches(num_examples=50000, global_batch_size=64,
                                     seed=0, start_step=start_step,
                                     input_context=context)
    # elements (step, replica, indices): the examples of one replica's part
    # of the global batch of `step`.

Epoch e is the permutation `stateless_shuffle(range(N), seed=(seed, e))`;
the epochs are read back to back and cut into global batches of B, so the
global batch of step s holds the stream's examples s·B … s·B + B − 1 whatever
step a run started from: a run resumed at step s sees the batches an
uninterrupted run sees (no shuffle buffer to checkpoint), and skipping to s
costs at most one epoch of integers. With R replicas in sync the global batch
is split in R consecutive parts of B / R, replica r taking part r, so every
worker of a cluster reads its own part of the same batch.
"""

from typing import Optional

import tensorflow as tf


def _check(num_examples: int, global_batch_size: int, start_step: int):
  if num_examples <= 0:
    raise ValueError(f"num_examples must be positive, got {num_examples}.")
  if global_batch_size <= 0:
    raise ValueError(
        f"global_batch_size must be positive, got {global_batch_size}.")
  if start_step < 0:
    raise ValueError(f"start_step must be ≥ 0, got {start_step}.")


def epoch_permutation(num_examples: int, seed: int, epoch) -> tf.Tensor:
  """`[N]` int64: the order of the examples in epoch `epoch`."""
  return tf.random.experimental.stateless_shuffle(
      tf.range(num_examples, dtype=tf.int64),
      seed=tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)]))


def index_batches(num_examples: int, global_batch_size: int, seed: int,
                  start_step: int = 0) -> tf.data.Dataset:
  """Endless `(step, indices)`: scalar int64 step from `start_step`, and the
  `[global_batch_size]` int64 example indices of its global batch."""
  _check(num_examples, global_batch_size, start_step)
  first = start_step * global_batch_size       # position in the stream
  first_epoch = first // num_examples
  epochs = tf.data.Dataset.range(first_epoch, tf.int64.max)
  stream = epochs.flat_map(lambda e: tf.data.Dataset.from_tensor_slices(
      epoch_permutation(num_examples, seed, e)))
  stream = stream.skip(first - first_epoch * num_examples)
  batches = stream.batch(global_batch_size, drop_remainder=True)
  steps = tf.data.Dataset.range(start_step, tf.int64.max)
  return tf.data.Dataset.zip((steps, batches))


def replica_batches(num_examples: int, global_batch_size: int, seed: int,
                    start_step: int = 0,
                    input_context: Optional[tf.distribute.InputContext] = None
                    ) -> tf.data.Dataset:
  """Endless `(step, replica, indices)` of this input pipeline's replicas:
  for each step, one element per local replica in replica order, `indices`
  `[global_batch_size / R]` (R = replicas in sync). Without `input_context`
  (or with one replica), replica is 0 and indices the whole global batch.

  Made for `strategy.distribute_datasets_from_function`, which hands each
  worker its `input_context` and the elements to its local replicas in turn.
  """
  _check(num_examples, global_batch_size, start_step)
  batches = index_batches(num_examples, global_batch_size, seed, start_step)
  replicas = input_context.num_replicas_in_sync if input_context else 1
  if replicas == 1:
    return batches.map(lambda s, i: (s, tf.constant(0, tf.int64), i))
  if global_batch_size % replicas:
    raise ValueError(
        f"global_batch_size {global_batch_size} must be a multiple of the "
        f"{replicas} replicas in sync.")
  pipelines = input_context.num_input_pipelines
  local = replicas // pipelines
  first = input_context.input_pipeline_id * local
  per_replica = global_batch_size // replicas

  def split(step, indices):
    parts = tf.reshape(indices, [replicas, per_replica])[first:first + local]
    return tf.data.Dataset.from_tensor_slices((
        tf.fill([local], step),
        tf.range(first, first + local, dtype=tf.int64), parts))

  return batches.flat_map(split)
