"""Differentiable SMPL-format linear blend skinning, as a pure function.

    output = forward(assets, betas, pose, transl)

Shapes (B batch, V vertices, J joints, S shape components):
  betas  [B, S'] with S' ≤ S (the first S' components are used, as in SMPL)
  pose   [B, J, 3, 3] rotation matrices, each relative to its parent and
         expressed in the rest-pose axes (the SMPL convention)
  transl [B, 3] or None
  output.vertices [B, V, 3], output.joints [B, J, 3] (metres)

The steps follow Loper et al. 2015, with the joints computed from the shape
space directly (J(β) = J̄ + β·(R·S), an exact rewrite of R·(T̄ + S·β) that
skips a [J, V] × [V, 3] product per sample):

  1. v_shaped = T̄ + S·β                            [B, V, 3]
  2. J        = R·v_shaped                         [B, J, 3]
  3. v_posed  = v_shaped + P·vec(R_1..J-1 − I)      [B, V, 3]  (if posedirs)
  4. world transforms G_j = G_parent · [R_j | J_j − J_parent], one tree level
     at a time (9 levels for SMPL instead of 24 sequential joints)
  5. skinning: v = Σ_j w_vj · G_j · [I | −J_j] · v_posed + transl, as one
     [V, J] × [J, 12·B] product (the blended 3×4 matrices) and one
     contiguous multiply-add, with all vertex data kept vertex-major

The forward pass creates no variables and keeps no state other than a cache
of each model's constant tensors (per model object and dtype), so it runs
eagerly, inside `tf.function` (with or without XLA) and under GradientTape,
for any batch size.
"""

import threading
from typing import NamedTuple, Optional
import weakref

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import rotation


class BodyOutput(NamedTuple):
  """The posed body.

  Attributes:
    vertices: `[B, V, 3]` posed vertices (metres, transl applied).
    joints: `[B, J, 3]` posed joint locations (metres, transl applied).
  """
  vertices: tf.Tensor
  joints: tf.Tensor


class _ModelConstants(NamedTuple):
  """A model's arrays, pre-arranged for the forward pass, as tensors.

  Vertex quantities are vertex-major (`[V*3, ·]`) so that every step over the
  vertices is one plain matrix product or a contiguous elementwise op.
  """
  v_template: tf.Tensor     # [V*3, 1]
  shapedirs: tf.Tensor      # [V*3, S]
  j_template: tf.Tensor     # [J, 3]
  j_shapedirs: tf.Tensor    # [S, J*3]
  posedirs: Optional[tf.Tensor]  # [V*3, P]
  weights: tf.Tensor        # [V, J]


def _tree_levels(parents: np.ndarray):
  """Joints grouped by depth; each group's parents are in earlier groups."""
  depth = np.zeros(len(parents), dtype=np.int64)
  for j in range(1, len(parents)):
    depth[j] = depth[parents[j]] + 1
  return [np.flatnonzero(depth == d) for d in range(1, depth.max() + 1)]


_CACHE_LOCK = threading.Lock()
_CACHE = weakref.WeakKeyDictionary()


def _constants(assets: assets_lib.BodyAssets, dtype) -> _ModelConstants:
  """Returns (and caches per model and dtype) the model's constant tensors."""
  key = tf.as_dtype(dtype).name
  with _CACHE_LOCK:
    per_model = _CACHE.setdefault(assets, {})
    if key in per_model:
      return per_model[key]
  v, s = assets.num_vertices, assets.num_betas
  np_dtype = tf.as_dtype(dtype).as_numpy_dtype
  j_template = assets.j_regressor @ assets.v_template
  j_shapedirs = np.einsum("jv,vcs->scj", assets.j_regressor,
                          assets.shapedirs).transpose(0, 2, 1)
  with tf.init_scope():  # Eager constants even when first called in a graph.
    posedirs = None
    if assets.posedirs is not None and np.any(assets.posedirs):
      posedirs = tf.constant(
          assets.posedirs.reshape(v * 3, -1).astype(np_dtype))
    consts = _ModelConstants(
        v_template=tf.constant(
            assets.v_template.reshape(-1, 1).astype(np_dtype)),
        shapedirs=tf.constant(
            assets.shapedirs.reshape(v * 3, s).astype(np_dtype)),
        j_template=tf.constant(j_template.astype(np_dtype)),
        j_shapedirs=tf.constant(
            j_shapedirs.reshape(s, -1).astype(np_dtype)),
        posedirs=posedirs,
        weights=tf.constant(assets.weights.astype(np_dtype)),
    )
  with _CACHE_LOCK:
    _CACHE[assets][key] = consts
  return consts


