"""Synthetic samples: pose, shape and camera → joints, keypoints, silhouette.

    generator = SampleGenerator(assets, SampleConfig())
    batch = generator.generate(rng, n)        # a SampleBatch of n samples

One sample is a body in a camera frame (OpenCV axes) framed in an S×S crop:

  θ      [72]    axis-angle, the root being the camera-frame orientation
  β      [S_β]   shape
  camera         focal f (px), principal point (px), translation t (m)
  joints3d [24, 3]  the model's joints in the camera frame (m)
  keypoints3d / keypoints2d [K, 3] / [K, 2] for the chosen keypoint set
  visibility [K]  0 = outside the crop, 1 = inside but hidden by the body,
                  2 = visible (COCO's codes)
  silhouette [R, R]  hard mask at R = 64 by default

Steps per batch: sample poses (prior or user pose bank) and reject
implausible ones (`synth/plausibility.py`); sample β; apply a random viewpoint
(`synth/viewpoint.py`); pose the body with `body.lbs` (only the proxy's
vertices and the keypoints' virtual vertices, `reduced_body`); fit the
translation so the body fills the crop (`synth/framing.py`); project;
rasterize the silhouette and the z-buffer at the keypoint pixels
(`synth/raster.py`).

Occlusion: a keypoint inside the crop is hidden when the front-most surface at
its pixel (in the R×R z-buffer) lies clearly in front of it. "Clearly" depends
on whose surface it is. Each face's part is the joint with the largest
skinning weight; a joint keypoint owns the parts of the bones meeting at it
(its own and its parent's; the pelvis also its children's). A joint lies
inside its limb, so its own surface hides it only when more than
`owned_margin` in front (a hip seen through the far side of the pelvis), any
other surface when more than `occlusion_margin` in front (a knee behind the
other leg). A landmark keypoint (nose, eyes, ears, head top) lies on the
surface and owns nothing: any surface more than `landmark_margin` in front
hides it (a nose seen from behind). A joint on a limb that points at the
camera, or seen through its own limb's skin, is therefore visible, as
annotators would mark it. The margins are in metres, for adult bodies; the
toy test body (6 cm thick bones) needs smaller ones.
"""

import dataclasses
import threading
from typing import NamedTuple, Optional
import weakref

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import finite
from body import keypoints as keypoints_lib
from body import lbs
from synth import framing
from synth import part_mix
from synth import plausibility
from synth import pose_bank as pose_bank_lib
from synth import pose_prior
from synth import proxy as proxy_lib
from synth import raster
from synth import shape_prior
from synth import viewpoint

OUT_OF_FRAME, OCCLUDED, VISIBLE = 0, 1, 2

# Per body model: {(kept vertex ids, num_betas): (reduced model, traced
# pose function)}.
_POSE_LOCK = threading.Lock()
_POSE_CACHE = weakref.WeakKeyDictionary()


