"""Tests for pipeline/request_batcher.py: batching of concurrent callers and
the adaptive wait (no real model: an echo function)."""

import threading
import time

import numpy as np

from pipeline import request_batcher
from tests import testing

_HISTORY = request_batcher.HISTORY


def _echo(sizes, delay=0.0):
  def run(signature, inputs):
    del signature
    sizes.append(len(inputs["x"]))
    time.sleep(delay)
    return {"y": 2.0 * inputs["x"]}
  return run


class RequestBatcherTest(testing.TestCase):

  def test_a_lone_client_stops_waiting_for_others(self):
    sizes = []
    batcher = request_batcher.RequestBatcher(_echo(sizes), max_batch_size=8,
                                             timeout_s=0.05)
    try:
      for i in range(_HISTORY + 4):
        out = batcher.run("s", {"x": np.array([[i]], np.float32)}, 1)
        self.assertEqual(out["y"].tolist(), [[2.0 * i]])
    finally:
      batcher.close()
    self.assertEqual(sizes, [1] * (_HISTORY + 4))
    # Until the start-up guess (a full batch) leaves the history, each
    # request waits out the timeout; after that none does.
    self.assertEqual(batcher.waits_expired, _HISTORY)

  def test_returning_clients_share_one_batch_without_waiting(self):
    sizes, clients, rounds = [], 4, _HISTORY + 3
    batcher = request_batcher.RequestBatcher(_echo(sizes, delay=0.01),
                                             max_batch_size=16,
                                             timeout_s=0.3)
    answers = {}

    def client(k):
      rng = np.random.default_rng(k)
      got = []
      for i in range(rounds):
        out = batcher.run("s", {"x": np.array([[k, i]], np.float32)}, 1)
        got.append(out["y"][0].tolist())
        time.sleep(rng.uniform(0.0, 0.01))   # clients come back apart
      answers[k] = got

    threads = [threading.Thread(target=client, args=(k,))
               for k in range(clients)]
    try:
      for t in threads:
        t.start()
      for t in threads:
        t.join(timeout=60)
    finally:
      batcher.close()
    for k in range(clients):                  # every caller got its own rows
      self.assertEqual(answers[k], [[2.0 * k, 2.0 * i] for i in range(rounds)])
    self.assertEqual(sizes, [clients] * rounds)
    self.assertEqual(batcher.waits_expired, _HISTORY)

  def test_bad_settings_are_named(self):
    with self.assertRaisesRegex(ValueError, "max_batch_size"):
      request_batcher.RequestBatcher(_echo([]), max_batch_size=0)
    with self.assertRaisesRegex(ValueError, "timeout_s"):
      request_batcher.RequestBatcher(_echo([]), timeout_s=-1)


if __name__ == "__main__":
  testing.main()
