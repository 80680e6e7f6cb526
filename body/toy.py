"""A tiny deterministic SMPL-format model for tests and examples.

Same 24-joint tree as SMPL, T-pose, y up, facing +z, metres, but the mesh is
one closed box per bone (~400 vertices), so tests run in milliseconds. It has
shape blend shapes (height, girth and smooth random fields), small pose
correctives (to exercise that path) and the face landmarks keypoint sets use.
Nothing here is fitted to people: never use it for accuracy figures.
"""

import functools

import numpy as np

from body import assets as assets_lib
from body import keypoints

# Rest joint locations, roughly SMPL's neutral template (metres).
_JOINTS = np.array([
    [0.00, 0.00, 0.00], [0.06, -0.09, 0.00], [-0.06, -0.09, 0.00],
    [0.00, 0.11, -0.01], [0.10, -0.47, 0.00], [-0.10, -0.47, 0.00],
    [0.00, 0.24, 0.00], [0.08, -0.87, -0.04], [-0.08, -0.87, -0.04],
    [0.00, 0.30, 0.02], [0.12, -0.93, 0.08], [-0.12, -0.93, 0.08],
    [0.00, 0.51, -0.01], [0.07, 0.42, 0.00], [-0.07, 0.42, 0.00],
    [0.00, 0.60, 0.03], [0.18, 0.45, -0.01], [-0.18, 0.45, -0.01],
    [0.44, 0.43, -0.03], [-0.44, 0.43, -0.03], [0.70, 0.44, -0.03],
    [-0.70, 0.44, -0.03], [0.78, 0.43, -0.03], [-0.78, 0.43, -0.03],
])
# Where the bones that end at leaf joints continue to (head top, toes, hands).
_LEAF_TIPS = {15: [0.0, 0.80, 0.03], 10: [0.12, -0.95, 0.16],
              11: [-0.12, -0.95, 0.16], 22: [0.86, 0.43, -0.03],
              23: [-0.86, 0.43, -0.03]}
_HALF_WIDTH = 0.03
_BOX_QUADS = ((0, 1, 2, 3), (4, 7, 6, 5), (0, 4, 5, 1), (1, 5, 6, 2),
              (2, 6, 7, 3), (3, 7, 4, 0))


def _ring(center, direction, half_width):
  """4 corners of a square around `center`, normal to `direction`. [4, 3]"""
  d = direction / np.linalg.norm(direction)
  helper = np.array([0.0, 0.0, 1.0]) if abs(d[2]) < 0.9 else np.array(
      [1.0, 0.0, 0.0])
  u = np.cross(d, helper)
  u /= np.linalg.norm(u)
  v = np.cross(d, u)
  return center + half_width * np.stack([u + v, -u + v, -u - v, u - v])


def _box_faces(offset, corners):
  """12 outward-facing triangles of the box whose 8 corners start at offset."""
  centroid = corners.mean(axis=0)
  faces = []
  for a, b, c, d in _BOX_QUADS:
    for tri in ((a, b, c), (a, c, d)):
      p = corners[list(tri)]
      normal = np.cross(p[1] - p[0], p[2] - p[0])
      if np.dot(normal, p.mean(axis=0) - centroid) < 0:
        tri = (tri[0], tri[2], tri[1])
      faces.append([offset + i for i in tri])
  return faces


@functools.lru_cache(maxsize=None)
def make_assets(num_betas: int = 10) -> assets_lib.BodyAssets:
  """Builds the toy model (cached: the same object for the same arguments)."""
  parents = np.array(keypoints.SMPL_PARENTS)
  num_j = len(parents)
  verts, faces, weight_rows, ring_of_joint = [], [], [], {}
  segments = [(int(parents[j]), j, _JOINTS[parents[j]], _JOINTS[j])
              for j in range(1, num_j)]
  segments += [(j, None, _JOINTS[j], np.array(tip))
               for j, tip in _LEAF_TIPS.items()]
  for parent, child, start, end in segments:
    offset = len(verts)
    direction = end - start
    corners = np.concatenate([_ring(start, direction, _HALF_WIDTH),
                              _ring(end, direction, _HALF_WIDTH)])
    verts.extend(corners)
    faces.extend(_box_faces(offset, corners))
    for i in range(8):
      row = np.zeros(num_j)
      if i >= 4 and child is not None:  # Child end blends across the joint.
        row[parent] = row[child] = 0.5
      else:
        row[parent] = 1.0
      weight_rows.append(row)
    if parent == 0 and child == 3:
      ring_of_joint[0] = list(range(offset, offset + 4))
    if child is not None:
      ring_of_joint[child] = list(range(offset + 4, offset + 8))
  verts = np.array(verts)
  num_v = len(verts)

  j_regressor = np.zeros((num_j, num_v))
  for j, ring in ring_of_joint.items():
    j_regressor[j, ring] = 0.25

  rng = np.random.default_rng(0)
  shapedirs = np.zeros((num_v, 3, num_betas))
  centered = verts - verts.mean(axis=0)
  if num_betas > 0:
    shapedirs[:, 1, 0] = 0.05 * centered[:, 1]           # taller
  if num_betas > 1:
    shapedirs[:, 0, 1] = 0.08 * centered[:, 0]           # wider
    shapedirs[:, 2, 1] = 0.08 * centered[:, 2]
  for k in range(2, num_betas):                          # smooth fields
    freq = rng.normal(size=(3, 3)) * 3.0
    phase = rng.uniform(0, 2 * np.pi, size=3)
    shapedirs[:, :, k] = 0.005 * np.sin(verts @ freq + phase)
  posedirs = 1e-3 * rng.normal(size=(num_v, 3, 9 * (num_j - 1)))

  head_box = [i for i in range(num_v) if weight_rows[i][15] == 1.0]
  hv = verts[head_box]
  pick = lambda score: head_box[int(np.argmax(score))]
  landmarks = {
      "head_top": pick(hv[:, 1]),
      "nose": pick(hv[:, 2] - hv[:, 1]),
      "left_eye": pick(hv[:, 2] + hv[:, 0] + hv[:, 1]),
      "right_eye": pick(hv[:, 2] - hv[:, 0] + hv[:, 1]),
      "left_ear": pick(hv[:, 0] - hv[:, 2] - hv[:, 1]),
      "right_ear": pick(-hv[:, 0] - hv[:, 2] - hv[:, 1]),
  }
  return assets_lib.BodyAssets(
      v_template=verts, shapedirs=shapedirs, posedirs=posedirs,
      j_regressor=j_regressor, weights=np.array(weight_rows),
      parents=parents, faces=np.array(faces), landmarks=landmarks,
      name="toy")
