"""An HTTP server speaking TF Serving's REST API, for machines without it.

    server = rest_server.start(rest_server.ServerConfig(
        model_dir="/models/body3d", model_name="body3d", port=8501))
    ...                                  # POST /v1/models/body3d:predict
    server.close()

Routes (as `tensorflow/serving`'s REST port; formats in `pipeline.rest_api`):

  GET  /v1/models/NAME[/versions/N]            version status
  GET  /v1/models/NAME[/versions/N]/metadata   signature defs
  POST /v1/models/NAME[/versions/N]:predict    row or columnar predict

Errors answer {"error": "..."}: 400 for bad requests (malformed JSON, shapes,
dtypes, values the graph rejects, a body over `max_body_bytes`, refused from
its Content-Length before reading it), 404 for unknown routes, models,
versions and signatures, 500 for anything unexpected; the server stays up.
A refused body is not read, but after the answer the server half-closes
and discards what the client still sends, for at most `linger_s` ("lingering
close", as nginx): closing a socket with unread data resets the connection,
and a client still sending its body would get a broken pipe or reset
instead of the answer.
With `batching`, concurrent row-format requests to a signature whose inputs
all have a leading batch dimension run together (`pipeline.request_batcher`).
Requests are handled on threads (`http.server.ThreadingHTTPServer`).
"""

import dataclasses
import http.server
import json
import logging
import re
import socket
import threading
import time
from typing import Optional

from pipeline import request_batcher
from pipeline import rest_api

_ROUTE = re.compile(r"^/v1/models/(?P<name>[^/:]+)"
                    r"(?:/versions/(?P<version>\d+))?"
                    r"(?:(?P<metadata>/metadata)|:(?P<verb>[a-z]+))?/?$")


@dataclasses.dataclass(frozen=True)
class ServerConfig:
  """How to serve.

  Attributes:
    model_dir: a SavedModel directory, or a base directory of numeric
      version subdirectories (the highest is served).
    model_name: NAME in the URLs.
    host, port: where to listen (port 0 picks a free one).
    batching: batch concurrent row-format requests.
    max_batch_size: most instances per batched run.
    batch_timeout_ms: how long the first request of a batch waits for more.
    max_body_bytes: larger request bodies are refused (400).
    linger_s: after refusing a body, how long at most the server reads and
      discards what the client still sends of it before closing.
  """
  model_dir: str
  model_name: str = "default"
  host: str = "127.0.0.1"
  port: int = 8501
  batching: bool = False
  max_batch_size: int = 32
  batch_timeout_ms: float = 5.0
  max_body_bytes: int = 50 * 1024 * 1024
  linger_s: float = 10.0

  def __post_init__(self):
    if not self.model_name or "/" in self.model_name or ":" in (
        self.model_name):
      raise ValueError(f"model_name must be a non-empty name without '/' or "
                       f"':'; got {self.model_name!r}.")
    if not 0 <= self.port < 65536:
      raise ValueError(f"port must be in [0, 65535]; got {self.port}.")
    if self.max_batch_size < 1 or self.batch_timeout_ms < 0:
      raise ValueError("max_batch_size must be ≥ 1 and batch_timeout_ms ≥ 0; "
                       f"got {self.max_batch_size}, {self.batch_timeout_ms}.")
    if self.max_body_bytes < 1:
      raise ValueError(f"max_body_bytes must be positive; got "
                       f"{self.max_body_bytes}.")
    if not self.linger_s >= 0:
      raise ValueError(f"linger_s must be ≥ 0; got {self.linger_s}.")


