"""Tests for body/finite.py: configs refuse NaN and infinite settings."""

import dataclasses
from typing import Tuple

from body import finite
from tests import testing


@dataclasses.dataclass(frozen=True)
class _Config:
  rate: float = 1.0
  span: Tuple[float, float] = (0.0, 1.0)
  steps: int = 3
  name: str = "nan"
  flag: bool = True

  def __post_init__(self):
    finite.check_fields(self)


class FiniteTest(testing.TestCase):

  def test_finite_values_pass(self):
    self.assertEqual(_Config(rate=2.5, span=(-1.0, 1e30)).rate, 2.5)

  @testing.named_parameters(
      ("nan", dict(rate=float("nan")), "_Config.rate must be finite, got nan"),
      ("inf", dict(rate=float("inf")), "rate must be finite, got inf"),
      ("tuple", dict(span=(0.0, float("-inf"))),
       r"span must be finite, got \(0.0, -inf\)"),
  )
  def test_non_finite_values_raise(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      _Config(**kwargs)


if __name__ == "__main__":
  testing.main()
