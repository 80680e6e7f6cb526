"""`make demo`: run every pipeline stage that exists and show the results.

    python -m pipeline.demo_main --output_dir=out/demo [--body_model=PATH]
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

from pipeline import demo  # pylint: disable=g-import-not-at-top

_OUTPUT_DIR = flags.DEFINE_string("output_dir", "out/demo",
                                  "Where to write PNGs and summary.json.")
_BODY_MODEL = flags.DEFINE_string(
    "body_model", "", "SMPL-format model file (.pkl/.npz); empty for the "
    "bundled open model.")


def main(argv):
  del argv
  report = demo.run(demo.DemoConfig(output_dir=_OUTPUT_DIR.value,
                                    body_model=_BODY_MODEL.value))
  for line in demo.describe(report):
    print(line)


if __name__ == "__main__":
  app.run(main)
