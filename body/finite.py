"""Finite-value checks for configs: NaN or infinity in a float setting is an
error at construction, naming the field, rather than a silent NaN product.

    def __post_init__(self):
      finite.check_fields(self)
"""

import dataclasses
import math


def _non_finite(value) -> bool:
  if isinstance(value, bool):
    return False
  if isinstance(value, float):
    return not math.isfinite(value)
  if isinstance(value, (tuple, list)):
    return any(_non_finite(v) for v in value)
  return False


def check_fields(config) -> None:
  """Raises ValueError if a float (or tuple-of-floats) field of the
  dataclass `config` is NaN or infinite; nested dataclasses check their own.
  """
  for field in dataclasses.fields(config):
    value = getattr(config, field.name)
    if _non_finite(value):
      raise ValueError(
          f"{type(config).__name__}.{field.name} must be finite, got "
          f"{value!r}.")
