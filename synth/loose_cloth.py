"""Loose cloth: a skirt / coat-tail surface hanging from the waist.

Tight garments only recolour the body (`synth/appearance.py`); loose ones
change the silhouette. This module adds one extra surface to every mesh: a
flared tube of `RINGS` rings × `SEGMENTS` vertices, built in the POSED
frame of each image from the posed body:

  top ring   the body's own waist vertices (fixed ids, chosen once on the
             rest template at `waist` height), pushed out by 3 %;
  hem ring   centred at c_top + length · (mid-knee − c_top), each vertex in
             the direction of its top vertex from the waist centre, at the
             larger of (1 + flare) × its top radius and what the spread
             knees need, so walking legs stay (mostly) inside;
  between    rings interpolated (the radius eases out).

The tube is two-sided: an outer copy facing out and an inner copy with
reversed faces (its own vertices, so vertex normals do not cancel), both
culled like the body. Images without loose cloth collapse every cloth vertex
onto the waist centre: zero-area faces, which the rasterizer drops — so the
topology is the same for a whole batch.

Labels: cloth faces near the waist are torso (NBF 2, joint "pelvis"), lower
ones the upper leg of their side (NBF 7/8, joints "left_hip"/"right_hip").
"""

from typing import NamedTuple

import numpy as np

from body import assets as assets_lib
from body import smpl_layout
from synth import body_parts

RINGS = 5
SEGMENTS = 32
KNEES = (smpl_layout.SMPL_JOINT_NAMES.index("left_knee"),
         smpl_layout.SMPL_JOINT_NAMES.index("right_knee"))
_J = {n: i for i, n in enumerate(smpl_layout.SMPL_JOINT_NAMES)}


class ClothTopology(NamedTuple):
  """The cloth surface's constants.

  Attributes:
    ring_ids: `[SEGMENTS]` body vertices of the waist ring.
    faces: `[F_c, 3]` faces over the cloth's `2·RINGS·SEGMENTS` vertices
      (outer copy first), counter-clockwise seen from their front.
    face_joint: `[F_c]` SMPL joint of each face (for occlusion margins).
    face_nbf: `[F_c]` NBF_12 part of each face.
    rest: `[2·RINGS·SEGMENTS, 3]` rest-pose positions (for solid
      textures): the tube built on the rest template.
  """
  ring_ids: np.ndarray
  faces: np.ndarray
  face_joint: np.ndarray
  face_nbf: np.ndarray
  rest: np.ndarray


def _ring_ids(assets: assets_lib.BodyAssets) -> np.ndarray:
  """Waist vertices, ordered by angle about the vertical axis."""
  v = np.asarray(assets.v_template, np.float64)
  rest = assets.j_regressor @ v
  joint = np.argmax(assets.weights, axis=1)
  torso = np.isin(joint, [_J["pelvis"], _J["spine1"], _J["left_hip"],
                          _J["right_hip"]])
  if not torso.any():
    raise ValueError(f"model {assets.name!r} has no pelvis vertices.")
  y = rest[_J["pelvis"], 1] + 0.3 * (rest[_J["spine1"], 1] -
                                     rest[_J["pelvis"], 1])
  centre = np.array([rest[_J["pelvis"], 0], y, rest[_J["pelvis"], 2]])
  near = torso & (np.abs(v[:, 1] - y) < 0.1)
  pts = v[near] if near.any() else v[torso]
  half_x = max(np.abs(pts[:, 0] - centre[0]).max(), 1e-3)
  half_z = max(np.abs(pts[:, 2] - centre[2]).max(), 1e-3)
  angle = np.linspace(0, 2 * np.pi, SEGMENTS, endpoint=False)
  ideal = centre + np.stack([half_x * np.cos(angle), np.zeros(SEGMENTS),
                             half_z * np.sin(angle)], -1)
  candidates = np.flatnonzero(torso)
  d = np.linalg.norm(v[candidates][None] - ideal[:, None], axis=-1)
  return candidates[np.argmin(d, axis=1)]


