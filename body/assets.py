"""An immutable record of an SMPL-format body model, validated on construction.

Dimensions used throughout `body/`:
  V vertices, F faces, J joints (24 for SMPL), S shape components,
  P pose-corrective components (`9 * (J - 1)` = 207 for SMPL), K keypoints.

The record holds NumPy arrays only: it is the same for any framework and can be
hashed by identity (two loads of one file are two models), which lets the
forward pass cache its TensorFlow constants per model.
"""

import dataclasses
import types
from typing import Mapping, Optional

import numpy as np

_WEIGHT_SUM_TOLERANCE = 1e-3


class InvalidAssetsError(ValueError):
  """A body model's arrays do not form a valid SMPL-format model."""


def parents_from_kintree(kintree_table: np.ndarray) -> np.ndarray:
  """Converts SMPL's `kintree_table [2, J]` to a parents vector `[J]` (root = -1).

  Official files store the root's parent as 4294967295 (uint32 -1); row 1 holds
  joint ids, which are 0..J-1 in every known file.
  """
  table = np.asarray(kintree_table)
  if table.ndim != 2 or table.shape[0] != 2:
    raise InvalidAssetsError(
        f"kintree_table must have shape [2, J], got {table.shape}.")
  ids = table[1].astype(np.int64)
  if not np.array_equal(ids, np.arange(table.shape[1])):
    raise InvalidAssetsError(
        f"kintree_table row 1 must list joints 0..J-1 in order, got {ids}.")
  raw = table[0].astype(np.int64)
  parents = np.where((raw < 0) | (raw >= table.shape[1]), -1, raw)
  # Only the root may have no parent; anything else out of range is an error
  # that `validate` reports with the offending value.
  bad = [(j, int(p)) for j, p in enumerate(raw[1:], start=1)
         if p < 0 or p >= table.shape[1]]
  if bad:
    raise InvalidAssetsError(
        f"kintree_table gives out-of-range parents (joint, parent): {bad}.")
  return parents


