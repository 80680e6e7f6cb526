"""Named keypoint sets (SMPL_24, COCO_17, COCO_21, LSP_14, COCO_21_LSP) and their
regressors.

A keypoint is either a body-model joint or a surface landmark (a vertex). A
model carries the landmark vertex ids (`BodyAssets.landmarks`), so the same
set definitions serve the official SMPL files and the bundled open model.

K denotes the number of keypoints of a set. "left" is the body's left.
"""

import dataclasses
from typing import Dict, Sequence, Tuple

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import smpl_layout

SMPL_JOINT_NAMES = smpl_layout.SMPL_JOINT_NAMES
SMPL_PARENTS = smpl_layout.SMPL_PARENTS

# Surface landmarks of the official SMPL mesh (0-based vertex ids, as in
# smplx's `vertex_ids["smplh"]`; head top as used by VIBE/ROMP).
SMPL_LANDMARKS = {
    "nose": 332, "left_eye": 2800, "right_eye": 6260, "left_ear": 583,
    "right_ear": 4071, "head_top": 411,
}
LANDMARK_NAMES = tuple(SMPL_LANDMARKS)


@dataclasses.dataclass(frozen=True)
class KeypointSet:
  """A named, ordered keypoint set.

  Attributes:
    name: e.g. "COCO_17".
    names: `[K]` keypoint names, in order.
    sources: `[K]` for each keypoint an SMPL joint name or a landmark name.
    flip_pairs: index pairs (left, right) swapped by a horizontal flip.
    edges: index pairs drawn as the skeleton.
  """
  name: str
  names: Tuple[str, ...]
  sources: Tuple[str, ...]
  flip_pairs: Tuple[Tuple[int, int], ...]
  edges: Tuple[Tuple[int, int], ...]

  def __post_init__(self):
    if len(self.names) != len(self.sources):
      raise ValueError(f"{self.name}: {len(self.names)} names but "
                       f"{len(self.sources)} sources.")
    for src in self.sources:
      if src not in SMPL_JOINT_NAMES and src not in LANDMARK_NAMES:
        raise ValueError(f"{self.name}: unknown source {src!r}.")
    k = len(self.names)
    for a, b in self.flip_pairs + self.edges:
      if not (0 <= a < k and 0 <= b < k):
        raise ValueError(f"{self.name}: pair ({a}, {b}) out of range.")

  @property
  def size(self) -> int:
    return len(self.names)

  def flip_permutation(self) -> np.ndarray:
    """`[K]` index map: keypoint i of a mirrored image is keypoint perm[i]."""
    return flip_permutation(self.size, self.flip_pairs)


def flip_permutation(num_points: int,
                     flip_pairs: Sequence[Tuple[int, int]]) -> np.ndarray:
  """`[N]` index map swapping each (left, right) pair: point i of the mirror
  image is point perm[i]."""
  perm = np.arange(num_points)
  for a, b in flip_pairs:
    perm[a], perm[b] = b, a
  return perm


def _pairs(names, pairs):
  index = {n: i for i, n in enumerate(names)}
  return tuple((index[a], index[b]) for a, b in pairs)


def _lr_pairs(names):
  """(left_x, right_x) index pairs present in `names`."""
  return tuple(
      (i, names.index("right_" + n[5:]))
      for i, n in enumerate(names)
      if n.startswith("left_") and "right_" + n[5:] in names)


def _make_set(name, names, sources, edges):
  names, sources = tuple(names), tuple(sources)
  return KeypointSet(name=name, names=names, sources=sources,
                     flip_pairs=_lr_pairs(list(names)),
                     edges=_pairs(names, edges))


SMPL_24 = _make_set(
    "SMPL_24", SMPL_JOINT_NAMES, SMPL_JOINT_NAMES,
    [(SMPL_JOINT_NAMES[p], SMPL_JOINT_NAMES[j])
     for j, p in enumerate(SMPL_PARENTS) if p >= 0])

_COCO_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle")
COCO_17 = _make_set(
    "COCO_17", _COCO_NAMES,
    # COCO's body keypoints are SMPL's joints of the same name; the face
    # points are landmarks.
    _COCO_NAMES,
    [("left_ankle", "left_knee"), ("left_knee", "left_hip"),
     ("right_ankle", "right_knee"), ("right_knee", "right_hip"),
     ("left_hip", "right_hip"), ("left_shoulder", "left_hip"),
     ("right_shoulder", "right_hip"), ("left_shoulder", "right_shoulder"),
     ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
     ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
     ("left_eye", "right_eye"), ("nose", "left_eye"), ("nose", "right_eye"),
     ("left_eye", "left_ear"), ("right_eye", "right_ear"),
     ("left_ear", "left_shoulder"), ("right_ear", "right_shoulder")])

