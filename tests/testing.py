"""Shared test base: a seeded `tf.test.TestCase` with absl parameterization.

Every test file subclasses `TestCase` and ends with

    if __name__ == "__main__":
      testing.main()

so it runs the same way under pytest, `python -m`, and Bazel's `py_test`.
"""

import os

# Silence TensorFlow's C++ log noise before TensorFlow is imported anywhere.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import random  # pylint: disable=g-import-not-at-top

from absl import flags  # pylint: disable=g-import-not-at-top
from absl import logging as absl_logging  # pylint: disable=g-import-not-at-top
from absl.testing import parameterized  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top

tf.get_logger().setLevel("ERROR")
absl_logging.set_verbosity(absl_logging.ERROR)

# Under pytest nobody parses absl flags; tf.test's temp dirs read them.
if not flags.FLAGS.is_parsed():
  flags.FLAGS.mark_as_parsed()

SEED = 20180618  # CVPR 2018.

# Re-exported so that test files need one import for the decorators.
parameters = parameterized.parameters
named_parameters = parameterized.named_parameters


class TestCase(tf.test.TestCase, parameterized.TestCase):
  """A `tf.test.TestCase` whose Python, NumPy and TF random state is seeded.

  `self.rng` is a fresh `np.random.Generator` per test, so tests do not depend
  on the order in which they run.
  """

  def setUp(self):
    super().setUp()
    random.seed(SEED)
    np.random.seed(SEED)
    tf.random.set_seed(SEED)
    self.rng = np.random.default_rng(SEED)


def stored_arrays(path):
  """Every array stored in a Keras `.weights.h5` file, in file order."""
  import h5py  # pylint: disable=g-import-not-at-top
  arrays = []
  with h5py.File(path, "r") as f:
    f.visititems(lambda name, obj: arrays.append(np.asarray(obj))
                 if isinstance(obj, h5py.Dataset) else None)
  return arrays


def main():
  tf.test.main()