@dataclasses.dataclass(frozen=True)
class SampleConfig:
  """Everything that defines the distribution of samples.

  Attributes:
    pose: the structured pose prior (ignored with a pose bank).
    shape: the shape sampler.
    view: viewpoint distribution.
    camera: crop camera and framing.
    keypoint_set: name of a set in `body.keypoints` (e.g. "COCO_17").
    silhouette_size: R, side of the silhouette (and occlusion z-buffer).
    plausibility_overlap: largest capsule overlap allowed (see
      `synth/plausibility.py`); 1.0 disables the test.
    occlusion_margin: metres a surface of another body part must lie in
      front of a joint keypoint to hide it.
    owned_margin: the same for the surface of the joint's own bones.
    landmark_margin: the same for surface landmarks (nose, eyes, ears): a
      pixel of the R×R z-buffer spans a few centimetres of body, so the
      surface at a landmark's pixel may lie somewhat in front of it (an ear
      seen from the front) without hiding it.
    mirror_bank_probability: chance of mirroring a pose-bank pose.
    bank_fraction: with a pose bank, the fraction of poses drawn from it;
      the rest come from the structured prior `pose` (a mixture).
    part_mix: fraction of the drawn poses whose parts (legs, arms, spine)
      are recombined with those of other poses of the draw
      (`synth/part_mix.py`); they keep the receiving pose's family.
    proxy_cell: clustering cell (metres) of the coarse surface used for the
      silhouette, the occlusion z-buffer and the framing box
      (`synth/proxy.py`); 0 uses the full mesh.
  """
  pose: pose_prior.PosePriorConfig = pose_prior.PosePriorConfig()
  shape: shape_prior.ShapePriorConfig = shape_prior.ShapePriorConfig()
  view: viewpoint.ViewpointConfig = viewpoint.ViewpointConfig()
  camera: framing.CameraConfig = framing.CameraConfig()
  keypoint_set: str = "COCO_17"
  silhouette_size: int = 64
  proxy_cell: float = 0.03
  plausibility_overlap: float = 0.5
  occlusion_margin: float = 0.03
  owned_margin: float = 0.15
  landmark_margin: float = 0.06
  mirror_bank_probability: float = 0.5
  bank_fraction: float = 1.0
  part_mix: float = 0.0

  def __post_init__(self):
    finite.check_fields(self)
    keypoints_lib.get(self.keypoint_set)     # Raises on an unknown name.
    if self.silhouette_size <= 0:
      raise ValueError(
          f"silhouette_size must be positive, got {self.silhouette_size}.")
    if min(self.occlusion_margin, self.owned_margin,
           self.landmark_margin) < 0:
      raise ValueError("occlusion margins must be ≥ 0.")
    if self.plausibility_overlap < 0:
      raise ValueError("plausibility_overlap must be ≥ 0.")
    if not 0.0 <= self.bank_fraction <= 1.0:
      raise ValueError(
          f"bank_fraction must be in [0, 1], got {self.bank_fraction}.")
    if not 0.0 <= self.part_mix <= 1.0:
      raise ValueError(f"part_mix must be in [0, 1], got {self.part_mix}.")


@dataclasses.dataclass(frozen=True)
class SampleBatch:
  """A batch of B samples (NumPy arrays; see the module docstring).

  Attributes:
    theta: `[B, 72]` float32.
    betas: `[B, S]` float32.
    family: `[B]` int32 index into `pose_prior.FAMILIES`, -1 for bank poses.
    focal: `[B]` float32, pixels.
    principal_point: `[B, 2]` float32, pixels.
    transl: `[B, 3]` float32, metres (the body model's output + transl).
    joints3d: `[B, 24, 3]` float32, camera frame, metres.
    keypoints3d: `[B, K, 3]` float32, camera frame, metres.
    keypoints2d: `[B, K, 2]` float32, pixels of the S×S crop.
    visibility: `[B, K]` uint8: OUT_OF_FRAME, OCCLUDED or VISIBLE.
    silhouette: `[B, R, R]` bool.
  """
  theta: np.ndarray
  betas: np.ndarray
  family: np.ndarray
  focal: np.ndarray
  principal_point: np.ndarray
  transl: np.ndarray
  joints3d: np.ndarray
  keypoints3d: np.ndarray
  keypoints2d: np.ndarray
  visibility: np.ndarray
  silhouette: np.ndarray

  def __len__(self):
    return self.theta.shape[0]

  @staticmethod
  def concatenate(batches) -> "SampleBatch":
    fields = [f.name for f in dataclasses.fields(SampleBatch)]
    return SampleBatch(**{
        k: np.concatenate([getattr(b, k) for b in batches]) for k in fields})


def face_parts(assets: assets_lib.BodyAssets) -> np.ndarray:
  """`[F]` the joint with the largest summed skinning weight of each face."""
  return np.argmax(assets.weights[assets.faces].sum(axis=1), axis=1).astype(
      np.int32)


