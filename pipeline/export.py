r"""Exports the composed model as a SavedModel (`pipeline/serving_model.py`).

    python -m pipeline.export --output=DIR [--version=1] [--overwrite]
        [--human2d_weights=W.weights.h5] [--pose_weights=...]
        [--shape_weights=...] [--noflip_test]

Writes DIR/<version>/ (TF Serving's layout), whole or not at all. Serve it
with `python -m pipeline.serve --model_dir=DIR --model_name=body3d` or the
`tensorflow/serving` container (README: "Serving").
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

from pipeline import model  # pylint: disable=g-import-not-at-top
from pipeline import serving_model  # pylint: disable=g-import-not-at-top
from pipeline import weight_flags  # pylint: disable=g-import-not-at-top

_OUTPUT = flags.DEFINE_string("output", None, "Base directory; the model goes "
                              "to OUTPUT/<version>.")
_VERSION = flags.DEFINE_integer("version", serving_model.DEFAULT_VERSION,
                                "Version subdirectory (a positive integer).")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace an existing "
                               "version.")
_FLIP_TEST = flags.DEFINE_bool("flip_test", True, "Flip test in Human2D and "
                               "the PosePrior (2× the network cost).")


def main(argv):
  del argv
  net = model.BodyFromImage.load(**weight_flags.load_kwargs(),
                                 flip_test=_FLIP_TEST.value)
  path = serving_model.export(net, _OUTPUT.value, _VERSION.value,
                              _OVERWRITE.value)
  print(f"SavedModel written to {path}; signatures: "
        f"{', '.join(serving_model.SIGNATURES)}")


if __name__ == "__main__":
  # Required only when run as a program, so tests can import this module.
  flags.mark_flags_as_required(["output"])
  app.run(main)