class _Handler(http.server.BaseHTTPRequestHandler):
  """One request; `self.server.app` is the `Server`."""
  protocol_version = "HTTP/1.1"
  # Headers and body go out in two writes: with Nagle's algorithm the body
  # waits for the client's delayed ACK (~40 ms per request).
  disable_nagle_algorithm = True
  # Bytes of a refused body the client may still send (None: unknown).
  _unread: Optional[int] = 0

  def log_message(self, fmt, *args):  # pylint: disable=arguments-differ
    logging.debug("%s " + fmt, self.address_string(), *args)

  def _send(self, status: int, body) -> None:
    data = json.dumps(body).encode("utf-8")
    self.send_response(status)
    self.send_header("Content-Type", "application/json")
    self.send_header("Content-Length", str(len(data)))
    if self.close_connection:     # e.g. a refused body: say so (HTTP/1.1)
      self.send_header("Connection", "close")
    self.end_headers()
    self.wfile.write(data)

  def _body_length(self) -> Optional[int]:
    """The announced body length, None when missing or malformed."""
    length = self.headers.get("Content-Length")
    return int(length) if length is not None and length.isdigit() else None

  def handle_expect_100(self):
    """Invites the body ("100 Continue") only when it will be read; a
    client waiting for the invitation then never sends a refused body."""
    length = self._body_length()
    if length is not None and length <= self.server.app.config.max_body_bytes:
      return super().handle_expect_100()
    return True                           # do_POST refuses it

  def _route(self):
    match = _ROUTE.match(self.path.split("?", 1)[0])
    if match is None:
      raise rest_api.ApiError(404, f"Malformed request: {self.command} "
                              f"{self.path}")
    version = match["version"]
    self.server.app.model.check_target(
        match["name"], int(version) if version is not None else None)
    return match

  def _handle(self, fn):
    try:
      status, body = fn()
    except rest_api.ApiError as e:
      status, body = e.status, e.body()
    except Exception as e:  # pylint: disable=broad-except
      logging.exception("request %s %s failed", self.command, self.path)
      status, body = 500, {"error": f"internal error: {e}"}
    try:
      self._send(status, body)
      if self._unread != 0:
        self._discard_unread()
    except (BrokenPipeError, ConnectionResetError):
      pass

  def _discard_unread(self) -> None:
    """Lingering close after a refused body: half-closes (the client reads
    the answer, then EOF) and reads and drops what arrives, 64 KiB at a
    time, until EOF, the announced length or `linger_s`."""
    remaining = self._unread
    self._unread = 0
    try:
      self.connection.shutdown(socket.SHUT_WR)
    except OSError:                       # the client has gone
      return
    deadline = time.monotonic() + self.server.app.config.linger_s
    while remaining is None or remaining > 0:
      left = deadline - time.monotonic()
      if left <= 0:
        return
      self.connection.settimeout(left)
      try:
        chunk = self.rfile.read1(65536 if remaining is None
                                 else min(65536, remaining))
      except OSError:                     # includes the timeout
        return
      if not chunk:
        return
      if remaining is not None:
        remaining -= len(chunk)

  def do_GET(self):  # pylint: disable=invalid-name
    def get():
      match = self._route()
      if match["verb"]:
        raise rest_api.ApiError(404, f"{match['verb']} needs POST.")
      model = self.server.app.model
      return 200, (model.metadata() if match["metadata"] else model.status())
    self._handle(get)

  def do_POST(self):  # pylint: disable=invalid-name
    def post():
      length = self._body_length()
      limit = self.server.app.config.max_body_bytes
      if length is None:
        self.close_connection = True
        self._unread = None               # e.g. chunked: drop what comes
        raise rest_api.ApiError(400, "a Content-Length header is required.")
      if length > limit:
        self.close_connection = True      # the body is never read
        self._unread = length
        raise rest_api.ApiError(
            400, f"request body of {length} bytes exceeds the limit of "
            f"{limit} bytes.")
      raw = self.rfile.read(length)
      match = self._route()
      if match["verb"] != "predict":
        raise rest_api.ApiError(
            404 if match["verb"] is None else 400,
            f"unsupported method {match['verb'] or 'POST'}; this server "
            f"supports :predict.")
      try:
        body = json.loads(raw)
      except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise rest_api.ApiError(400, f"malformed JSON: {e}") from e
      return 200, self.server.app.predict(body)
    self._handle(post)


class _HttpServer(http.server.ThreadingHTTPServer):
  # The default backlog (5) resets connections when dozens of clients
  # connect at once.
  request_queue_size = 128
  daemon_threads = True


class Server:
  """A running server: `port`, `model`, `batcher` (None without batching);
  `close()` stops it."""

  def __init__(self, config: ServerConfig):
    self.config = config
    self.model = rest_api.Model(config.model_name, config.model_dir)
    self.batcher: Optional[request_batcher.RequestBatcher] = None
    if config.batching:
      self.batcher = request_batcher.RequestBatcher(
          self.model.run, config.max_batch_size,
          config.batch_timeout_ms / 1000.0)
    self._http = _HttpServer((config.host, config.port), _Handler)
    self._http.app = self
    self.port = self._http.server_address[1]
    self._thread: Optional[threading.Thread] = None

  def predict(self, body) -> dict:
    request = self.model.parse(body)
    if (self.batcher is not None and request.rows is not None and
        self.model.batchable(request.signature_name)):
      outputs = self.batcher.run(request.signature_name, request.inputs,
                                 request.rows)
    else:
      outputs = self.model.run(request.signature_name, request.inputs)
    return self.model.format(request, outputs)

  def serve_forever(self) -> None:
    self._http.serve_forever()

  def start_background(self) -> "Server":
    self._thread = threading.Thread(target=self._http.serve_forever,
                                    daemon=True, name="rest-server")
    self._thread.start()
    return self

  def close(self) -> None:
    self._http.shutdown()
    self._http.server_close()
    if self.batcher is not None:
      self.batcher.close()


def start(config: ServerConfig) -> Server:
  """Loads the model and serves it on a background thread."""
  return Server(config).start_background()