def _faces():
  """Quads between consecutive rings, outer copy then reversed inner."""
  quads = []
  for r in range(RINGS - 1):
    for s in range(SEGMENTS):
      a, b = r * SEGMENTS + s, r * SEGMENTS + (s + 1) % SEGMENTS
      c, d = a + SEGMENTS, b + SEGMENTS
      quads += [(a, b, d), (a, d, c)]
  outer = np.array(quads, np.int32)
  inner = outer[:, ::-1] + RINGS * SEGMENTS
  return outer, inner


def build(top: np.ndarray, knees: np.ndarray, length: np.ndarray,
          flare: np.ndarray, enabled: np.ndarray) -> np.ndarray:
  """Cloth vertices `[B, 2·RINGS·SEGMENTS, 3]`.

  Args:
    top: `[B, SEGMENTS, 3]` posed waist-ring vertices.
    knees: `[B, 2, 3]` posed left and right knee joints.
    length: `[B]` hem position, fraction of the way waist → knees.
    flare: `[B]` how much wider the hem is than the waist (fraction).
    enabled: `[B]` bool; disabled images get collapsed (undrawn) cloth.
  """
  centre = top.mean(axis=1, keepdims=True)                   # [B, 1, 3]
  top = centre + (top - centre) * 1.03
  mid = knees.mean(axis=1, keepdims=True)
  hem_centre = centre + length[:, None, None] * (mid - centre)
  down = mid - centre
  down /= np.maximum(np.linalg.norm(down, axis=-1, keepdims=True), 1e-9)
  radial = top - centre
  radial -= np.sum(radial * down, -1, keepdims=True) * down   # ⟂ the axis
  r_top = np.linalg.norm(radial, axis=-1, keepdims=True)
  unit = radial / np.maximum(r_top, 1e-9)
  half_spread = 0.5 * (knees[:, :1] - knees[:, 1:])           # [B, 1, 3]
  need = (np.abs(np.sum(unit * half_spread, -1, keepdims=True)) *
          length[:, None, None] + 0.08)
  r_hem = np.maximum(r_top * (1 + flare[:, None, None]), need)
  rings = []
  for t in np.linspace(0, 1, RINGS):
    ease = 1 - (1 - t) ** 2
    rings.append(centre + t * (hem_centre - centre) +
                 unit * (r_top + ease * (r_hem - r_top)))
  outer = np.concatenate(rings, axis=1)
  out = np.concatenate([outer, outer], axis=1)
  return np.where(enabled[:, None, None], out, centre)


def topology(assets: assets_lib.BodyAssets) -> ClothTopology:
  """The cloth's constants for a model (SMPL's 24 joints)."""
  ring_ids = _ring_ids(assets)
  outer, inner = _faces()
  v = np.asarray(assets.v_template, np.float64)
  rest_joints = assets.j_regressor @ v
  knees = rest_joints[[_J["left_knee"], _J["right_knee"]]][None]
  rest = build(v[ring_ids][None], knees, np.array([1.0]), np.array([0.3]),
               np.array([True]))[0]
  # Orient the outer faces outwards on the rest tube (posing is a proper
  # rotation per vertex neighbourhood, so the winding stays right).
  tri = rest[outer]
  normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
  axis_centre = rest[:SEGMENTS].mean(axis=0)
  outward = np.sum(normal * (tri.mean(axis=1) - axis_centre) *
                   np.array([1, 0, 1]), axis=-1)
  if np.sum(outward < 0) > np.sum(outward > 0):    # (ignoring degenerate)
    outer, inner = outer[:, ::-1], inner[:, ::-1]
  faces = np.concatenate([outer, inner]).astype(np.int32)
  # Labels: the top band is torso, the rest the upper leg of its side.
  ring = (faces.min(axis=1) % (RINGS * SEGMENTS)) // SEGMENTS
  side_x = rest[faces].mean(axis=1)[:, 0]
  leg_joint = np.where(side_x > 0, _J["left_hip"], _J["right_hip"])
  face_joint = np.where(ring == 0, _J["pelvis"], leg_joint).astype(np.int32)
  return ClothTopology(
      ring_ids=ring_ids, faces=faces, face_joint=face_joint,
      face_nbf=body_parts.NBF_OF_SMPL_JOINT[face_joint], rest=rest)
