"""runtime.input_order: epochs are permutations, a resumed stream equals the
tail of an uninterrupted one, replicas split each global batch."""

import numpy as np
import tensorflow as tf

from runtime import input_order
from tests import testing


def _take(dataset, count):
  return [tuple(np.asarray(t) for t in element)
          for element in dataset.take(count).as_numpy_iterator()]


class InputOrderTest(testing.TestCase):

  def test_each_epoch_is_a_permutation_and_epochs_differ(self):
    batches = _take(input_order.index_batches(10, 5, seed=1), 6)
    stream = np.concatenate([indices for _, indices in batches])
    epochs = stream.reshape(3, 10)
    for epoch in epochs:
      self.assertCountEqual(epoch, range(10))
    self.assertFalse(np.array_equal(epochs[0], epochs[1]))
    self.assertEqual([int(step) for step, _ in batches], list(range(6)))

  @testing.parameters((1,), (2,), (3,), (7,), (12,))
  def test_resumed_stream_is_the_tail_of_the_whole_one(self, start):
    # 7 examples, batches of 3: batches straddle epochs.
    whole = _take(input_order.index_batches(7, 3, seed=4), start + 5)
    resumed = _take(input_order.index_batches(7, 3, 4, start), 5)
    for (s1, i1), (s2, i2) in zip(whole[start:], resumed):
      self.assertEqual(s1, s2)
      np.testing.assert_array_equal(i1, i2)

  def test_seed_changes_the_order(self):
    a = _take(input_order.index_batches(50, 50, seed=0), 1)[0][1]
    b = _take(input_order.index_batches(50, 50, seed=1), 1)[0][1]
    self.assertFalse(np.array_equal(a, b))

  def test_replicas_of_two_workers_split_the_global_batch(self):
    whole = _take(input_order.index_batches(11, 8, seed=3), 3)
    parts = {}
    for worker in range(2):
      context = tf.distribute.InputContext(
          num_input_pipelines=2, input_pipeline_id=worker,
          num_replicas_in_sync=4)
      for step, replica, indices in _take(input_order.replica_batches(
          11, 8, seed=3, input_context=context), 6):
        self.assertEqual(indices.shape, (2,))
        parts[(int(step), int(replica))] = indices
    self.assertCountEqual(parts, [(s, r) for s in range(3) for r in range(4)])
    for step, indices in whole:
      np.testing.assert_array_equal(
          np.concatenate([parts[(int(step), r)] for r in range(4)]), indices)

  def test_one_replica_takes_the_global_batch(self):
    (step, replica, indices), = _take(
        input_order.replica_batches(9, 4, seed=0, start_step=2), 1)
    self.assertEqual((step, replica), (2, 0))
    np.testing.assert_array_equal(
        indices, _take(input_order.index_batches(9, 4, 0, 2), 1)[0][1])

  @testing.parameters(
      dict(num_examples=0, global_batch_size=4, start_step=0),
      dict(num_examples=5, global_batch_size=0, start_step=0),
      dict(num_examples=5, global_batch_size=4, start_step=-1))
  def test_rejects_bad_arguments(self, **kwargs):
    with self.assertRaises(ValueError):
      input_order.index_batches(seed=0, **kwargs)

  def test_rejects_a_batch_the_replicas_cannot_share(self):
    context = tf.distribute.InputContext(1, 0, 3)
    with self.assertRaisesRegex(ValueError, "multiple of the 3 replicas"):
      input_order.replica_batches(10, 8, 0, input_context=context)


if __name__ == "__main__":
  testing.main()
