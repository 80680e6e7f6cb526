"""TF Serving's REST predict API over any SavedModel: JSON in, JSON out.

The request and response formats of TensorFlow Serving's REST API
(https://www.tensorflow.org/tfx/serving/api_rest), for `:predict`:

  row format      {"signature_name": "...", "instances": [i_1, i_2, ...]}
                  each instance an object {input: value} (or, for a signature
                  with one input, the value itself); stacked along a new batch
                  axis. Answer {"predictions": [p_1, ...]}: per instance an
                  object {output: value}, or the value with one output.
  columnar format {"inputs": {input: value}} (or the value itself for one
                  input), passed as is. Answer {"outputs": {output: value}}
                  (or the value with one output).

Bytes (DT_STRING) values may be sent as {"b64": "<base64>"}; string outputs
whose name ends in "_bytes" come back that way, others as text. Errors are
`ApiError`s carrying the HTTP status and TF Serving's {"error": "..."} body:
400 for a bad request (JSON, shapes, dtypes, a value the graph rejects such
as a non-image to a decoding signature), 404 for an unknown model, version
or signature.

`Model` loads a SavedModel (a version directory, or a base directory whose
numeric subdirectories are versions: the highest is served, as TF Serving
does) and runs its signatures on NumPy inputs; `status` and `metadata` give
the bodies of `GET /v1/models/NAME` and `GET /v1/models/NAME/metadata`.
"""

import base64
import dataclasses
import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf

DEFAULT_SIGNATURE = "serving_default"


class ApiError(Exception):
  """A request that gets an error response: HTTP `status`, `message`."""

  def __init__(self, status: int, message: str):
    super().__init__(message)
    self.status = status
    self.message = message

  def body(self) -> Dict[str, str]:
    return {"error": self.message}


@dataclasses.dataclass(frozen=True)
class Request:
  """A parsed predict request: NumPy `inputs` by name, `rows` instances
  (None for the columnar format) and the signature's name."""
  signature_name: str
  inputs: Dict[str, np.ndarray]
  rows: Optional[int]


def find_version(model_dir: str) -> Tuple[str, int]:
  """(SavedModel directory, version): the highest numeric subdirectory of
  `model_dir`, or `model_dir` itself as version 1.

  Raises:
    FileNotFoundError: if there is no SavedModel there.
  """
  if not os.path.isdir(model_dir):
    raise FileNotFoundError(f"model directory {model_dir} does not exist.")
  versions = [int(d) for d in os.listdir(model_dir)
              if d.isdigit() and os.path.isdir(os.path.join(model_dir, d))]
  if versions and not tf.saved_model.contains_saved_model(model_dir):
    version = max(versions)
    return os.path.join(model_dir, str(version)), version
  if not tf.saved_model.contains_saved_model(model_dir):
    raise FileNotFoundError(
        f"{model_dir} holds no SavedModel (saved_model.pb) and no numeric "
        f"version subdirectory with one.")
  return model_dir, 1


def _dtype_name(dtype: tf.DType) -> str:
  return "DT_" + {"float32": "FLOAT", "float64": "DOUBLE",
                  "string": "STRING"}.get(dtype.name, dtype.name.upper())


def _tensor_info(name: str, spec: tf.TensorSpec) -> Dict[str, Any]:
  shape = spec.shape
  return {
      "dtype": _dtype_name(spec.dtype),
      "tensor_shape": {
          "dim": [] if shape.rank is None else [
              {"size": str(-1 if d is None else d), "name": ""}
              for d in shape.as_list()],
          "unknown_rank": shape.rank is None},
      "name": name,
  }


def _decode_b64(value):
  """Replaces {"b64": s} objects by their bytes, recursively."""
  if isinstance(value, dict):
    if set(value) == {"b64"}:
      try:
        return base64.b64decode(value["b64"], validate=True)
      except (ValueError, TypeError) as e:
        raise ApiError(400, f"invalid base64 in a b64 value: {e}") from e
    raise ApiError(400, f"unexpected object {sorted(value)[:4]} in a value; "
                   f"only {{\"b64\": ...}} objects are allowed there.")
  if isinstance(value, list):
    return [_decode_b64(v) for v in value]
  return value


def _to_array(name: str, value, spec: tf.TensorSpec) -> np.ndarray:
  """A JSON value as an array of `spec`'s dtype and a compatible shape."""
  value = _decode_b64(value)
  try:
    if spec.dtype == tf.string:
      array = np.array(value, dtype=object)
      flat = array.reshape(-1)
      for i, v in enumerate(flat):
        if isinstance(v, str):
          flat[i] = v.encode("utf-8")
        elif not isinstance(v, bytes):
          raise TypeError(f"expected strings or b64 objects, got {v!r}")
    else:
      if _has_strings(value):
        raise TypeError("got strings for a numeric input")
      array = np.array(value, dtype=spec.dtype.as_numpy_dtype)
  except (TypeError, ValueError, OverflowError) as e:
    raise ApiError(400, f"input {name!r} does not fit {spec.dtype.name} "
                   f"{spec.shape}: {e}") from e
  if not spec.shape.is_compatible_with(array.shape):
    raise ApiError(400, f"input {name!r} has shape {list(array.shape)}, but "
                   f"the signature expects {spec.shape}.")
  return array


def _has_strings(value) -> bool:
  if isinstance(value, (str, bytes)):
    return True
  if isinstance(value, list):
    return any(_has_strings(v) for v in value)
  return False


