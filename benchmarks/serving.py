r"""Requests per second of `pipeline.serve` under concurrent local clients.

    nice -n 19 python -m benchmarks.serving [--clients=1,8,32]
        [--requests=400] [--seconds=20]

Saves a small model (an MLP 64 → 256 → 256 → 10, one instance per request)
to a temporary directory, starts `python -m pipeline.serve` on it in a
subprocess (so server and clients do not share an interpreter lock), with
and without `--batching`, and runs C client threads, each on one keep-alive
connection posting row-format `:predict` requests, until `--requests` in all
or `--seconds` have passed. Prints requests/s and the median latency per
(batching, C); the last line is one JSON object.
"""

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from benchmarks import timing

flags.DEFINE_list("clients", ["1", "8", "32"], "Concurrent clients.")
flags.DEFINE_integer("requests", 400, "Requests per measurement (at most).")
flags.DEFINE_float("seconds", 20.0, "Seconds per measurement (at most).")
flags.DEFINE_float("batch_timeout_ms", 2.0, "Server's batch timeout.")

NAME = "mlp"


class _Mlp(tf.Module):

  def __init__(self):
    super().__init__()
    rng = np.random.default_rng(0)
    sizes = (64, 256, 256, 10)
    self.weights = [tf.Variable((rng.normal(size=(a, b)) / np.sqrt(a)).astype(
        np.float32)) for a, b in zip(sizes, sizes[1:])]

  @tf.function(input_signature=[tf.TensorSpec([None, 64], tf.float32, "x")])
  def predict(self, x):
    for i, w in enumerate(self.weights):
      x = x @ w
      if i < len(self.weights) - 1:
        x = tf.nn.relu(x)
    return {"scores": x}


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _wait_ready(port: int, process, timeout: float = 300.0):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    if process.poll() is not None:
      raise RuntimeError("the server exited; see its log above.")
    try:
      conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
      conn.request("GET", f"/v1/models/{NAME}")
      if conn.getresponse().status == 200:
        return
    except OSError:
      time.sleep(0.5)
  raise TimeoutError(f"the server did not answer within {timeout} s.")


def measure(port: int, clients: int, total: int, seconds: float):
  """(requests/s, median latency ms) of `clients` threads."""
  body = json.dumps({"instances": [
      np.random.default_rng(1).normal(size=64).round(4).tolist()]})
  lock = threading.Lock()
  state = {"left": total}
  latencies = []
  deadline = time.monotonic() + seconds
  barrier = threading.Barrier(clients + 1)

  errors = []

  def client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    barrier.wait()
    try:
      send(conn)
    except (OSError, RuntimeError) as e:
      errors.append(e)
    conn.close()

  def send(conn):
    while time.monotonic() < deadline:
      with lock:
        if state["left"] <= 0:
          break
        state["left"] -= 1
      t0 = time.perf_counter()
      conn.request("POST", f"/v1/models/{NAME}:predict", body=body,
                   headers={"Content-Type": "application/json"})
      response = conn.getresponse()
      response.read()
      if response.status != 200:
        raise RuntimeError(f"status {response.status}")
      with lock:
        latencies.append(time.perf_counter() - t0)

  threads = [threading.Thread(target=client) for _ in range(clients)]
  for t in threads:
    t.start()
  barrier.wait()
  start = time.perf_counter()
  for t in threads:
    t.join()
  elapsed = time.perf_counter() - start
  if errors:
    raise RuntimeError(f"{len(errors)} of {clients} clients failed: "
                       f"{errors[0]!r}")
  return len(latencies) / elapsed, 1e3 * statistics.median(latencies)


def main(argv):
  del argv
  f = flags.FLAGS
  model_dir = tempfile.mkdtemp()
  module = _Mlp()
  tf.saved_model.save(module, os.path.join(model_dir, "1"),
                      signatures={"serving_default": module.predict})
  rows, figures = [], {}
  for batching in (False, True):
    port = _free_port()
    command = [sys.executable, "-m", "pipeline.serve",
               f"--model_dir={model_dir}", f"--model_name={NAME}",
               "--host=127.0.0.1", f"--port={port}",
               f"--batching={batching}",
               f"--batch_timeout_ms={f.batch_timeout_ms}"]
    process = subprocess.Popen(command)
    try:
      _wait_ready(port, process)
      measure(port, 1, 20, 10.0)                     # warm-up
      for clients in map(int, f.clients):
        rate, latency = measure(port, clients, f.requests, f.seconds)
        label = "batching" if batching else "no batching"
        rows.append([label, clients, rate, latency])
        figures[f"{label}, {clients} clients, req/s"] = round(rate, 1)
    finally:
      process.terminate()
      process.wait(timeout=30)
  print(f"pipeline.serve, MLP 64-256-256-10, 1 instance per request, "
        f"≤ {f.requests} requests or {f.seconds} s per row; "
        f"{timing.machine()}")
  timing.print_table(["server", "clients", "requests/s",
                      "median latency (ms)"], rows)
  timing.print_json(figures)


if __name__ == "__main__":
  app.run(main)