# COCO_17 and one point on each foot and hand: SMPL's foot joint (the ball of
# the foot; COCO-WholeBody and Halpe mark the toes and heel there) and hand
# joint (the knuckles, near WholeBody's middle-finger MCP). With them the
# ankle and wrist rotations, which COCO_17 leaves unseen, show in 2D.
_COCO_21_NAMES = _COCO_NAMES + ("left_foot", "right_foot", "left_hand",
                                "right_hand")
COCO_21 = _make_set(
    "COCO_21", _COCO_21_NAMES, _COCO_21_NAMES,
    [(a, b) for a, b in ((_COCO_NAMES[i], _COCO_NAMES[j])
                         for i, j in COCO_17.edges)] +
    [("left_ankle", "left_foot"), ("right_ankle", "right_foot"),
     ("left_wrist", "left_hand"), ("right_wrist", "right_hand")])

# LSP's order (Johnson & Everingham 2010): right leg up, left leg down, right
# arm out, left arm in, neck, head top.
_LSP_NAMES = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee",
    "left_ankle", "right_wrist", "right_elbow", "right_shoulder",
    "left_shoulder", "left_elbow", "left_wrist", "neck", "head_top")
LSP_14 = _make_set(
    "LSP_14", _LSP_NAMES, _LSP_NAMES,
    [("right_ankle", "right_knee"), ("right_knee", "right_hip"),
     ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
     ("right_hip", "left_hip"), ("right_wrist", "right_elbow"),
     ("right_elbow", "right_shoulder"), ("left_shoulder", "left_elbow"),
     ("left_elbow", "left_wrist"), ("right_shoulder", "neck"),
     ("left_shoulder", "neck"), ("neck", "head_top"),
     ("right_hip", "right_shoulder"), ("left_hip", "left_shoulder")])

# Human2D's set: COCO_21 and LSP's neck and head top, so that one network
# serves the COCO_21 PosePrior (its first 21 points) and learns from every
# point that LSP / LSP-extended annotate.
COCO_21_LSP = _make_set(
    "COCO_21_LSP", _COCO_21_NAMES + ("neck", "head_top"),
    _COCO_21_NAMES + ("neck", "head_top"),
    [(a, b) for a, b in ((_COCO_21_NAMES[i], _COCO_21_NAMES[j])
                         for i, j in COCO_21.edges)] +
    [("neck", "head_top"), ("left_shoulder", "neck"),
     ("right_shoulder", "neck")])

KEYPOINT_SETS: Dict[str, KeypointSet] = {
    s.name: s for s in (SMPL_24, COCO_17, COCO_21, LSP_14, COCO_21_LSP)}


def get(name: str) -> KeypointSet:
  """Looks a keypoint set up by name, with the known names in the error."""
  try:
    return KEYPOINT_SETS[name]
  except KeyError:
    raise ValueError(f"unknown keypoint set {name!r}; known: "
                     f"{sorted(KEYPOINT_SETS)}.") from None


def regressor(assets: assets_lib.BodyAssets, kset: KeypointSet) -> np.ndarray:
  """`[K, V]` matrix mapping posed vertices to the set's keypoints.

  Joints use the model's joint regressor, landmarks a one-hot row. Applying a
  joint-regressor row to posed vertices gives the joint's position on the
  posed surface (as HMR/SPIN do), not the kinematic joint exactly.

  Raises:
    ValueError: if the model lacks a landmark the set needs.
  """
  rows = []
  for src in kset.sources:
    if src in SMPL_JOINT_NAMES:
      j = SMPL_JOINT_NAMES.index(src)
      if j >= assets.num_joints:
        raise ValueError(f"{kset.name} needs joint {src!r}; model "
                         f"{assets.name!r} has {assets.num_joints} joints.")
      rows.append(assets.j_regressor[j])
    else:
      if src not in assets.landmarks:
        raise ValueError(
            f"{kset.name} needs landmark {src!r}; model {assets.name!r} has "
            f"{sorted(assets.landmarks)}.")
      row = np.zeros(assets.num_vertices)
      row[assets.landmarks[src]] = 1.0
      rows.append(row)
  return np.stack(rows)


def regress(assets: assets_lib.BodyAssets, vertices, kset: KeypointSet):
  """Keypoints of posed vertices.

  Args:
    assets: the model that produced `vertices`.
    vertices: A tensor of shape `[B, V, 3]`.
    kset: the keypoint set.

  Returns:
    A tensor of shape `[B, K, 3]`.
  """
  vertices = tf.convert_to_tensor(vertices)
  if vertices.shape.rank != 3 or vertices.shape[1:] != (
      assets.num_vertices, 3):
    raise ValueError(f"vertices must have shape [B, {assets.num_vertices}, "
                     f"3], got {vertices.shape.as_list()}.")
  matrix = tf.constant(regressor(assets, kset), dtype=vertices.dtype)
  return tf.einsum("kv,bvc->bkc", matrix, vertices)
