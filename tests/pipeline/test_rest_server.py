"""Tests of pipeline.rest_server / rest_api / request_batcher over real HTTP
on 127.0.0.1, against a tiny SavedModel built here."""

import base64
import http.client
import json
import os
import socket
import tempfile
import threading
import time

import numpy as np
import tensorflow as tf

from pipeline import rest_server
from tests import testing

NAME = "tiny"


class _Tiny(tf.Module):
  """Two signatures: affine on floats, mean intensity of encoded images."""

  @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, "x")])
  def affine(self, x):
    return {"y": 2.0 * x + 1.0, "total": tf.reduce_sum(x, axis=1)}

  @tf.function(input_signature=[
      tf.TensorSpec([None], tf.string, "image_bytes")])
  def image(self, image_bytes):
    def mean(encoded):
      pixels = tf.io.decode_image(encoded, channels=1,
                                  expand_animations=False)
      return tf.reduce_mean(tf.cast(pixels, tf.float32))
    return {"mean": tf.map_fn(mean, image_bytes,
                              fn_output_signature=tf.float32)}


def _png(value: int) -> bytes:
  return tf.io.encode_png(tf.fill([4, 5, 1], tf.constant(value, tf.uint8))
                          ).numpy()


class _Client:
  def __init__(self, port):
    self.port = port

  def request(self, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
    try:
      if isinstance(body, (dict, list)):
        body = json.dumps(body)
      conn.request(method, path, body=body, headers=headers or {})
      response = conn.getresponse()
      return response.status, json.loads(response.read())
    finally:
      conn.close()

  def predict(self, body, path=f"/v1/models/{NAME}:predict"):
    return self.request("POST", path, body)


def _raw_request(port, head: bytes, body: bytes = b"", timeout=10.0):
  """Sends `head` (request line and headers) and `body` on a plain socket,
  then reads until the server closes: (socket, everything read)."""
  sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
  sock.sendall(head + b"\r\n" + body)
  answer = b""
  while chunk := sock.recv(65536):
    answer += chunk
  return sock, answer


def _head(length: int, *extra: str) -> bytes:
  lines = [f"POST /v1/models/{NAME}:predict HTTP/1.1", "Host: localhost",
           f"Content-Length: {length}", *extra]
  return "".join(line + "\r\n" for line in lines).encode()


class RestServerTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.base = tempfile.mkdtemp()
    module = _Tiny()
    tf.saved_model.save(module, os.path.join(cls.base, "3"), signatures={
        "serving_default": module.affine, "image": module.image})
    cls.servers = {}
    for batching in (False, True):
      server = rest_server.start(rest_server.ServerConfig(
          model_dir=cls.base, model_name=NAME, port=0, batching=batching,
          batch_timeout_ms=30.0, max_body_bytes=20000))
      cls.servers[batching] = server

  @classmethod
  def tearDownClass(cls):
    for server in cls.servers.values():
      server.close()
    super().tearDownClass()

  def client(self, batching=False):
    return _Client(self.servers[batching].port)

  def test_status_and_metadata(self):
    status, body = self.client().request("GET", f"/v1/models/{NAME}")
    self.assertEqual(status, 200)
    self.assertEqual(body["model_version_status"][0]["version"], "3")
    self.assertEqual(body["model_version_status"][0]["state"], "AVAILABLE")
    status, body = self.client().request(
        "GET", f"/v1/models/{NAME}/versions/3/metadata")
    self.assertEqual(status, 200)
    defs = body["metadata"]["signature_def"]["signature_def"]
    self.assertEqual(sorted(defs), ["image", "serving_default"])
    x = defs["serving_default"]["inputs"]["x"]
    self.assertEqual(x["dtype"], "DT_FLOAT")
    self.assertEqual([d["size"] for d in x["tensor_shape"]["dim"]],
                     ["-1", "3"])
    self.assertEqual(defs["image"]["inputs"]["image_bytes"]["dtype"],
                     "DT_STRING")

  @testing.parameters(False, True)
  def test_row_format(self, batching):
    status, body = self.client(batching).predict(
        {"instances": [[1, 2, 3], {"x": [0.5, 0, -1]}]})
    self.assertEqual(status, 200, body)
    self.assertEqual(body["predictions"], [
        {"y": [3.0, 5.0, 7.0], "total": 6.0},
        {"y": [2.0, 1.0, -1.0], "total": -0.5}])

  def test_columnar_format(self):
    status, body = self.client().predict(
        {"inputs": {"x": [[1, 1, 1]]}, "signature_name": "serving_default"})
    self.assertEqual(status, 200, body)
    self.assertEqual(body["outputs"], {"y": [[3.0, 3.0, 3.0]],
                                       "total": [3.0]})
    status, body = self.client().predict({"inputs": [[0, 0, 2]]})
    self.assertEqual(body["outputs"]["total"], [2.0])

  @testing.parameters(False, True)
  def test_b64_images(self, batching):
    images = [{"b64": base64.b64encode(_png(v)).decode()} for v in (10, 200)]
    status, body = self.client(batching).predict(
        {"signature_name": "image", "instances": images})
    self.assertEqual(status, 200, body)
    self.assertEqual(body["predictions"], [10.0, 200.0])   # one output
    status, body = self.client(batching).predict(
        {"signature_name": "image", "inputs": {"image_bytes": images[:1]}})
    self.assertEqual(body["outputs"], [10.0])

  @testing.named_parameters(
      ("malformed_json", "{\"instances\": [1, 2", "malformed JSON"),
      ("wrong_shape", {"instances": [[1, 2]]}, "shape"),
      ("wrong_dtype", {"instances": [["a", "b", "c"]]}, "float32"),
      ("ragged", {"instances": [[1, 2, 3], [1, 2]]}, "x"),
      ("no_instances", {"foo": 1}, "instances"),
      ("both_formats", {"instances": [[1, 2, 3]], "inputs": [[1, 2, 3]]},
       "exactly one"),
      ("not_an_image", {"signature_name": "image",
                        "instances": [{"b64": "aGVsbG8="}]}, ""),
      ("bad_b64", {"signature_name": "image",
                   "instances": [{"b64": "***"}]}, "base64"))
  def test_bad_requests_answer_400(self, body, message):
    for batching in (False, True):
      status, answer = self.client(batching).predict(body)
      self.assertEqual(status, 400, answer)
      self.assertIn(message, answer["error"])
    # The server stays up.
    status, _ = self.client().predict({"instances": [[1, 2, 3]]})
    self.assertEqual(status, 200)

  def test_body_over_the_limit_is_refused_unread(self):
    # Announces 10 MB but sends nothing more: refused from the header alone.
    conn = http.client.HTTPConnection("127.0.0.1", self.servers[False].port,
                                      timeout=10)
    conn.putrequest("POST", f"/v1/models/{NAME}:predict")
    conn.putheader("Content-Length", str(10 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    self.assertEqual(response.status, 400)
    self.assertIn("exceeds the limit", json.loads(response.read())["error"])
    self.assertTrue(response.will_close)
    conn.close()
    status, _ = self.client().predict(
        {"instances": [[1.0, 2.0, 3.0]] * 2000})     # > 20000 bytes
    self.assertEqual(status, 400)

  @testing.parameters(False, True)
  def test_body_over_the_limit_sent_in_full_gets_the_answer(self, batching):
    # 2 MB (100 times the limit), sent whole before reading the answer as
    # http.client, requests and urllib do: the answer, not a reset.
    body = b'{"instances": [{"b64": "' + b"A" * 2_000_000 + b'"}]}'
    for _ in range(5):
      status, answer = self.client(batching).predict(body)
      self.assertEqual(status, 400)
      self.assertIn("exceeds the limit", answer["error"])
    status, _ = self.client(batching).predict({"instances": [[1, 2, 3]]})
    self.assertEqual(status, 200)

  def test_chunked_body_without_length_gets_the_answer(self):
    conn = http.client.HTTPConnection("127.0.0.1", self.servers[False].port,
                                      timeout=10)
    conn.request("POST", f"/v1/models/{NAME}:predict",
                 body=iter([b"x" * 100_000] * 20), encode_chunked=True)
    response = conn.getresponse()
    self.assertEqual(response.status, 400)
    self.assertIn("Content-Length", json.loads(response.read())["error"])
    conn.close()

  def test_expect_100_continue_invites_only_bodies_it_reads(self):
    port = self.servers[False].port
    sock, answer = _raw_request(port, _head(10**9, "Expect: 100-continue"))
    sock.close()
    self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:80])
    self.assertIn(b"exceeds the limit", answer)
    body = b'{"instances": [[1, 2, 3]]}'
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
      sock.sendall(_head(len(body), "Expect: 100-continue",
                         "Connection: close") + b"\r\n")
      self.assertTrue(sock.recv(100).startswith(b"HTTP/1.1 100 "))
      sock.sendall(body)
      answer = b""
      while chunk := sock.recv(65536):
        answer += chunk
    self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:80])
    self.assertIn(b'"total": 6.0', answer)

  def test_lingering_is_bounded_and_blocks_no_one(self):
    server = rest_server.start(rest_server.ServerConfig(
        model_dir=self.base, model_name=NAME, port=0, max_body_bytes=1000,
        linger_s=2.0))
    self.addCleanup(server.close)
    # Announces 10 MB, never sends it and keeps the connection open: the
    # answer and a half-close come at once ...
    t0 = time.monotonic()
    sock, answer = _raw_request(server.port, _head(10 * 1024 * 1024))
    self.addCleanup(sock.close)
    self.assertLess(time.monotonic() - t0, 1.5)      # not after linger_s
    self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:80])
    self.assertIn(b"Connection: close", answer)
    # ... others are served while that connection lingers ...
    status, _ = _Client(server.port).predict({"instances": [[1, 2, 3]]})
    self.assertEqual(status, 200)
    # ... and after linger_s the server has closed it: sending is refused.
    time.sleep(3.0)
    with self.assertRaises((BrokenPipeError, ConnectionResetError)):
      for _ in range(10):
        sock.sendall(b"A" * 65536)
        time.sleep(0.05)

  @testing.named_parameters(
      ("unknown_model", "POST", "/v1/models/other:predict"),
      ("unknown_version", "POST", f"/v1/models/{NAME}/versions/7:predict"),
      ("unknown_route", "GET", "/v2/whatever"),
      ("status_of_unknown_model", "GET", "/v1/models/other"))
  def test_not_found_answers_404(self, method, path):
    status, body = self.client().request(method, path,
                                         {"instances": [[1, 2, 3]]})
    self.assertEqual(status, 404, body)
    self.assertIn("error", body)

  def test_unknown_signature_answers_404(self):
    status, body = self.client().predict(
        {"signature_name": "nope", "instances": [[1, 2, 3]]})
    self.assertEqual(status, 404)
    self.assertIn("nope", body["error"])

  def test_concurrent_clients_get_their_own_results(self):
    server = self.servers[True]
    runs_before = server.batcher.batches_run
    num_clients = 12
    barrier = threading.Barrier(num_clients)
    results, errors = {}, []

    def client(i):
      rows = [[i, i + 0.5, -i]] * (1 + i % 3)
      barrier.wait()
      status, body = _Client(server.port).predict({"instances": rows})
      if status != 200:
        errors.append(body)
      results[i] = body.get("predictions")

    threads = [threading.Thread(target=client, args=(i,))
               for i in range(num_clients)]
    for t in threads:
      t.start()
    for t in threads:
      t.join(timeout=60)
    self.assertEqual(errors, [])
    for i in range(num_clients):
      want = {"y": [2.0 * i + 1, 2.0 * i + 2.0, 1.0 - 2.0 * i],
              "total": i + 0.5}
      self.assertEqual(results[i], [want] * (1 + i % 3))
    # Some requests shared a run.
    self.assertLess(server.batcher.batches_run - runs_before, num_clients)

  def test_poisoned_batch_gives_each_client_its_own_answer(self):
    server = self.servers[True]
    good = {"b64": base64.b64encode(_png(7)).decode()}
    bad = {"b64": base64.b64encode(b"not an image").decode()}
    barrier = threading.Barrier(4)
    statuses = {}

    def client(i):
      barrier.wait()
      statuses[i] = _Client(server.port).predict(
          {"signature_name": "image", "instances": [bad if i == 0 else good]})

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in threads:
      t.start()
    for t in threads:
      t.join(timeout=60)
    self.assertEqual(statuses[0][0], 400)
    for i in range(1, 4):
      self.assertEqual(statuses[i], (200, {"predictions": [7.0]}))

  def test_config_rejects_bad_values(self):
    with self.assertRaisesRegex(ValueError, "model_name"):
      rest_server.ServerConfig(model_dir=self.base, model_name="a/b")
    with self.assertRaisesRegex(ValueError, "max_batch_size"):
      rest_server.ServerConfig(model_dir=self.base, max_batch_size=0)
    with self.assertRaisesRegex(ValueError, "linger_s"):
      rest_server.ServerConfig(model_dir=self.base, linger_s=-1.0)

  def test_missing_model_dir_fails_at_start(self):
    with self.assertRaisesRegex(FileNotFoundError, "does not exist"):
      rest_server.Server(rest_server.ServerConfig(
          model_dir=os.path.join(self.base, "missing"), port=0))


if __name__ == "__main__":
  testing.main()