def keypoint_owned_parts(assets: assets_lib.BodyAssets,
                         kset: keypoints_lib.KeypointSet) -> np.ndarray:
  """`[K, J]` bool: which face parts count as a keypoint's own surface."""
  parents = assets.parents
  own = np.zeros((kset.size, assets.num_joints), dtype=bool)
  for k, src in enumerate(kset.sources):
    if src in keypoints_lib.SMPL_JOINT_NAMES:
      j = keypoints_lib.SMPL_JOINT_NAMES.index(src)
      own[k, j] = True
      if parents[j] >= 0:
        own[k, parents[j]] = True
      else:
        own[k, np.flatnonzero(parents == j)] = True
    # A landmark lies on the surface: it owns no part and is hidden by any
    # surface more than the margin in front of it.
  return own


class ReducedBody(NamedTuple):
  """`reduced_body`'s result.

  Attributes:
    assets: the reduced model (no faces): rows 0 … U−1 are the kept vertices,
      then J virtual vertices (the joints), then P virtual vertices for the
      keypoints (none without a keypoint regressor).
    vertex_ids: `[U]` the kept vertices: row i < U is vertex `vertex_ids[i]`.
    keypoint_regressor: `[K, U + J + P]` float: the keypoints from the
      reduced model's posed rows (None without a keypoint regressor).
  """
  assets: assets_lib.BodyAssets
  vertex_ids: np.ndarray
  keypoint_regressor: Optional[np.ndarray]


def keypoint_virtual_vertices(assets: assets_lib.BodyAssets,
                              regressor: np.ndarray, tol: float = 1e-9):
  """Few virtual vertices from which a linear keypoint regressor's keypoints
  follow exactly.

  A keypoint is k = Σ_v r_kv · Σ_j w_vj · G_j [x_v; 1] (x_v the shaped and
  pose-corrected rest vertex, G_j joint j's 3×4 skinning transform), that is
  Σ_j G_j [u_kj; c_kj] with u_kj = Σ_v r_kv w_vj x_v and c_kj = Σ_v r_kv w_vj.
  u_kj is linear in β and in the pose correctives, like a vertex, so a
  virtual vertex at u_kj / c_kj, skinned to joint j alone and weighted by
  c_kj, carries joint j's share of keypoint k. The products r_kv·w_vj are
  split by sign first (two vertices per pair where both signs occur), so
  c_kj = 0 implies u_kj = 0 and any regressor is exact. P ≈ #{(k, j):
  c_kj ≠ 0} virtual vertices replace the regressor's support (a
  joint-keypoint is regressed from ~100 vertices of several parts).

  Args:
    assets: the model.
    regressor: `[K, V]` keypoints from posed vertices (`body.keypoints.
      regressor`).
    tol: pairs whose summed products are ≤ tol are dropped (they carry
      < tol times the body's extent).

  Returns:
    (rows, combine): `rows` a dict of the P virtual vertices' `v_template`
    `[P, 3]`, `shapedirs` `[P, 3, S]`, `posedirs` `[P, 3, 9(J−1)]` (or None)
    and one-hot `weights` `[P, J]`; `combine` `[K, P]` the keypoints from
    their posed positions.

  Raises:
    ValueError: for a regressor of the wrong shape.
  """
  regressor = np.asarray(regressor, np.float64)
  if regressor.ndim != 2 or regressor.shape[1] != assets.num_vertices:
    raise ValueError(f"regressor must have shape [K, {assets.num_vertices}],"
                     f" got {regressor.shape}.")
  share = np.einsum("kv,vj->kjv", regressor, assets.weights)   # [K, J, V]
  mixes, joints, columns = [], [], []
  for sign in (1.0, -1.0):
    part = np.maximum(sign * share, 0.0)                      # [K, J, V]
    coeff = part.sum(axis=2)                                   # [K, J]
    pairs = np.argwhere(coeff > tol)                           # [P±, 2]
    pair_coeff = coeff[pairs[:, 0], pairs[:, 1]]               # [P±]
    mixes.append(part[pairs[:, 0], pairs[:, 1]] / pair_coeff[:, None])
    joints.append(pairs[:, 1])
    columns.append((pairs[:, 0], sign * pair_coeff))
  mix = np.concatenate(mixes)                                  # [P, V]
  rows = {
      "v_template": mix @ assets.v_template,
      "shapedirs": np.einsum("pv,vcs->pcs", mix, assets.shapedirs),
      "posedirs": None if assets.posedirs is None else np.einsum(
          "pv,vcs->pcs", mix, assets.posedirs),
      "weights": np.eye(assets.num_joints)[np.concatenate(joints)],
  }
  combine = np.zeros((len(regressor), len(mix)))
  combine[np.concatenate([k for k, _ in columns]), np.arange(len(mix))] = (
      np.concatenate([c for _, c in columns]))
  return rows, combine


