r"""Serves a SavedModel over TF Serving's REST API (no TF Serving needed).

    python -m pipeline.serve --model_dir=DIR --model_name=NAME [--port=8501]
        [--batching --max_batch_size=32 --batch_timeout_ms=5]

DIR is a SavedModel, or a directory of numeric version subdirectories (the
highest is served). Then, as with `tensorflow/serving`:

    curl http://localhost:8501/v1/models/NAME
    curl -d '{"instances": [...]}' http://localhost:8501/v1/models/NAME:predict
"""

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

from pipeline import rest_server  # pylint: disable=g-import-not-at-top

_MODEL_DIR = flags.DEFINE_string("model_dir", None, "SavedModel directory.",
                                 required=True)
_MODEL_NAME = flags.DEFINE_string("model_name", "default",
                                  "NAME in /v1/models/NAME.")
_HOST = flags.DEFINE_string("host", "0.0.0.0", "Address to listen on.")
_PORT = flags.DEFINE_integer("port", 8501, "Port (TF Serving's REST port).")
_BATCHING = flags.DEFINE_bool("batching", False,
                              "Batch concurrent row-format requests.")
_MAX_BATCH_SIZE = flags.DEFINE_integer("max_batch_size", 32,
                                       "Most instances per batched run.")
_BATCH_TIMEOUT_MS = flags.DEFINE_float(
    "batch_timeout_ms", 5.0, "How long a batch waits for more requests.")
_MAX_BODY_MB = flags.DEFINE_float("max_body_mb", 50.0,
                                  "Largest request body, MiB.")
_LINGER_S = flags.DEFINE_float(
    "linger_s", 10.0, "After refusing a body, how long at most to discard "
    "what the client still sends of it before closing.")


def main(argv):
  del argv
  logging.getLogger().setLevel(logging.INFO)
  server = rest_server.Server(rest_server.ServerConfig(
      model_dir=_MODEL_DIR.value, model_name=_MODEL_NAME.value,
      host=_HOST.value, port=_PORT.value, batching=_BATCHING.value,
      max_batch_size=_MAX_BATCH_SIZE.value,
      batch_timeout_ms=_BATCH_TIMEOUT_MS.value,
      max_body_bytes=int(_MAX_BODY_MB.value * 1024 * 1024),
      linger_s=_LINGER_S.value))
  logging.info("serving %s version %d from %s on http://%s:%d/v1/models/%s",
               server.model.name, server.model.version, server.model.path,
               _HOST.value, server.port, server.model.name)
  try:
    server.serve_forever()
  except KeyboardInterrupt:
    pass
  finally:
    server.close()


if __name__ == "__main__":
  app.run(main)
