"""Tests of pipeline/onnx_model.py: the `image_tensor` signature of an
export (untrained tiny Human2D, shipped priors) converted by tf2onnx and run
in onnxruntime matches the SavedModel. Skipped without tf2onnx/onnxruntime
(`requirements-onnx.txt`)."""

import importlib.util
import os
import tempfile
import unittest

import numpy as np
import tensorflow as tf

from pipeline import onnx_model
from pipeline import serving_model
from tests import testing
from tests.pipeline import networks

_HAVE_ONNX = all(importlib.util.find_spec(m) is not None
                 for m in ("tf2onnx", "onnxruntime"))


@unittest.skipUnless(_HAVE_ONNX, "needs tf2onnx and onnxruntime "
                     "(pip install -r requirements-onnx.txt)")
class OnnxModelTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    tf.keras.utils.set_random_seed(testing.SEED)
    cls.model = networks.tiny_model()
    cls.dir = tempfile.mkdtemp()
    cls.saved = serving_model.export(cls.model, cls.dir)
    cls.onnx = onnx_model.convert(cls.saved, os.path.join(cls.dir, "m.onnx"))

  def test_onnxruntime_matches_the_saved_model(self):
    s = self.model.crop_size
    sig = tf.saved_model.load(self.saved).signatures["image_tensor"]
    for n in (1, 3):                        # The batch stays dynamic.
      crops = self.rng.integers(0, 255, (n, s, s, 3), dtype=np.uint8)
      want = sig(crops=tf.constant(crops))
      got = onnx_model.run(self.onnx, {"crops": crops})
      self.assertEqual(sorted(got), sorted(want))
      for name, value in want.items():
        self.assertAllClose(got[name], value, atol=1e-3, rtol=1e-3,
                            msg=name)

  def test_errors_name_the_problem(self):
    with self.assertRaisesRegex(ValueError, "nope"):
      onnx_model.convert(self.saved, os.path.join(self.dir, "x.onnx"),
                         signature="nope")
    with self.assertRaisesRegex(ValueError, "crops"):
      onnx_model.run(self.onnx, {"images": np.zeros((1, 4), np.uint8)})
    self.assertFalse(os.path.exists(os.path.join(self.dir, "x.onnx")))


if __name__ == "__main__":
  testing.main()