def _to_json(name: str, array: np.ndarray):
  """An output array as TF Serving writes it."""
  if array.dtype == object or array.dtype.kind in "SO":
    as_b64 = name.endswith("_bytes")

    def convert(v):
      if as_b64:
        return {"b64": base64.b64encode(v).decode("ascii")}
      try:
        return v.decode("utf-8")
      except UnicodeDecodeError:
        return {"b64": base64.b64encode(v).decode("ascii")}

    return np.vectorize(convert, otypes=[object])(array).tolist() if (
        array.ndim) else convert(array.item())
  return array.tolist()


class Model:
  """A loaded SavedModel and its signatures (thread-safe to call)."""

  def __init__(self, name: str, model_dir: str):
    self.name = name
    self.path, self.version = find_version(model_dir)
    self._loaded = tf.saved_model.load(self.path)
    self.signatures = dict(self._loaded.signatures)
    if not self.signatures:
      raise ValueError(f"the SavedModel at {self.path} has no signatures; "
                       f"export it with `signatures=` so it can be served.")
    self.input_specs = {
        key: dict(fn.structured_input_signature[1])
        for key, fn in self.signatures.items()}

  def check_target(self, name: str, version: Optional[int]) -> None:
    if name != self.name:
      raise ApiError(404, f"Servable not found for request: Latest({name})"
                     f" (this server serves {self.name!r}).")
    if version is not None and version != self.version:
      raise ApiError(404, f"Servable not found for request: "
                     f"Specific({name}, {version}) (version {self.version} "
                     f"is served).")

  def status(self) -> Dict[str, Any]:
    return {"model_version_status": [{
        "version": str(self.version), "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""}}]}

  def metadata(self) -> Dict[str, Any]:
    defs = {}
    for key, fn in self.signatures.items():
      defs[key] = {
          "inputs": {n: _tensor_info(n, s)
                     for n, s in self.input_specs[key].items()},
          "outputs": {n: _tensor_info(n, s)
                      for n, s in fn.structured_outputs.items()},
          "method_name": "tensorflow/serving/predict",
      }
    return {"model_spec": {"name": self.name, "signature_name": "",
                           "version": str(self.version)},
            "metadata": {"signature_def": {"signature_def": defs}}}

  def parse(self, body: Any) -> Request:
    """A decoded JSON predict body → Request (raises ApiError)."""
    if not isinstance(body, dict):
      raise ApiError(400, "the request body must be a JSON object.")
    key = body.get("signature_name", DEFAULT_SIGNATURE)
    if key not in self.signatures:
      raise ApiError(404, f"signature {key!r} not found; the model has "
                     f"{sorted(self.signatures)}.")
    specs = self.input_specs[key]
    if ("instances" in body) == ("inputs" in body):
      raise ApiError(400, "the request must have exactly one of "
                     "\"instances\" (row format) or \"inputs\" (columnar).")
    if "inputs" in body:
      value = body["inputs"]
      if not (isinstance(value, dict) and set(value) == set(specs)):
        if len(specs) != 1:
          raise ApiError(400, f"\"inputs\" must be an object with the "
                         f"inputs {sorted(specs)}.")
        value = {next(iter(specs)): value}
      return Request(key, {n: _to_array(n, value[n], specs[n])
                           for n in specs}, None)
    instances = body["instances"]
    if not isinstance(instances, list) or not instances:
      raise ApiError(400, "\"instances\" must be a non-empty list.")
    columns = {n: [] for n in specs}
    for i, instance in enumerate(instances):
      if not (isinstance(instance, dict) and set(instance) == set(specs)):
        if len(specs) != 1 or (isinstance(instance, dict) and
                               set(instance) != {"b64"}):
          raise ApiError(400, f"instance {i} must be an object with the "
                         f"inputs {sorted(specs)}.")
        instance = {next(iter(specs)): instance}
      for n in specs:
        columns[n].append(instance[n])
    return Request(key, {n: _to_array(n, columns[n], specs[n])
                         for n in specs}, len(instances))

  def run(self, signature_name: str,
          inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Runs a signature; a value the graph rejects raises ApiError(400)."""
    fn = self.signatures[signature_name]
    specs = self.input_specs[signature_name]
    try:
      outputs = fn(**{n: tf.constant(inputs[n], specs[n].dtype)
                      for n in specs})
    except (tf.errors.InvalidArgumentError, ValueError, TypeError) as e:
      message = getattr(e, "message", None) or str(e)
      raise ApiError(400, message.strip().splitlines()[0]) from e
    return {n: t.numpy() for n, t in outputs.items()}

  def format(self, request: Request,
             outputs: Dict[str, np.ndarray]) -> Dict[str, Any]:
    """The response body for `request`'s format."""
    names = sorted(outputs)
    if request.rows is None:
      if len(names) == 1:
        return {"outputs": _to_json(names[0], outputs[names[0]])}
      return {"outputs": {n: _to_json(n, outputs[n]) for n in names}}
    for n in names:
      if np.ndim(outputs[n]) == 0 or outputs[n].shape[0] != request.rows:
        raise ApiError(400, f"output {n!r} has shape "
                       f"{list(np.shape(outputs[n]))}, which does not split "
                       f"into {request.rows} instances; use the columnar "
                       f"format (\"inputs\").")
    rows: List[Any] = []
    for i in range(request.rows):
      if len(names) == 1:
        rows.append(_to_json(names[0], outputs[names[0]][i]))
      else:
        rows.append({n: _to_json(n, outputs[n][i]) for n in names})
    return {"predictions": rows}

  def batchable(self, signature_name: str) -> bool:
    """Whether row requests to a signature can be concatenated: every
    input has a leading unknown (batch) dimension."""
    return all(s.shape.rank and s.shape[0] is None
               for s in self.input_specs[signature_name].values())