def kintree_from_parents(parents: np.ndarray) -> np.ndarray:
  """Inverse of `parents_from_kintree`, in the uint32 form official files use."""
  parents = np.asarray(parents, dtype=np.int64)
  row0 = np.where(parents < 0, 4294967295, parents)
  return np.stack([row0, np.arange(parents.shape[0])]).astype(np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class BodyAssets:
  """Arrays of an SMPL-format model.

  Attributes:
    v_template: `[V, 3]` rest-pose vertices of the mean shape, metres.
    shapedirs: `[V, 3, S]` shape blend shapes (β is `[S]`).
    posedirs: `[V, 3, P]` pose-corrective blend shapes driven by the flattened
      `(R_j - I)` of joints 1..J-1, or None when the model has none.
    j_regressor: `[J, V]` joint regressor (dense; rows are convex combinations).
    weights: `[V, J]` skinning weights, rows sum to 1.
    parents: `[J]` int64 parent of each joint, -1 for the root; every parent
      precedes its child.
    faces: `[F, 3]` int32 triangle vertex indices, counter-clockwise seen from
      outside (the normal points out).
    landmarks: vertex id of named surface points (nose, eyes, ears, head top)
      that keypoint sets use; see `body/keypoints.py`.
    name: a human-readable name (file name or "open_body").
  """
  v_template: np.ndarray
  shapedirs: np.ndarray
  posedirs: Optional[np.ndarray]
  j_regressor: np.ndarray
  weights: np.ndarray
  parents: np.ndarray
  faces: np.ndarray
  landmarks: Mapping[str, int] = dataclasses.field(default_factory=dict)
  name: str = "body"

  def __post_init__(self):
    # Normalise dtypes once, then freeze the arrays so nobody edits a model
    # that a cached TensorFlow constant was made from.
    def fix(field, value):
      value.setflags(write=False)
      object.__setattr__(self, field, value)

    fix("v_template", np.asarray(self.v_template, dtype=np.float64).copy())
    fix("shapedirs", np.asarray(self.shapedirs, dtype=np.float64).copy())
    if self.posedirs is not None:
      fix("posedirs", np.asarray(self.posedirs, dtype=np.float64).copy())
    fix("j_regressor", np.asarray(self.j_regressor, dtype=np.float64).copy())
    fix("weights", np.asarray(self.weights, dtype=np.float64).copy())
    fix("parents", np.asarray(self.parents, dtype=np.int64).copy())
    fix("faces", _checked_faces(self.faces, self.v_template.shape[0]))
    object.__setattr__(
        self, "landmarks",
        types.MappingProxyType({str(k): int(v)
                                for k, v in dict(self.landmarks).items()}))
    validate(self)

  @property
  def num_vertices(self) -> int:
    return self.v_template.shape[0]

  @property
  def num_joints(self) -> int:
    return self.parents.shape[0]

  @property
  def num_betas(self) -> int:
    return self.shapedirs.shape[2]

  @property
  def num_faces(self) -> int:
    return self.faces.shape[0]


def _checked_faces(faces, num_vertices: int) -> np.ndarray:
  """`faces` as int32 after checking, in their own dtype, that they are
  integers in [0, V) (a cast first would wrap 2³² + 5 to 5)."""
  faces = np.asarray(faces)
  if faces.size and not np.issubdtype(faces.dtype, np.integer):
    raise InvalidAssetsError(
        f"faces must be integer vertex indices, got dtype {faces.dtype}.")
  if faces.size and (faces.min() < 0 or faces.max() >= num_vertices):
    raise InvalidAssetsError(
        f"faces index vertices in [{faces.min()}, {faces.max()}], outside "
        f"[0, {num_vertices - 1}].")
  return faces.astype(np.int32)


def _expect_shape(name, array, expected):
  """Raises if `array.shape` differs from `expected` (None = any size)."""
  shape = np.shape(array)
  ok = len(shape) == len(expected) and all(
      e is None or e == s for e, s in zip(expected, shape))
  if not ok:
    pretty = "[" + ", ".join("?" if e is None else str(e)
                             for e in expected) + "]"
    raise InvalidAssetsError(f"{name} must have shape {pretty}, got {shape}.")


def validate(assets: BodyAssets) -> None:
  """Checks that the arrays of `assets` agree; raises InvalidAssetsError."""
  _expect_shape("v_template", assets.v_template, (None, 3))
  num_v = assets.v_template.shape[0]
  if num_v == 0:
    raise InvalidAssetsError("v_template has no vertices.")
  _expect_shape("parents", assets.parents, (None,))
  num_j = assets.parents.shape[0]
  _expect_shape("shapedirs", assets.shapedirs, (num_v, 3, None))
  if assets.posedirs is not None:
    _expect_shape("posedirs", assets.posedirs, (num_v, 3, 9 * (num_j - 1)))
  _expect_shape("j_regressor", assets.j_regressor, (num_j, num_v))
  _expect_shape("weights", assets.weights, (num_v, num_j))
  _expect_shape("faces", assets.faces, (None, 3))

  for name in ("v_template", "shapedirs", "posedirs", "j_regressor",
               "weights"):
    value = getattr(assets, name)
    if value is not None and not np.all(np.isfinite(value)):
      raise InvalidAssetsError(f"{name} contains NaN or infinite values.")

  sums = assets.weights.sum(axis=1)
  worst = int(np.argmax(np.abs(sums - 1.0)))
  if abs(sums[worst] - 1.0) > _WEIGHT_SUM_TOLERANCE:
    raise InvalidAssetsError(
        f"skinning weights must sum to 1 per vertex; vertex {worst} sums to "
        f"{sums[worst]:.6f}.")

  if assets.parents[0] != -1:
    raise InvalidAssetsError(
        f"joint 0 must be the root (parent -1), got parent "
        f"{assets.parents[0]}.")
  for j in range(1, num_j):
    p = assets.parents[j]
    if not 0 <= p < j:
      raise InvalidAssetsError(
          f"parents must form a tree with each parent before its child; "
          f"joint {j} has parent {p}.")

  if assets.faces.size and (assets.faces.min() < 0 or
                            assets.faces.max() >= num_v):
    raise InvalidAssetsError(
        f"faces index vertices in [{assets.faces.min()}, "
        f"{assets.faces.max()}], outside [0, {num_v - 1}].")
  for name, vid in assets.landmarks.items():
    if not 0 <= vid < num_v:
      raise InvalidAssetsError(
          f"landmark {name!r} is vertex {vid}, outside [0, {num_v - 1}].")
