"""Body shape sampling: β ~ N(0, σ² I), truncated.

The shape space is PCA-like (SMPL's β are in units of standard deviations of
the training scans), so σ = 1 covers the population; truncation at |β_i| ≤ c
keeps extreme, implausible bodies out.
"""

import dataclasses

import numpy as np

from body import finite


@dataclasses.dataclass(frozen=True)
class ShapePriorConfig:
  """Settings of the shape sampler.

  Attributes:
    num_betas: number of coefficients S.
    sigma: standard deviation σ of every coefficient.
    truncation: largest |β_i| (in the same units); values beyond are redrawn,
      so the distribution is a truncated normal, not a clipped one.
  """
  num_betas: int = 10
  sigma: float = 1.0
  truncation: float = 2.5

  def __post_init__(self):
    finite.check_fields(self)
    if self.num_betas <= 0:
      raise ValueError(f"num_betas must be positive, got {self.num_betas}.")
    if self.sigma < 0:
      raise ValueError(f"sigma must be ≥ 0, got {self.sigma}.")
    if self.truncation <= 0:
      raise ValueError(f"truncation must be positive, got {self.truncation}.")


def sample_betas(rng: np.random.Generator, n: int,
                 config: ShapePriorConfig = ShapePriorConfig()) -> np.ndarray:
  """Samples `[n, S]` shape coefficients from the truncated normal.

  Redraws out-of-range entries (at most 100 rounds; with truncation ≥ σ/2 the
  chance of needing more is negligible, and anything left is clipped).
  """
  betas = config.sigma * rng.standard_normal((n, config.num_betas))
  for _ in range(100):
    bad = np.abs(betas) > config.truncation
    if not bad.any():
      break
    betas[bad] = config.sigma * rng.standard_normal(int(bad.sum()))
  return np.clip(betas, -config.truncation, config.truncation)
