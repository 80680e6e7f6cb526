"""Both priors as one stage: keypoints + silhouette → θ, β, camera, mesh.

    priors = inference.Priors.from_pretrained()      # shipped weights
    out = priors(keypoints_px, confidence, silhouette)
    out = priors(keypoints_img, confidence, box=person_boxes)  # no mask

Dimensions: B batch, K keypoints, V vertices, R×R silhouette.

Without a silhouette the ShapePrior does not run and β is the mean shape
(zeros): the pose, camera and mesh are still predicted (PVE grows by the
shape error, `PVE-T` of the weights README). With `box`, keypoints are in
original-image pixels: the crop the priors saw in training is the square
centred on the box with side `max(w, h) / box_fill` (`box_fill` = the mean
fraction of the crop the synthetic bodies fill, `synth.framing`), and
`crop_from_box` gives it.

The upright test (`priors.upright`, on by default) turns upside-down people
(handstands) upright before the PosePrior and its prediction back after.
"""

from typing import NamedTuple, Optional, Sequence, Tuple

import tensorflow as tf

from body import assets as assets_lib
from body import bundled
from body import keypoints as keypoints_lib
from body import lbs
from priors import pose_prior as pose_prior_lib
from priors import pretrained
from priors import roll
from priors import shape_prior as shape_prior_lib
from priors import upright as upright_lib


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
  With `upright_keypoints` (`upright.upright_indices` of the keypoint set)
  upside-down inputs are turned upright first (`priors.upright`).
  """

  def __init__(self, pose_model: pose_prior_lib.PosePrior,
               shape_model: shape_prior_lib.ShapePrior,
               assets: assets_lib.BodyAssets, crop_size: int = 256,
               keypoint_flip_pairs: Optional[
                   Sequence[Tuple[int, int]]] = None,
               upright_keypoints: Optional[Sequence[int]] = None):
    self.pose_model = pose_model
    self.shape_model = shape_model
    self.assets = assets
    self.crop_size = crop_size
    self.keypoint_flip_pairs = keypoint_flip_pairs
    self.upright_keypoints = (None if upright_keypoints is None
                              else tuple(upright_keypoints))
    self._pelvis = roll.rest_pelvis(assets)

  @classmethod
  def from_pretrained(cls, pose_weights: Optional[str] = None,
                      shape_weights: Optional[str] = None,
                      assets: Optional[assets_lib.BodyAssets] = None,
                      flip_test: bool = True,
                      upright: bool = True) -> "Priors":
    """The shipped (or given) weights, with the bundled body model."""
    kset = keypoints_lib.get(pretrained.keypoint_set(pose_weights))
    return cls(pretrained.load_pose_prior(pose_weights),
               pretrained.load_shape_prior(shape_weights),
               assets or bundled.load(),
               keypoint_flip_pairs=kset.flip_pairs if flip_test else None,
               upright_keypoints=(upright_lib.upright_indices(kset.names)
                                  if upright else None))

  def __call__(self, keypoints_px, confidence, silhouette=None,
               box=None) -> PriorsOutput:
    """Runs both priors.

    Args:
      keypoints_px: `[B, K, 2]` keypoints in pixels of the S×S crop, or of
        the original image when `box` is given; a keypoint with a non-finite
        coordinate counts as missing.
      confidence: `[B, K]` in [0, 1] (0 or NaN = missing: the keypoint's
        coordinates are ignored, whatever their values).
      silhouette: `[B, R, R]` in [0, 1] (of the crop), finite, or None for
        the mean shape.
      box: optional `[B, 4]` person boxes (x0, y0, x1, y1), image pixels.

    Raises:
      ValueError: a shape that does not fit the priors, or a silhouette
        with NaN or Inf (InvalidArgumentError inside `tf.function`).
    """
    if silhouette is not None:
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
    keypoints_px = tf.cast(keypoints_px, tf.float32)
    if box is not None:
      origin, side = crop_from_box(box)
      keypoints_px = (keypoints_px - origin[:, None]) * (
          self.crop_size / side)[:, None, None]
    keypoints = pose_prior_lib.normalize_keypoints(keypoints_px,
                                                   self.crop_size)
    angle = upright_lib.roll_angles(keypoints, confidence,
                                    self.upright_keypoints)
    if self.upright_keypoints is not None:
      keypoints = upright_lib.roll_keypoints(keypoints, angle)
    if self.keypoint_flip_pairs is None:
      pose = self.pose_model(keypoints, confidence, training=False)
    else:
      pose = pose_prior_lib.flip_averaged(self.pose_model, keypoints,
                                          confidence,
                                          self.keypoint_flip_pairs)
    if silhouette is None:
      betas = tf.zeros([tf.shape(keypoints)[0],
                        self.shape_model.config.num_betas], tf.float32)
    else:
      betas = self.shape_model(silhouette, training=False)
    rotmats, theta, camera = pose.rotmats, pose.theta, pose.camera
    if self.upright_keypoints is not None:
      rotmats, theta, camera = upright_lib.unroll(
          rotmats, camera, angle, roll.pelvis_xy(self._pelvis, betas),
          theta)
    body = lbs.forward(self.assets, betas, rotmats)
    return PriorsOutput(theta=theta, rotmats=rotmats, betas=betas,
                        camera=camera, vertices=body.vertices,
                        joints=body.joints)


BOX_FILL = 0.8     # mean of synth.framing.CameraConfig().scale_range


def crop_from_box(box, box_fill: float = BOX_FILL):
  """`(origin [B, 2], side [B])` of the square crop around person boxes
  `[B, 4]` (x0, y0, x1, y1) in which the box's larger side fills
  `box_fill` (tensors, pixels)."""
  box = tf.convert_to_tensor(box, tf.float32)
  if box.shape.rank != 2 or box.shape[-1] != 4:
    raise ValueError(f"box must have shape [B, 4], got {box.shape}.")
  if not 0.0 < box_fill <= 1.0:
    raise ValueError(f"box_fill must be in (0, 1], got {box_fill}.")
  centre = 0.5 * (box[:, :2] + box[:, 2:])
  side = tf.reduce_max(box[:, 2:] - box[:, :2], axis=-1) / box_fill
  side = tf.maximum(side, 1.0)
  return centre - 0.5 * side[:, None], side

