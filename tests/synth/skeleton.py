"""The bundled body's rest skeleton, for synth's tests of poses."""

from typing import Tuple

import numpy as np

from body import bundled


def bundled_rest_skeleton() -> Tuple[np.ndarray, np.ndarray]:
  """(rest joints `[24, 3]` in metres relative to the root, parents `[24]`)
  of the bundled body, as `synth.plausibility.forward_kinematics` takes
  them."""
  assets = bundled.load_model()
  rest = assets.j_regressor @ assets.v_template
  return rest - rest[0], assets.parents
