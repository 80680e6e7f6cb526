"""Camera roll: the same body seen by a camera turned about its optical axis.

    pelvis = rest_pelvis(assets)                    # [1 + S, 3], once
    rolled = roll_example(arrays, angle, pelvis)    # angle [B] radians

A training example (`priors.data.ARRAY_KEYS`) rolled by α is another exact
example: every image point turns by α about the crop centre (the principal
point, which the normalised keypoints have at 0), i.e. the whole scene turns
by R_z(α) in the camera frame (OpenCV axes: x right, y down, z forward; a
positive α turns x towards y, clockwise on screen). So

  keypoints  k ↦ R₂ k                   (R₂ = R_z's upper-left 2×2 block)
  root       R₀ ↦ R_z R₀                 (θ₀ is in the camera frame)
  camera     (s, t) ↦ (s, R₂ (t + p) − p)
  silhouette turned by α about its centre (nearest neighbour)

where p is the xy of the rest pelvis for the example's β: the body model
turns the body about its pelvis, which it leaves at p, and the
weak-perspective camera maps a model point X to s · (X_xy + t)
(`priors.pose_prior.project_weak_perspective`), so t must absorb R₂ p − p.
The local joint rotations θ₁…θ₂₃ and β are unchanged. Visibility: points
rolled out of [−1, 1]² become 0 (out of frame); points rolled into it
keep their flag, or 2 (visible) if they were out of frame.

The structured sampler's viewpoints keep the camera near upright, so no
training pose is upside down; rolled examples are (a handstand is, in 2D,
a person with raised arms turned by 180°).
"""

import math

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import rotation


def rest_pelvis(assets: assets_lib.BodyAssets) -> np.ndarray:
  """`[1 + S, 3]` float32: the rest pelvis (joint 0) of the mean shape,
  then its change per unit of each of the S shape coefficients."""
  weights = np.asarray(assets.j_regressor[0], np.float64)          # [V]
  mean = weights @ np.asarray(assets.v_template, np.float64)       # [3]
  per_beta = np.einsum("v,vcs->sc", weights,
                       np.asarray(assets.shapedirs, np.float64))   # [S, 3]
  return np.concatenate([mean[None], per_beta]).astype(np.float32)


def _rotate_silhouettes(silhouettes, cos, sin):
  """`[B, H, W]` masks turned like the keypoints (nearest neighbour)."""
  dtype = silhouettes.dtype
  images = tf.cast(silhouettes, tf.float32)[..., None]
  height, width = images.shape[1], images.shape[2]
  cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
  # ImageProjectiveTransform maps each output pixel to the input pixel it
  # reads: the inverse turn, R₂ᵀ, about the centre.
  zeros = tf.zeros_like(cos)
  transforms = tf.stack([
      cos, sin, cx - cos * cx - sin * cy,
      -sin, cos, cy + sin * cx - cos * cy,
      zeros, zeros], axis=1)
  out = tf.raw_ops.ImageProjectiveTransformV3(
      images=images, transforms=transforms,
      output_shape=tf.constant([height, width], tf.int32),
      fill_value=0.0, interpolation="NEAREST", fill_mode="CONSTANT")
  return tf.cast(out[..., 0], dtype)


def rotation_2d(angle):
  """`[B, 2, 2]` R₂ for angles `[B]` (x towards y)."""
  cos, sin = tf.cos(angle), tf.sin(angle)
  return tf.stack([tf.stack([cos, -sin], -1), tf.stack([sin, cos], -1)], -2)


def rotation_z(angle):
  """`[B, 3, 3]` R_z for angles `[B]`: R₂ on x, y, and z kept."""
  cos, sin = tf.cos(angle), tf.sin(angle)
  ones, zeros = tf.ones_like(cos), tf.zeros_like(cos)
  return tf.stack([tf.stack([cos, -sin, zeros], -1),
                   tf.stack([sin, cos, zeros], -1),
                   tf.stack([zeros, zeros, ones], -1)], -2)


def pelvis_xy(pelvis, betas):
  """`[B, 2]` xy of the rest pelvis for shapes `betas` `[B, S]` (`pelvis`
  from `rest_pelvis`)."""
  pelvis = tf.convert_to_tensor(pelvis, tf.float32)
  num_betas = min(int(pelvis.shape[0]) - 1, int(betas.shape[-1]))
  p = pelvis[0] + tf.cast(betas[:, :num_betas],
                          tf.float32) @ pelvis[1:1 + num_betas]
  return p[:, :2]


def roll_camera(camera, r2, pelvis_at):
  """Weak-perspective cameras `[B, 3]` of bodies whose rest pelvis xy is
  `pelvis_at` `[B, 2]`, seen by a camera rolled by R₂ `[B, 2, 2]` (module
  doc)."""
  camera = tf.cast(camera, tf.float32)
  t = tf.einsum("bij,bj->bi", r2, camera[:, 1:] + pelvis_at) - pelvis_at
  return tf.concat([camera[:, :1], t], 1)


def roll_example(arrays, angle, pelvis):
  """`arrays` (a dict of `[B, ...]` tensors, `priors.data.ARRAY_KEYS`) seen
  by a camera rolled by `angle` `[B]` radians (module doc); `pelvis` from
  `rest_pelvis` for the body model that made them."""
  angle = tf.cast(tf.convert_to_tensor(angle), tf.float32)
  if angle.shape.rank != 1:
    raise ValueError(f"angle must have shape [B], got {angle.shape}.")
  r2 = rotation_2d(angle)
  out = dict(arrays)

  keypoints = tf.einsum("bij,bkj->bki", r2, arrays["keypoints"])
  out["keypoints"] = keypoints
  inside = tf.reduce_all(tf.abs(keypoints) <= 1.0, axis=-1)
  visibility = arrays["visibility"]
  out["visibility"] = tf.where(
      inside, tf.where(visibility > 0, visibility,
                       tf.cast(2, visibility.dtype)),
      tf.zeros_like(visibility))

  theta = tf.reshape(arrays["theta"], [-1, 24, 3])
  root = rotation.matrix_to_axis_angle(
      rotation_z(angle) @ rotation.axis_angle_to_matrix(theta[:, 0]))
  out["theta"] = tf.reshape(tf.concat([root[:, None], theta[:, 1:]], 1),
                            [-1, 72])

  out["camera"] = roll_camera(arrays["camera"], r2,
                              pelvis_xy(pelvis, arrays["betas"]))
  out["silhouette"] = _rotate_silhouettes(arrays["silhouette"],
                                          tf.cos(angle), tf.sin(angle))
  return out


def random_angles(batch_size, seed):
  """`[B]` angles uniform in [−π, π)."""
  return tf.random.stateless_uniform([batch_size], seed, -math.pi, math.pi)
