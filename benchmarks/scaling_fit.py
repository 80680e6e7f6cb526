"""Curves for `benchmarks.priors_scaling`: error against training steps."""

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
from scipy import optimize


def fit_power_law(steps: Sequence[float], errors: Sequence[float]
                  ) -> Optional[Tuple[float, float, float]]:
  """Least-squares (a, b, c) of `error = a + b · steps^(−c)`, with a ≥ 0,
  b ≥ 0, 0 < c ≤ 3; None with fewer than four points (three parameters
  need a degree of freedom to be worth reporting) or if the fit fails."""
  n = np.asarray(steps, np.float64)
  e = np.asarray(errors, np.float64)
  if len(n) < 4:
    return None
  scale = n.max()

  def model(x, a, b, c):
    return a + b * np.power(x / scale, -c)

  try:
    params, _ = optimize.curve_fit(
        model, n, e, p0=(0.8 * e.min(), e.max() - e.min(), 0.5),
        bounds=([0.0, 0.0, 1e-3], [np.inf, np.inf, 3.0]), maxfev=20000)
  except (RuntimeError, ValueError):
    return None
  a, b_scaled, c = (float(p) for p in params)
  return a, b_scaled * scale ** c, c


def steps_to_reach(fit: Tuple[float, float, float], target: float) -> float:
  """Steps at which the fitted curve reaches `target` (inf if never)."""
  a, b, c = fit
  if target <= a:
    return math.inf
  return (b / (target - a)) ** (1.0 / c)


def per_doubling(steps: Sequence[float], errors: Sequence[float]
                 ) -> List[float]:
  """Change of error per doubling of the steps between neighbouring runs."""
  return [(errors[i + 1] - errors[i]) / math.log2(steps[i + 1] / steps[i])
          for i in range(len(steps) - 1)]
