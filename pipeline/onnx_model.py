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

import os
from typing import Dict

import numpy as np
import tensorflow as tf

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
    ValueError: an unknown signature.
  """
  try:
    import tf2onnx  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(_MISSING) from e
  loaded = tf.saved_model.load(saved_model_dir)
  if signature not in loaded.signatures:
    raise ValueError(f"signature {signature!r} is not in {saved_model_dir}; "
                     f"it has {sorted(loaded.signatures)}.")
  concrete = loaded.signatures[signature]
  specs = concrete.structured_input_signature[1]
  names = sorted(specs)
  fn = tf.function(lambda *args: concrete(**dict(zip(names, args))),
                   input_signature=[specs[n] for n in names])
  tmp = f"{output_path}.tmp-{os.getpid()}"
  try:
    proto, _ = tf2onnx.convert.from_function(
        fn, input_signature=fn.input_signature, opset=opset)
    unsupported = sorted({n.op_type for n in proto.graph.node
                          if n.domain not in ("", "ai.onnx")})
    if unsupported:
      raise ValueError(f"signature {signature!r} has ops ONNX lacks: "
                       f"{unsupported}.")
    with open(tmp, "wb") as f:
      f.write(proto.SerializeToString())
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
