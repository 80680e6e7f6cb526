"""Training losses of the priors.

Dimensions: B batch, J joints, V vertices, K keypoints, S shape components.
Every function returns a scalar: the mean over the batch (and over joints,
vertices or keypoints where said), so weights carry over between batch sizes
and body models of different resolution.

  * `rotation_matrix_loss`: ‖R̂_j − R_j‖²_F, mean over joints — the parameter
    loss the paper found far better than axis-angle.
  * `axis_angle_loss`: ‖θ̂_j − θ_j‖², mean over joints (the ablation's
    baseline; note θ and −θ' with |θ| + |θ'| = 2π are the same rotation).
  * `vertex_loss`: Σ_v ‖P̂_v − P_v‖² / V (the paper's per-vertex loss,
    averaged over vertices), on the body model's output.
  * `joint_loss`: the same on 3D joints, root-aligned.
  * `reprojection_loss`: confidence-weighted ‖ŵ_k − w_k‖² in normalised crop
    coordinates, mean over keypoints.
  * `camera_loss`, `betas_loss`: squared error on (s, t_x, t_y) and β.
"""

import tensorflow as tf


def _check(a, b, name_a, name_b, rank):
  a = tf.convert_to_tensor(a)
  b = tf.cast(tf.convert_to_tensor(b), a.dtype)
  if a.shape.rank != rank:
    raise ValueError(f"{name_a} must have rank {rank}, got shape "
                     f"{a.shape.as_list()}.")
  if not a.shape.is_compatible_with(b.shape):
    raise ValueError(f"{name_a} and {name_b} must have the same shape, got "
                     f"{a.shape.as_list()} and {b.shape.as_list()}.")
  return a, b


def rotation_matrix_loss(pred_rotmats, gt_rotmats):
  """Mean over batch and joints of ‖R̂ − R‖²_F; inputs `[B, J, 3, 3]`."""
  pred, gt = _check(pred_rotmats, gt_rotmats, "pred_rotmats", "gt_rotmats", 4)
  return tf.reduce_mean(tf.reduce_sum(tf.square(pred - gt), axis=[-2, -1]))


def axis_angle_loss(pred_theta, gt_theta):
  """Mean over batch and joints of ‖θ̂_j − θ_j‖²; inputs `[B, 3J]`."""
  pred, gt = _check(pred_theta, gt_theta, "pred_theta", "gt_theta", 2)
  return 3.0 * tf.reduce_mean(tf.square(pred - gt))


def vertex_loss(pred_vertices, gt_vertices):
  """Mean over batch of Σ_v ‖P̂_v − P_v‖² / V (m²); inputs `[B, V, 3]`."""
  pred, gt = _check(pred_vertices, gt_vertices, "pred_vertices",
                    "gt_vertices", 3)
  return tf.reduce_mean(tf.reduce_sum(tf.square(pred - gt), axis=-1))


def joint_loss(pred_joints, gt_joints, root: int = 0):
  """`vertex_loss` on root-aligned joints `[B, J, 3]` (m²)."""
  pred, gt = _check(pred_joints, gt_joints, "pred_joints", "gt_joints", 3)
  pred = pred - pred[:, root:root + 1]
  gt = gt - gt[:, root:root + 1]
  return tf.reduce_mean(tf.reduce_sum(tf.square(pred - gt), axis=-1))


def reprojection_loss(pred_keypoints, gt_keypoints, confidence=None):
  """Σ_k c_k ‖ŵ_k − w_k‖² / K, mean over batch; keypoints `[B, K, 2]`
  (normalised crop coordinates), confidence `[B, K]` or None."""
  pred, gt = _check(pred_keypoints, gt_keypoints, "pred_keypoints",
                    "gt_keypoints", 3)
  sq = tf.reduce_sum(tf.square(pred - gt), axis=-1)
  if confidence is not None:
    sq = sq * tf.cast(confidence, sq.dtype)
  return tf.reduce_mean(sq)


def camera_loss(pred_camera, gt_camera):
  """Mean over batch of ‖(ŝ, t̂) − (s, t)‖²; inputs `[B, 3]`."""
  pred, gt = _check(pred_camera, gt_camera, "pred_camera", "gt_camera", 2)
  return tf.reduce_mean(tf.reduce_sum(tf.square(pred - gt), axis=-1))


def betas_loss(pred_betas, gt_betas):
  """Mean over batch and components of (β̂ − β)²; inputs `[B, S]`."""
  pred, gt = _check(pred_betas, gt_betas, "pred_betas", "gt_betas", 2)
  return tf.reduce_mean(tf.square(pred - gt))