def _check_inputs(assets, betas, pose, transl):
  """Static shape checks with messages that name the offending tensor."""
  num_j = assets.num_joints
  if betas.shape.rank != 2:
    raise ValueError(
        f"betas must have shape [B, S], got {betas.shape.as_list()}.")
  if betas.shape[1] is not None and betas.shape[1] > assets.num_betas:
    raise ValueError(
        f"betas has {betas.shape[1]} components but model {assets.name!r} "
        f"has only {assets.num_betas}.")
  if pose.shape.rank != 4 or pose.shape[1:].as_list() not in (
      [num_j, 3, 3],):
    raise ValueError(
        f"pose must have shape [B, {num_j}, 3, 3] (rotation matrices), got "
        f"{pose.shape.as_list()}. Use forward_axis_angle for [B, "
        f"{3 * num_j}] axis-angle θ.")
  if transl is not None and (transl.shape.rank != 2 or
                             transl.shape[1] not in (None, 3)):
    raise ValueError(
        f"transl must have shape [B, 3], got {transl.shape.as_list()}.")
  batches = {t.shape[0] for t in (betas, pose, transl)
             if t is not None and t.shape[0] is not None}
  if len(batches) > 1:
    raise ValueError(
        f"betas, pose and transl must share the batch size, got "
        f"{sorted(batches)}.")


def _finite(tensor, name: str, check: bool):
  """`tensor`, checked for NaN / Inf when it is run if `check`."""
  if not check or tensor is None:
    return tensor
  return tf.debugging.assert_all_finite(
      tensor, f"lbs: {name} contains NaN or Inf; every output of a sample "
      f"with a non-finite input is non-finite.")


