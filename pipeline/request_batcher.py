"""Batches concurrent row-format requests into one signature run.

Request threads call `RequestBatcher.run(signature, inputs, rows)` and block.
One worker thread takes the first waiting request, keeps collecting
compatible ones (same signature, same dtypes and shapes past the batch axis)
for up to `timeout_s` or until `max_batch_size` rows, concatenates their
inputs along axis 0, runs the signature once and hands each request its rows
of every output. It waits only while the batch holds fewer rows than the
largest of the last `HISTORY` batches (about the number of clients that
keep coming back); past that it takes what is already queued and runs. So
one client stops paying the timeout once it has been alone for `HISTORY`
batches, and N clients that return a few milliseconds apart after their
answers still share one batch. Incompatible requests wait for the next
batch. If the batched run fails (one request's value poisons it, e.g. bytes
that are not an image) or an output does not split by rows, each request of
the batch is run alone, so every caller gets its own answer or its own error.
"""

import collections
import queue
import threading
import time
from typing import Callable, Dict, List, Optional

import numpy as np

Inputs = Dict[str, np.ndarray]
RunFn = Callable[[str, Inputs], Dict[str, np.ndarray]]

HISTORY = 8     # batches whose largest size sets how many rows to wait for


class _Pending:
  """One caller's request and, once done, its result or error."""

  def __init__(self, signature: str, inputs: Inputs, rows: int):
    self.signature = signature
    self.inputs = inputs
    self.rows = rows
    self.key = (signature,) + tuple(
        (n, a.dtype.str, a.shape[1:]) for n, a in sorted(inputs.items()))
    self.done = threading.Event()
    self.result: Optional[Dict[str, np.ndarray]] = None
    self.error: Optional[BaseException] = None


class RequestBatcher:
  """Collects requests for up to `timeout_s` or `max_batch_size` rows.

  `batches_run` counts signature runs and `waits_expired` the batches that
  waited out the whole timeout (for tests and benchmarks).
  """

  def __init__(self, run_fn: RunFn, max_batch_size: int = 32,
               timeout_s: float = 0.005):
    if max_batch_size < 1:
      raise ValueError(f"max_batch_size must be ≥ 1; got {max_batch_size}.")
    if timeout_s < 0:
      raise ValueError(f"timeout_s must be ≥ 0; got {timeout_s}.")
    self._run_fn = run_fn
    self.max_batch_size = max_batch_size
    self.timeout_s = timeout_s
    self._queue: "queue.Queue[Optional[_Pending]]" = queue.Queue()
    self._held: List[_Pending] = []     # incompatible with the last batch
    self.batches_run = 0
    self.waits_expired = 0
    self._sizes = collections.deque([max_batch_size], maxlen=HISTORY)
    self._worker = threading.Thread(target=self._loop, daemon=True,
                                    name="request-batcher")
    self._worker.start()

  def run(self, signature: str, inputs: Inputs, rows: int
          ) -> Dict[str, np.ndarray]:
    """Runs a request of `rows` instances (blocks; re-raises its error)."""
    pending = _Pending(signature, inputs, rows)
    self._queue.put(pending)
    pending.done.wait()
    if pending.error is not None:
      raise pending.error
    return pending.result

  def close(self) -> None:
    """Stops the worker after the requests already queued."""
    self._queue.put(None)
    self._worker.join(timeout=5.0)

  def _next(self, timeout: Optional[float]) -> Optional[_Pending]:
    if self._held:
      return self._held.pop(0)
    return self._queue.get(timeout=timeout) if timeout is not None else (
        self._queue.get())

  def _loop(self):
    while True:
      first = self._next(None)
      if first is None:
        return
      batch, rows = [first], first.rows
      deadline = time.monotonic() + self.timeout_s
      skipped = []
      expect = min(max(self._sizes), self.max_batch_size)
      while rows < self.max_batch_size:
        left = deadline - time.monotonic() if rows < expect else 0.0
        if left <= 0 and self._queue.empty():
          break
        try:
          item = self._next(max(left, 0.0))
        except queue.Empty:
          self.waits_expired += left > 0
          break
        if item is None:                 # close(): finish this batch first
          self._queue.put(None)
          break
        if item.key == first.key and rows + item.rows <= self.max_batch_size:
          batch.append(item)
          rows += item.rows
        else:
          skipped.append(item)
      self._held = skipped + self._held
      self._sizes.append(rows)
      self._execute(batch)

  def _execute(self, batch: List[_Pending]):
    if len(batch) > 1:
      try:
        self.batches_run += 1
        names = batch[0].inputs.keys()
        outputs = self._run_fn(batch[0].signature, {
            n: np.concatenate([p.inputs[n] for p in batch]) for n in names})
        total = sum(p.rows for p in batch)
        if all(np.ndim(v) and v.shape[0] == total for v in outputs.values()):
          start = 0
          for p in batch:
            p.result = {n: v[start:start + p.rows]
                        for n, v in outputs.items()}
            start += p.rows
            p.done.set()
          return
      except Exception:  # pylint: disable=broad-except
        pass                             # run each alone: own errors
    for p in batch:
      try:
        self.batches_run += 1
        p.result = self._run_fn(p.signature, p.inputs)
      except Exception as e:  # pylint: disable=broad-except
        p.error = e
      p.done.set()