def reduced_body(assets: assets_lib.BodyAssets, vertex_ids: np.ndarray,
                 keypoint_regressor: Optional[np.ndarray] = None
                 ) -> ReducedBody:
  """The model restricted to some vertices, with exact joints (and
  keypoints).

  Posed vertices depend only on their own rows of the model, but the joints
  are regressed from every vertex. The reduced model keeps the rows of
  `vertex_ids` and appends J virtual vertices whose rest position and shape
  blend shapes are the joints' (J̄ = R·T̄, R·S), with a one-hot regressor
  onto them, so `lbs` gives the same joints as for the full model. With a
  `keypoint_regressor` `[K, V]` it also appends the virtual vertices of
  `keypoint_virtual_vertices`, so the keypoints are exact too.

  Args:
    assets: the model.
    vertex_ids: `[U]` sorted unique vertex indices to keep.
    keypoint_regressor: None, or `[K, V]` keypoints from posed vertices.

  Returns:
    A ReducedBody.
  """
  vertex_ids = np.asarray(vertex_ids, np.int64)
  num_u, num_j = len(vertex_ids), assets.num_joints
  reg = assets.j_regressor
  parts = {
      "v_template": [assets.v_template[vertex_ids], reg @ assets.v_template],
      "shapedirs": [assets.shapedirs[vertex_ids],
                    np.einsum("jv,vcs->jcs", reg, assets.shapedirs)],
      "posedirs": None if assets.posedirs is None else [
          assets.posedirs[vertex_ids],
          np.zeros((num_j,) + assets.posedirs.shape[1:])],
      "weights": [assets.weights[vertex_ids], np.eye(num_j)],
  }
  combine = None
  if keypoint_regressor is not None:
    rows, combine = keypoint_virtual_vertices(assets, keypoint_regressor)
    for name, part in parts.items():
      if part is not None:
        part.append(rows[name])
    combine = np.concatenate(
        [np.zeros((len(combine), num_u + num_j)), combine], axis=1)
  num_rows = sum(len(p) for p in parts["v_template"])
  reduced = assets_lib.BodyAssets(
      v_template=np.concatenate(parts["v_template"]),
      shapedirs=np.concatenate(parts["shapedirs"]),
      posedirs=None if parts["posedirs"] is None else np.concatenate(
          parts["posedirs"]),
      j_regressor=np.concatenate(
          [np.zeros((num_j, num_u)), np.eye(num_j),
           np.zeros((num_j, num_rows - num_u - num_j))], axis=1),
      weights=np.concatenate(parts["weights"]),
      parents=assets.parents,
      faces=np.zeros((0, 3), np.int32),
      name=f"{assets.name} ({num_u} of {assets.num_vertices} vertices)")
  return ReducedBody(reduced, vertex_ids, combine)