def forward(assets: assets_lib.BodyAssets, betas, pose, transl=None,
            check_finite: bool = False) -> BodyOutput:
  """Poses and shapes the body model.

  Args:
    assets: the model.
    betas: A tensor of shape `[B, S']`, S' ≤ assets.num_betas.
    pose: A tensor of shape `[B, J, 3, 3]`: rotation matrices, the root's
      (global orientation) first.
    transl: None or a tensor of shape `[B, 3]` added to every output point.
    check_finite: check that betas, pose and transl hold no NaN or Inf
      (raising InvalidArgumentError that names the input when run). Without
      it a non-finite input gives non-finite outputs for its own sample
      only; other samples of the batch are unaffected.

  Returns:
    BodyOutput with vertices `[B, V, 3]` and joints `[B, J, 3]`, in the dtype
    of `pose` (float32 or float64; half-precision and integer poses are
    computed and returned in float32).

  Raises:
    ValueError: on shapes that do not fit the model.
  """
  pose = tf.convert_to_tensor(pose)
  if not pose.dtype.is_floating or pose.dtype in (tf.float16, tf.bfloat16):
    pose = tf.cast(pose, tf.float32)
  dtype = pose.dtype
  betas = tf.cast(tf.convert_to_tensor(betas), dtype)
  if transl is not None:
    transl = tf.cast(tf.convert_to_tensor(transl), dtype)
  _check_inputs(assets, betas, pose, transl)
  pose = _finite(pose, "pose", check_finite)
  betas = _finite(betas, "betas", check_finite)
  transl = _finite(transl, "transl", check_finite)
  c = _constants(assets, dtype)
  num_v, num_j = assets.num_vertices, assets.num_joints
  num_b = tf.shape(betas)[1]

  # 1-2. Shape: vertices and joints are linear in β.    [V*3, B], [B, J, 3]
  v_shaped = c.v_template + tf.matmul(c.shapedirs[:, :num_b], betas,
                                      transpose_b=True)
  joints_rest = c.j_template + tf.reshape(
      tf.matmul(betas, c.j_shapedirs[:num_b]), [-1, num_j, 3])

  # 3. Pose correctives from the flattened (R_j − I), j ≥ 1.         [V*3, B]
  if c.posedirs is not None:
    pose_feature = tf.reshape(pose[:, 1:] - tf.eye(3, dtype=dtype),
                              [-1, 9 * (num_j - 1)])
    v_shaped = v_shaped + tf.matmul(c.posedirs, pose_feature,
                                    transpose_b=True)

  # 4. Forward kinematics, one tree level at a time.
  parents = assets.parents
  rel_t = joints_rest - tf.gather(joints_rest, np.maximum(parents, 0), axis=1)
  rel_t = tf.concat([joints_rest[:, :1], rel_t[:, 1:]], axis=1)   # [B, J, 3]
  rot_parts = {0: pose[:, 0]}                                      # [B, 3, 3]
  trans_parts = {0: rel_t[:, 0]}                                   # [B, 3]
  for level in _tree_levels(parents):
    par = parents[level]
    par_rot = tf.stack([rot_parts[int(p)] for p in par], axis=1)   # [B, L, 3, 3]
    par_t = tf.stack([trans_parts[int(p)] for p in par], axis=1)   # [B, L, 3]
    rot = tf.matmul(par_rot, tf.gather(pose, level, axis=1))
    trans = par_t + tf.linalg.matvec(par_rot, tf.gather(rel_t, level, axis=1))
    for i, j in enumerate(level):
      rot_parts[int(j)] = rot[:, i]
      trans_parts[int(j)] = trans[:, i]
  world_rot = tf.stack([rot_parts[j] for j in range(num_j)], axis=1)
  world_t = tf.stack([trans_parts[j] for j in range(num_j)], axis=1)

  # 5. Skinning with G_j·[I | −J_j]: blend the 3×4 matrices of the joints
  # with one [V, J] × [J, 12·B] product, then apply them to [v; 1].
  skin_t = world_t - tf.linalg.matvec(world_rot, joints_rest)      # [B, J, 3]
  per_joint = tf.concat([world_rot, skin_t[..., None]], axis=3)    # [B, J, 3, 4]
  per_joint = tf.reshape(tf.transpose(per_joint, [1, 2, 3, 0]),
                         [num_j, -1])                              # [J, 12·B]
  blended = tf.reshape(tf.matmul(c.weights, per_joint),
                       [num_v, 3, 4, -1])                          # [V, 3, 4, B]
  v_posed = tf.reshape(v_shaped, [num_v, 3, -1])                   # [V, 3, B]
  homogeneous = tf.concat([v_posed, tf.ones_like(v_posed[:, :1])], axis=1)
  vertices = tf.reduce_sum(blended * homogeneous[:, None], axis=2)  # [V, 3, B]
  vertices = tf.transpose(vertices, [2, 0, 1])                     # [B, V, 3]

  joints = world_t
  if transl is not None:
    vertices = vertices + transl[:, None, :]
    joints = joints + transl[:, None, :]
  return BodyOutput(vertices=vertices, joints=joints)


def forward_axis_angle(assets: assets_lib.BodyAssets, betas, theta,
                       transl=None, check_finite: bool = False) -> BodyOutput:
  """`forward` with θ in SMPL's axis-angle layout.

  Args:
    assets: the model.
    betas: A tensor of shape `[B, S']`.
    theta: A tensor of shape `[B, 3 * J]` (72 for SMPL): per joint an
      axis-angle vector, the global orientation first.
    transl: None or a tensor of shape `[B, 3]`.
    check_finite: as `forward` (for theta, betas and transl).

  Returns:
    BodyOutput, as `forward`. θ of any size gives finite outputs (up to the
    largest float of its dtype).
  """
  theta = tf.convert_to_tensor(theta)
  if not theta.dtype.is_floating:
    theta = tf.cast(theta, tf.float32)
  num_j = assets.num_joints
  if theta.shape.rank != 2 or theta.shape[1] not in (None, 3 * num_j):
    raise ValueError(
        f"theta must have shape [B, {3 * num_j}] (axis-angle per joint), got "
        f"{theta.shape.as_list()}.")
  theta = _finite(theta, "theta", check_finite)
  pose = rotation.axis_angle_to_matrix(tf.reshape(theta, [-1, num_j, 3]))
  return forward(assets, betas, pose, transl, check_finite)
