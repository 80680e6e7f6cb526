"""A signature of the exported SavedModel (`pipeline.serving_model`) as an
ONNX model, through tf2onnx, run with onnxruntime.

    path = onnx_model.convert("out/body3d/1", "out/body3d.onnx")
    outputs = onnx_model.run(path, {"crops": crops_uint8})

tf2onnx and onnxruntime are optional (`requirements-onnx.txt`); importing
this module works without them, `convert` / `run` then raise ImportError
naming the packages. The default signature, `image_tensor` (uint8 crops
[N, S, S, 3] → θ, β, camera, joints, keypoints, confidence, silhouette),
converts whole: Human2D with its flip test, heatmap decoding, both priors
and the body model. The signatures that take encoded images do not
(`DecodeImage` and `ImageProjectiveTransformV3` have no ONNX equivalent):
decode and crop before ONNX (`pipeline.crop`).
"""

import importlib.util
import os
import subprocess
import sys
from typing import Dict

import numpy as np
from tensorflow.python.tools import saved_model_utils

DEFAULT_SIGNATURE = "image_tensor"
DEFAULT_OPSET = 17
_MISSING = ("ONNX export needs tf2onnx and onnxruntime: pip install -r "
            "requirements-onnx.txt")


def convert(saved_model_dir: str, output_path: str,
            signature: str = DEFAULT_SIGNATURE,
            opset: int = DEFAULT_OPSET) -> str:
  """Writes `signature` of the SavedModel at `saved_model_dir` (a version
  directory) to `output_path` (write-then-rename); returns the path.

  Raises:
    ImportError: tf2onnx is not installed.
    ValueError: an unknown signature, or ops that ONNX lacks.
    RuntimeError: tf2onnx failed (its log's end in the message).
  """
  if importlib.util.find_spec("tf2onnx") is None:
    raise ImportError(_MISSING)
  # The SignatureDefs alone (no variables): a quick check of the name.
  signatures = saved_model_utils.get_meta_graph_def(
      saved_model_dir, "serve").signature_def
  if signature not in signatures:
    raise ValueError(f"signature {signature!r} is not in {saved_model_dir}; "
                     f"it has {sorted(signatures)}.")
  tmp = f"{output_path}.tmp-{os.getpid()}"
  # tf2onnx's own saved-model loader, in a child process (its Python
  # from_function fails in grappler on a loaded signature: "Failed to
  # import metagraph").
  command = [sys.executable, "-m", "tf2onnx.convert", "--saved-model",
             saved_model_dir, "--tag", "serve", "--signature_def", signature,
             "--opset", str(opset), "--output", tmp]
  try:
    done = subprocess.run(command, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0 or not os.path.exists(tmp):
      raise RuntimeError(f"tf2onnx failed on {signature!r} of "
                         f"{saved_model_dir}:\n{done.stderr[-3000:]}")
    import onnx  # pylint: disable=g-import-not-at-top
    proto = onnx.load(tmp)
    unsupported = sorted({n.op_type for n in proto.graph.node
                          if n.domain not in ("", "ai.onnx")})
    if unsupported:
      raise ValueError(f"signature {signature!r} has ops ONNX lacks: "
                       f"{unsupported}.")
    os.replace(tmp, output_path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return output_path


def run(onnx_path: str, inputs: Dict[str, np.ndarray]
        ) -> Dict[str, np.ndarray]:
  """Runs the ONNX model on `inputs` (by input name) with onnxruntime's CPU
  provider; outputs by name."""
  try:
    import onnxruntime  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(_MISSING) from e
  session = onnxruntime.InferenceSession(
      onnx_path, providers=["CPUExecutionProvider"])
  expected = sorted(i.name for i in session.get_inputs())
  if sorted(inputs) != expected:
    raise ValueError(f"inputs must be {expected}, got {sorted(inputs)}.")
  names = [o.name for o in session.get_outputs()]
  return dict(zip(names, session.run(names, inputs)))
