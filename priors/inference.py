"""Both priors as one stage: keypoints + silhouette → θ, β, camera, mesh.

    priors = inference.Priors.from_pretrained()      # shipped weights
    out = priors(keypoints_px, confidence, silhouette)

Dimensions: B batch, K keypoints, V vertices, R×R silhouette.
"""

from typing import NamedTuple, Optional, Sequence, Tuple

import tensorflow as tf

from body import assets as assets_lib
from body import bundled
from body import keypoints as keypoints_lib
from body import lbs
from priors import pose_prior as pose_prior_lib
from priors import pretrained
from priors import shape_prior as shape_prior_lib


class PriorsOutput(NamedTuple):
  """What the priors predict (TensorFlow tensors).

  Attributes:
    theta: `[B, 72]` axis-angle θ, root in the camera frame (OpenCV axes).
    rotmats: `[B, 24, 3, 3]` the same as rotation matrices.
    betas: `[B, S]`.
    camera: `[B, 3]` weak perspective (s, t_x, t_y): a model point X lands
      at s · (X_xy + t) in normalised crop coordinates ([−1, 1]).
    vertices: `[B, V, 3]` the posed mesh, metres, without translation.
    joints: `[B, 24, 3]` its joints.
  """
  theta: tf.Tensor
  rotmats: tf.Tensor
  betas: tf.Tensor
  camera: tf.Tensor
  vertices: tf.Tensor
  joints: tf.Tensor


class Priors:
  """A PosePrior, a ShapePrior and the body model they were trained with.

  With `keypoint_flip_pairs` (the keypoint set's left/right pairs) the
  PosePrior runs as `pose_prior.flip_averaged` (the flip test); without, once.
  """

  def __init__(self, pose_model: pose_prior_lib.PosePrior,
               shape_model: shape_prior_lib.ShapePrior,
               assets: assets_lib.BodyAssets, crop_size: int = 256,
               keypoint_flip_pairs: Optional[
                   Sequence[Tuple[int, int]]] = None):
    self.pose_model = pose_model
    self.shape_model = shape_model
    self.assets = assets
    self.crop_size = crop_size
    self.keypoint_flip_pairs = keypoint_flip_pairs

  @classmethod
  def from_pretrained(cls, pose_weights: Optional[str] = None,
                      shape_weights: Optional[str] = None,
                      assets: Optional[assets_lib.BodyAssets] = None,
                      flip_test: bool = True) -> "Priors":
    """The shipped (or given) weights, with the bundled body model."""
    kset = keypoints_lib.get(pretrained.keypoint_set(pose_weights))
    return cls(pretrained.load_pose_prior(pose_weights),
               pretrained.load_shape_prior(shape_weights),
               assets or bundled.load(),
               keypoint_flip_pairs=kset.flip_pairs if flip_test else None)

  def __call__(self, keypoints_px, confidence, silhouette) -> PriorsOutput:
    """Runs both priors.

    Args:
      keypoints_px: `[B, K, 2]` keypoints in pixels of the S×S crop; a
        keypoint with a non-finite coordinate counts as missing.
      confidence: `[B, K]` in [0, 1] (0 or NaN = missing: the keypoint's
        coordinates are ignored, whatever their values).
      silhouette: `[B, R, R]` in [0, 1], finite.

    Raises:
      ValueError: a shape that does not fit the priors, or a silhouette
        with NaN or Inf (InvalidArgumentError inside `tf.function`).
    """
    silhouette = tf.convert_to_tensor(silhouette)
    message = "silhouette must be finite (values in [0, 1])"
    if tf.executing_eagerly():
      bad = int(tf.reduce_sum(tf.cast(
          ~tf.math.is_finite(tf.cast(silhouette, tf.float32)), tf.int32)))
      if bad:
        raise ValueError(f"{message}; got {bad} NaN or infinite pixels.")
    else:
      silhouette = tf.debugging.assert_all_finite(
          tf.cast(silhouette, tf.float32), message)
    keypoints = pose_prior_lib.normalize_keypoints(
        tf.cast(keypoints_px, tf.float32), self.crop_size)
    if self.keypoint_flip_pairs is None:
      pose = self.pose_model(keypoints, confidence, training=False)
    else:
      pose = pose_prior_lib.flip_averaged(self.pose_model, keypoints,
                                          confidence,
                                          self.keypoint_flip_pairs)
    betas = self.shape_model(silhouette, training=False)
    body = lbs.forward(self.assets, betas, pose.rotmats)
    return PriorsOutput(theta=pose.theta, rotmats=pose.rotmats, betas=betas,
                        camera=pose.camera, vertices=body.vertices,
                        joints=body.joints)