class SampleGenerator:
  """Draws SampleBatches for one body model and configuration.

  Holds only constants derived from the model (rest skeleton, keypoint
  regressor, face parts); every call is a pure function of its `rng`.
  """

  def __init__(self, assets: assets_lib.BodyAssets, config: SampleConfig,
               pose_bank: Optional[pose_bank_lib.PoseBank] = None):
    if config.shape.num_betas > assets.num_betas:
      raise ValueError(
          f"config.shape.num_betas = {config.shape.num_betas} but model "
          f"{assets.name!r} has {assets.num_betas} shape components.")
    self.assets = assets
    self.config = config
    self.pose_bank = pose_bank
    self.keypoint_set = keypoints_lib.get(config.keypoint_set)
    rest = assets.j_regressor @ assets.v_template
    self._rest_joints = rest - rest[0]
    self._proxy = proxy_lib.make_proxy(assets, config.proxy_cell)
    # Parts of the proxy's faces: a proxy vertex is a full-mesh vertex.
    self._face_parts = np.argmax(
        assets.weights[self._proxy.vertex_ids][self._proxy.faces].sum(axis=1),
        axis=1).astype(np.int32)
    self._own = keypoint_owned_parts(assets, self.keypoint_set)
    self._margin = np.array(
        [config.occlusion_margin if src in keypoints_lib.SMPL_JOINT_NAMES
         else config.landmark_margin for src in self.keypoint_set.sources])
    self._owned_margin = config.owned_margin
    self._faces = self._proxy.faces
    # Only the proxy's vertices and the keypoints are ever read: pose the
    # proxy's rows and the keypoints' virtual vertices (`reduced_body`).
    # Tracing costs ~0.7 s: generators of one model share their function.
    key = (self._proxy.vertex_ids.tobytes(), self.keypoint_set.name,
           config.shape.num_betas)
    with _POSE_LOCK:
      per_model = _POSE_CACHE.setdefault(assets, {})
      if key not in per_model:
        reduced = reduced_body(
            assets, self._proxy.vertex_ids,
            keypoints_lib.regressor(assets, self.keypoint_set))

        @tf.function(input_signature=[
            tf.TensorSpec([None, config.shape.num_betas], tf.float32),
            tf.TensorSpec([None, 3 * assets.num_joints], tf.float32)])
        def pose_body(betas, theta):
          out = lbs.forward_axis_angle(reduced.assets, betas, theta)
          return out.vertices, out.joints

        per_model[key] = (reduced, pose_body)
      reduced, self._pose_body = per_model[key]
    # The keypoints from the reduced rows (its weights sum to 1 per keypoint,
    # so a translation of the rows translates the keypoints).
    self._kp_regressor = reduced.keypoint_regressor

  def sample_poses(self, rng: np.random.Generator, n: int):
    """`n` plausible body poses `[n, 72]` (root in the SMPL world) and their
    families `[n]` (-1 for bank poses)."""
    thetas, families, have = [], [], 0
    for _ in range(50):
      want = max(n - have, 0)
      if want == 0:
        break
      m = int(np.ceil(want * 1.15)) + 4
      theta, family = self._draw_poses(rng, m)
      if self.config.plausibility_overlap < 1.0:
        ok = plausibility.is_plausible(theta, self._rest_joints,
                                       self.assets.parents,
                                       self.config.plausibility_overlap)
        theta, family = theta[ok], family[ok]
      thetas.append(theta)
      families.append(family)
      have += len(theta)
    theta = np.concatenate(thetas)[:n]
    family = np.concatenate(families)[:n]
    if len(theta) < n:
      raise RuntimeError(
          f"only {len(theta)} of {n} poses passed the plausibility test; "
          f"raise plausibility_overlap or check the pose bank.")
    return theta, family

  def _draw_poses(self, rng: np.random.Generator, m: int):
    """`m` poses before the plausibility test: the prior's, the bank's, or
    (0 < bank_fraction < 1) a mixture; family -1 marks bank poses."""
    fraction = 0.0 if self.pose_bank is None else self.config.bank_fraction
    if fraction >= 1.0:
      theta = self.pose_bank.sample(rng, m,
                                    self.config.mirror_bank_probability)
      family = np.full(m, -1)
    else:
      theta, family = pose_prior.sample_poses(rng, m, self.config.pose)
    if 0.0 < fraction < 1.0:
      use = rng.uniform(size=m) < fraction
      theta[use] = self.pose_bank.sample(
          rng, int(use.sum()), self.config.mirror_bank_probability)
      family[use] = -1
    if self.config.part_mix > 0.0:
      theta, _ = part_mix.mix_parts(rng, theta, self.config.part_mix)
    return theta, family

  def generate(self, rng: np.random.Generator, n: int) -> SampleBatch:
    """Draws `n` samples; a pure function of `rng`'s state."""
    cfg = self.config
    theta_body, family = self.sample_poses(rng, n)
    betas = shape_prior.sample_betas(rng, n, cfg.shape)
    view = viewpoint.sample_view_rotations(rng, n, cfg.view)
    scale, shift = framing.sample_framing(rng, n, cfg.camera)
    theta = viewpoint.apply_view(theta_body, view).astype(np.float32)
    betas = betas.astype(np.float32)
    return self.render(theta, betas, scale, shift, family)

  def render(self, theta: np.ndarray, betas: np.ndarray, scale: np.ndarray,
             shift: np.ndarray, family: Optional[np.ndarray] = None
             ) -> SampleBatch:
    """Poses, frames and projects given parameters (deterministic).

    Args:
      theta: `[B, 72]` camera-frame poses.
      betas: `[B, S]` shapes.
      scale: `[B]` box size as a fraction of the crop (see `framing`).
      shift: `[B, 2]` box centre offset as a fraction of the crop.
      family: optional `[B]` family ids to carry along.
    """
    cfg = self.config
    n = theta.shape[0]
    verts, joints = self._pose_body(tf.constant(betas, tf.float32),
                                    tf.constant(theta, tf.float32))
    verts = verts.numpy().astype(np.float64)
    joints = joints.numpy().astype(np.float64)
    surface = verts[:, :len(self._proxy.vertex_ids)]
    transl = framing.fit_translation(surface, cfg.camera, scale, shift)
    joints += transl[:, None]
    surface += transl[:, None]
    kp3d = self._kp_regressor @ verts + transl[:, None]
    cam = cfg.camera
    size = cam.image_size
    kp2d = framing.project(kp3d, cam.focal_length, cam.principal_point)
    # The silhouette camera: the same view at resolution R.
    res = cfg.silhouette_size
    ratio = res / size
    screen = np.concatenate([
        framing.project(surface, cam.focal_length * ratio, 0.5 * (res - 1)),
        surface[..., 2:]], axis=-1)
    query = np.round((kp2d + 0.5) * ratio - 0.5).astype(np.int64)
    ras = raster.rasterize(screen, self._faces, res, res, queries=query)
    in_frame = np.all((kp2d >= -0.5) & (kp2d < size - 0.5), axis=-1) & (
        kp3d[..., 2] > 0)
    part = self._face_parts[np.maximum(ras.query_face, 0)]        # [B, K]
    owned = np.take_along_axis(
        np.broadcast_to(self._own, (n,) + self._own.shape),
        part[..., None], axis=2)[..., 0]
    margin = np.where(owned, self._owned_margin, self._margin)
    hidden = ((ras.query_face >= 0) &
              (ras.query_depth < kp3d[..., 2] - margin))
    visibility = np.where(in_frame, np.where(hidden, OCCLUDED, VISIBLE),
                          OUT_OF_FRAME).astype(np.uint8)
    if family is None:
      family = np.full(n, -1)
    return SampleBatch(
        theta=theta.astype(np.float32),
        betas=betas.astype(np.float32),
        family=family.astype(np.int32),
        focal=np.full(n, cam.focal_length, np.float32),
        principal_point=np.full((n, 2), cam.principal_point, np.float32),
        transl=transl.astype(np.float32),
        joints3d=joints.astype(np.float32),
        keypoints3d=kp3d.astype(np.float32),
        keypoints2d=kp2d.astype(np.float32),
        visibility=visibility,
        silhouette=ras.mask)
