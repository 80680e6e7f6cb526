"""Load for `benchmarks.serving`: a `pipeline.serve` subprocess, concurrent
keep-alive HTTP clients, and a mix of good and bad `:predict` requests.

A request is a `Probe`: method, path, body bytes (or a `Content-Length`
announced but never sent, for an oversize body) and what a correct answer
is (`check`: the status and, for good requests, the parsed JSON body).
"""

import base64
import http.client
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import Callable, List, NamedTuple, Optional

import numpy as np


class Probe(NamedTuple):
  """One request and how to judge its answer.

  Attributes:
    kind: a label for the report ("good", "malformed_json", ...).
    body: the bytes to POST.
    check: (status, answer bytes) → True when the answer is correct.
    announce: a Content-Length to send instead of the body (oversize).
  """
  kind: str
  body: bytes
  check: Callable[[int, bytes], bool]
  announce: Optional[int] = None


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def start_server(model_dir: str, name: str, port: int, extra=()):
  """`python -m pipeline.serve` in a subprocess, once it answers."""
  command = [sys.executable, "-m", "pipeline.serve",
             f"--model_dir={model_dir}", f"--model_name={name}",
             "--host=127.0.0.1", f"--port={port}", *extra]
  process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
  deadline = time.monotonic() + 600
  while time.monotonic() < deadline:
    if process.poll() is not None:
      raise RuntimeError("the server exited; see its log above.")
    if alive(port, name):
      return process
    time.sleep(1.0)
  process.terminate()
  raise TimeoutError("the server did not answer within 600 s.")


def alive(port: int, name: str) -> bool:
  try:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/v1/models/{name}")
    return conn.getresponse().status == 200
  except OSError:
    return False


def _send(conn, path: str, probe: Probe):
  if probe.announce is None:
    conn.request("POST", path, body=probe.body,
                 headers={"Content-Type": "application/json"})
  else:
    conn.putrequest("POST", path)
    conn.putheader("Content-Length", str(probe.announce))
    conn.endheaders()
  response = conn.getresponse()
  return response.status, response.read(), response.will_close


def run_clients(port: int, path: str, probes: List[Probe], clients: int,
                seconds: float = 1e9):
  """Sends `probes` (shared, in order) from `clients` threads until all are
  sent or `seconds` pass. Returns (requests/s, median latency ms,
  failures: list of (kind, status or error))."""
  lock = threading.Lock()
  state = {"next": 0}
  latencies, failures = [], []
  deadline = time.monotonic() + seconds
  barrier = threading.Barrier(clients + 1)

  def client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    barrier.wait()
    while time.monotonic() < deadline:
      with lock:
        i = state["next"]
        state["next"] += 1
      if i >= len(probes):
        break
      probe = probes[i]
      t0 = time.perf_counter()
      will_close = True
      try:
        status, answer, will_close = _send(conn, path, probe)
        ok = probe.check(status, answer)
        result = status
      except (OSError, http.client.HTTPException) as e:
        ok, result = False, repr(e)
      if will_close:          # "Connection: close" (a refused body), or an
        conn.close()          # error: a new connection, as clients do.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
      with lock:
        latencies.append(time.perf_counter() - t0)
        if not ok:
          failures.append((probe.kind, result))
    conn.close()

  threads = [threading.Thread(target=client) for _ in range(clients)]
  for t in threads:
    t.start()
  barrier.wait()
  start = time.perf_counter()
  for t in threads:
    t.join()
  elapsed = time.perf_counter() - start
  return (len(latencies) / elapsed, 1e3 * statistics.median(latencies),
          failures)


def b64(data: bytes) -> dict:
  return {"b64": base64.b64encode(data).decode()}


def good_probe(encoded: bytes, want_theta: np.ndarray,
               atol: float = 1e-3) -> Probe:
  """One image to serving_default; correct: 200 and θ within `atol`."""
  def check(status, answer):
    if status != 200:
      return False
    theta = np.array(json.loads(answer)["predictions"][0]["theta"])
    return theta.shape == want_theta.shape and np.allclose(
        theta, want_theta, atol=atol)
  return Probe("good", json.dumps({"instances": [b64(encoded)]}).encode(),
               check)


def _is_4xx(status, answer):
  del answer
  return 400 <= status < 500


def bad_probes(rng: np.random.Generator, crop_size: int,
               oversize_bytes: int) -> List[Probe]:
  """One of each kind of bad request."""
  noise = rng.integers(0, 255, 300, dtype=np.uint8).tobytes()
  bodies = {
      "malformed_json": b'{"instances": [{"b64": "abc"',
      "not_json_object": b"[1, 2, 3]",
      "non_image_b64": json.dumps({"instances": [b64(noise)]}).encode(),
      "invalid_b64": b'{"instances": [{"b64": "***not base64***"}]}',
      "wrong_shape": json.dumps({"signature_name": "image_tensor",
                                 "instances": [[[0, 0, 0]] * 5]}).encode(),
      "wrong_dtype": json.dumps({"signature_name": "keypoints",
                                 "instances": [{"keypoints": "x",
                                                "confidence": 1}]}).encode(),
      "unknown_signature": b'{"signature_name": "nope", "instances": [1]}',
      "wrong_crop_size": json.dumps({"signature_name": "image_tensor",
                                     "inputs": np.zeros(
                                         (1, crop_size // 2, crop_size // 2,
                                          3), int).tolist()}).encode(),
  }
  probes = [Probe(k, v, _is_4xx) for k, v in bodies.items()]
  big = b'{"instances": [{"b64": "' + b"A" * oversize_bytes + b'"}]}'
  probes.append(Probe("oversize_body", big, _is_4xx))
  probes.append(Probe("oversize_announced", b"", _is_4xx,
                      announce=50 * 1024 * 1024))
  return probes
