r"""Converts a signature of the SavedModel export to ONNX (`pipeline/
onnx_model.py`; needs `pip install -r requirements-onnx.txt`).

    python -m pipeline.export --output=out/body3d
    python -m pipeline.export_onnx --model_dir=out/body3d \
        --output=out/body3d.onnx [--signature=image_tensor] [--opset=17]

`--model_dir` is a version directory or a base directory (the highest
version). Checks the result in onnxruntime against the SavedModel on random
crops and prints the largest difference per output.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top

from pipeline import onnx_model  # pylint: disable=g-import-not-at-top
from pipeline import rest_api  # pylint: disable=g-import-not-at-top

_MODEL_DIR = flags.DEFINE_string("model_dir", None, "SavedModel export.")
_OUTPUT = flags.DEFINE_string("output", None, "The .onnx file to write.")
_SIGNATURE = flags.DEFINE_string("signature", onnx_model.DEFAULT_SIGNATURE,
                                 "Signature to convert.")
_OPSET = flags.DEFINE_integer("opset", onnx_model.DEFAULT_OPSET,
                              "ONNX opset.")


def main(argv):
  del argv
  path, _ = rest_api.find_version(_MODEL_DIR.value)
  onnx_path = onnx_model.convert(path, _OUTPUT.value, _SIGNATURE.value,
                                 _OPSET.value)
  print(f"ONNX model written to {onnx_path}")
  if _SIGNATURE.value != "image_tensor":
    return
  sig = tf.saved_model.load(path).signatures["image_tensor"]
  s = sig.structured_input_signature[1]["crops"].shape[1]
  crops = np.random.default_rng(0).integers(0, 255, (2, s, s, 3), np.uint8)
  want = sig(crops=tf.constant(crops))
  got = onnx_model.run(onnx_path, {"crops": crops})
  for name, value in sorted(want.items()):
    print(f"  {name}: max |onnxruntime − SavedModel| = "
          f"{np.abs(got[name] - value.numpy()).max():.2e}")


if __name__ == "__main__":
  flags.mark_flags_as_required(["model_dir", "output"])
  app.run(main)
