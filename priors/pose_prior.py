"""PosePrior: 2D keypoints (+ confidence) → θ (24 joint rotations) and camera.

Dimensions: B batch, K keypoints, J = 24 joints.

Inputs are keypoints normalised to the square crop (`normalize_keypoints`:
pixel u ↦ (u − (S − 1)/2) / (S/2), so the crop spans [−1, 1], the
convention of `render.camera.WeakPerspectiveCamera`) and a confidence per
keypoint in [0, 1] (0 = missing: its coordinates are ignored, whatever
their values; a keypoint with a NaN confidence or a non-finite coordinate
counts as missing).

Architecture (Pavlakos et al. 2018, after Martinez et al. 2017): the
coordinates (zero where the confidence is 0) and the confidences, side by
side and flattened → linear
(`hidden_units`) → `num_units` residual bilinear units → two linear heads.
With `normalize_inputs` (default), the coordinates are first centred on
their confidence-weighted mean c and divided by their weighted RMS spread r
(as Martinez et al. centre on the root), and c and r are appended to the
features; the camera head then predicts corrections to the weak
perspective implied by them: s = r · exp(a), t = c / s + b.
Heads:

  * rotations: 6D per joint (Zhou et al. 2019) → Gram–Schmidt → rotation
    matrices, or (for the ablation) axis-angle per joint → Rodrigues;
  * camera: weak perspective (s, t_x, t_y) as in HMR: a model point X
    (metres, body-model output without translation) lands at
    s · (X_xy + t) ∈ [−1, 1] in the crop.

The global orientation (joint 0) is in the camera frame (OpenCV axes).

`deepen` copies a trained PosePrior into one with more bilinear units, the
new ones started near identity (how the shipped 4-unit prior began, from
the 2-unit structured-only one).

`flip_averaged` is the flip test: the prediction for the keypoints and the
un-mirrored prediction for their mirror image, averaged (rotations by the
chordal mean, projected back onto SO(3)).
"""

import dataclasses
from typing import NamedTuple, Sequence, Tuple

import keras
import tensorflow as tf

from body import finite
from body import keypoints as keypoints_lib
from body import rotation
from priors import blocks
from priors import rotation6d

ROTATION_HEADS = ("6d", "axis_angle")


@dataclasses.dataclass(frozen=True)
class PosePriorConfig:
  """Architecture of the PosePrior.

  Attributes:
    num_keypoints: K.
    num_joints: J (24 for SMPL).
    hidden_units: width of the bilinear units (1024 in the paper).
    num_units: number of bilinear units (2 in the paper).
    dropout: dropout rate inside the units (0.5 in the paper).
    rotation_head: "6d" (default) or "axis_angle".
    normalize_inputs: centre and scale the keypoints (see above).
  """
  num_keypoints: int = 17
  num_joints: int = 24
  hidden_units: int = 1024
  num_units: int = 2
  dropout: float = 0.5
  rotation_head: str = "6d"
  normalize_inputs: bool = True

  def __post_init__(self):
    finite.check_fields(self)
    if self.rotation_head not in ROTATION_HEADS:
      raise ValueError(f"rotation_head must be one of {ROTATION_HEADS}, got "
                       f"{self.rotation_head!r}.")
    if min(self.num_keypoints, self.num_joints, self.hidden_units) <= 0:
      raise ValueError("num_keypoints, num_joints and hidden_units must be "
                       "positive.")
    if self.num_units < 0 or not 0.0 <= self.dropout < 1.0:
      raise ValueError(f"need num_units ≥ 0 and 0 ≤ dropout < 1, got "
                       f"{self.num_units}, {self.dropout}.")


class PosePriorOutput(NamedTuple):
  """What the PosePrior predicts.

  Attributes:
    rotmats: `[B, J, 3, 3]` joint rotations (root first, camera frame).
    theta: `[B, 3J]` the same as axis-angle (SMPL's θ).
    camera: `[B, 3]` weak-perspective (s, t_x, t_y).
    raw_rotation: `[B, J, 6]` (6D head) or `[B, J, 3]` (axis-angle head), the
      head's output before conversion.
  """
  rotmats: tf.Tensor
  theta: tf.Tensor
  camera: tf.Tensor
  raw_rotation: tf.Tensor


def normalize_keypoints(keypoints_px, crop_size: int):
  """Pixels of an S×S crop → [−1, 1]: (u − (S − 1)/2) / (S/2)."""
  keypoints_px = tf.convert_to_tensor(keypoints_px)
  half = 0.5 * crop_size
  return (keypoints_px - (half - 0.5)) / half


def denormalize_keypoints(keypoints, crop_size: int):
  """Inverse of `normalize_keypoints`."""
  half = 0.5 * crop_size
  return tf.convert_to_tensor(keypoints) * half + (half - 0.5)


def project_weak_perspective(points, camera):
  """Model points `[B, N, 3]` → normalised crop coordinates `[B, N, 2]`:
  s · (X_xy + t) with camera `[B, 3]` = (s, t_x, t_y)."""
  points = tf.convert_to_tensor(points)
  camera = tf.cast(camera, points.dtype)
  return camera[:, None, :1] * (points[..., :2] + camera[:, None, 1:])


class PosePrior(keras.Model):
  """Keypoints `[B, K, 2]` (normalised) and confidence `[B, K]` →
  `PosePriorOutput`."""

  def __init__(self, config: PosePriorConfig = PosePriorConfig(), **kwargs):
    super().__init__(**kwargs)
    self.config = config
    c = config
    self.input_layer = keras.layers.Dense(c.hidden_units, name="input")
    # Attributes unit0, unit1, ... (tf.train.Checkpoint ignores Keras lists).
    for i in range(c.num_units):
      setattr(self, f"unit{i}",
              blocks.BilinearUnit(c.hidden_units, c.dropout, name=f"unit{i}"))
    width = 6 if c.rotation_head == "6d" else 3
    identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0] if width == 6 else [0.0] * 3
    self.rotation_head = keras.layers.Dense(
        c.num_joints * width, name="rotation",
        kernel_initializer=keras.initializers.VarianceScaling(0.01),
        bias_initializer=keras.initializers.Constant(identity * c.num_joints))
    self.camera_head = keras.layers.Dense(
        3, name="camera",
        kernel_initializer=keras.initializers.VarianceScaling(0.01),
        bias_initializer=keras.initializers.Constant(
            [0.0 if c.normalize_inputs else 1.0, 0.0, 0.0]))
    self.build_for_inputs()

  def build_for_inputs(self):
    """Creates the variables (a call on zeros), so weights load at once."""
    k = self.config.num_keypoints
    self(tf.zeros([1, k, 2]), tf.zeros([1, k]), training=False)

  def call(self, keypoints, confidence, training=None) -> PosePriorOutput:
    c = self.config
    keypoints = tf.convert_to_tensor(keypoints, tf.float32)
    confidence = tf.convert_to_tensor(confidence, tf.float32)
    if keypoints.shape.rank != 3 or keypoints.shape[1:] != (
        c.num_keypoints, 2):
      raise ValueError(f"keypoints must have shape [B, {c.num_keypoints}, 2],"
                       f" got {keypoints.shape.as_list()}.")
    if confidence.shape.rank != 2 or confidence.shape[1] != c.num_keypoints:
      raise ValueError(f"confidence must have shape [B, {c.num_keypoints}], "
                       f"got {confidence.shape.as_list()}.")
    # A keypoint is missing if its confidence is not > 0 (NaN included) or
    # a coordinate is not finite; its coordinates are then never read.
    present = (confidence > 0) & tf.reduce_all(
        tf.math.is_finite(keypoints), axis=-1)                    # [B, K]
    confidence = tf.where(present, confidence, tf.zeros_like(confidence))
    keypoints = tf.where(present[..., None], keypoints,
                         tf.zeros_like(keypoints))
    weight = confidence[..., None]                                # [B, K, 1]
    if c.normalize_inputs:
      total = tf.reduce_sum(weight, axis=1, keepdims=True) + 1e-6
      center = tf.reduce_sum(weight * keypoints, axis=1,
                             keepdims=True) / total              # [B, 1, 2]
      spread = tf.sqrt(tf.reduce_sum(
          weight * tf.square(keypoints - center), axis=[1, 2],
          keepdims=True) / total + 1e-6)                         # [B, 1, 1]
      coords = (keypoints - center) / spread
      extra = [center[:, 0], spread[:, 0]]
    else:
      coords, extra = keypoints, []
    # Coordinates enter unscaled (a missing keypoint's are zeroed): scaling
    # them by the confidence would make the network divide by it to undo.
    present = tf.cast(present[..., None], coords.dtype)
    features = tf.concat([
        tf.reshape(coords * present, [-1, 2 * c.num_keypoints]),
        confidence] + extra, axis=-1)
    h = self.input_layer(features)
    for i in range(c.num_units):
      h = getattr(self, f"unit{i}")(h, training=training)
    raw = self.rotation_head(h)
    if c.rotation_head == "6d":
      raw = tf.reshape(raw, [-1, c.num_joints, 6])
      rotmats = rotation6d.to_matrix(raw)
      theta = tf.reshape(rotation.matrix_to_axis_angle(rotmats),
                         [-1, 3 * c.num_joints])
    else:
      raw = tf.reshape(raw, [-1, c.num_joints, 3])
      rotmats = rotation.axis_angle_to_matrix(raw)
      theta = tf.reshape(raw, [-1, 3 * c.num_joints])
    camera = self.camera_head(h)
    if c.normalize_inputs:
      # The log-scale is clipped so that keypoints far outside anything
      # trained on cannot overflow exp (|a| ≤ 30 changes no sane output).
      scale = spread[:, 0] * tf.exp(
          tf.clip_by_value(camera[:, :1], -30.0, 30.0))             # [B, 1]
      camera = tf.concat([scale, center[:, 0] / scale + camera[:, 1:]], -1)
    return PosePriorOutput(rotmats=rotmats, theta=theta, camera=camera,
                           raw_rotation=raw)


def deepen(model: PosePrior, num_units: int,
           new_unit_scale: float = 0.01) -> PosePrior:
  """A PosePrior with `num_units` bilinear units that starts where `model`
  is: its input layer, units and heads are copied, and each new unit (after
  the old ones) starts near identity, its last batch norm's γ scaled by
  `new_unit_scale` and its β zeroed (0 gives exactly `model`'s outputs;
  the default 0.01 moved θ by ≤ 0.035 rad on the shipped 2-unit prior, and
  leaves the new unit's gradients alive).

  Raises:
    ValueError: if `num_units` < `model`'s or `new_unit_scale` is not in
      [0, 1].
  """
  old = model.config.num_units
  if num_units < old:
    raise ValueError(f"deepen makes a prior deeper: it has {old} units, "
                     f"asked for {num_units}.")
  if not 0.0 <= new_unit_scale <= 1.0:
    raise ValueError(f"new_unit_scale must be in [0, 1], got "
                     f"{new_unit_scale}.")
  deeper = PosePrior(dataclasses.replace(model.config, num_units=num_units))
  for name in ["input_layer", "rotation_head", "camera_head"] + [
      f"unit{i}" for i in range(old)]:
    getattr(deeper, name).set_weights(getattr(model, name).get_weights())
  for i in range(old, num_units):
    bn = getattr(deeper, f"unit{i}").bn1
    bn.gamma.assign(new_unit_scale * bn.gamma)
    bn.beta.assign(tf.zeros_like(bn.beta))
  return deeper


def mirror_rotations(rotmats,
                     joint_flip_pairs=keypoints_lib.SMPL_24.flip_pairs):
  """The joint rotations `[B, J, 3, 3]` of the mirror-image body (mirror
  x ↦ −x, in the camera frame for the root and in SMPL's rest axes, whose x
  is the body's left, for the other joints): left and right joints swap and
  R ↦ M·R·M with M = diag(−1, 1, 1) (axis-angle (a, b, c) ↦ (a, −b, −c), as
  SPIN's flip_pose)."""
  rotmats = tf.convert_to_tensor(rotmats)
  perm = keypoints_lib.flip_permutation(rotmats.shape[1], joint_flip_pairs)
  mirror = tf.constant([-1.0, 1.0, 1.0], rotmats.dtype)
  swapped = tf.gather(rotmats, perm, axis=1)
  return swapped * mirror[:, None] * mirror[None, :]


_POLAR_ITERATIONS = 12


def project_to_rotation(matrices):
  """The nearest rotations (Frobenius) to `[..., 3, 3]` matrices of positive
  determinant (a sum of two rotations has one, unless they are half a turn
  apart).

  The orthogonal factor of the polar decomposition, by Newton's iteration
  X ← (γX + X⁻ᵀ/γ) / 2 with Higham's scaling γ = |det X|^(−1/3) and
  the inverse transpose by cofactors (cross products of columns): elementwise
  ops only, where an SVD (`tf.linalg.svd`) has no ONNX counterpart. Twelve
  iterations reach float32 precision for any condition number below 10⁶.
  """
  x = tf.convert_to_tensor(matrices)
  if x.shape.rank is not None and x.shape[-2:] not in ([3, 3],
                                                      [None, None]):
    raise ValueError(f"matrices must have shape [..., 3, 3], got "
                     f"{x.shape.as_list()}.")
  for _ in range(_POLAR_ITERATIONS):
    c0, c1, c2 = x[..., :, 0], x[..., :, 1], x[..., :, 2]
    cof = tf.stack([rotation6d.cross(c1, c2), rotation6d.cross(c2, c0),
                    rotation6d.cross(c0, c1)], axis=-1)   # det(X)·X⁻ᵀ
    det = tf.reduce_sum(c0 * cof[..., :, 0], axis=-1)[..., None, None]
    gamma = tf.pow(tf.abs(det) + 1e-30, -1.0 / 3.0)
    x = 0.5 * (gamma * x + cof / (gamma * det))
  return x


def flip_averaged(model: "PosePrior", keypoints, confidence,
                  keypoint_flip_pairs: Sequence[Tuple[int, int]]
                  ) -> PosePriorOutput:
  """The flip test: `model` on the keypoints and on their mirror image.

  Args:
    model: a PosePrior.
    keypoints: `[B, K, 2]` normalised keypoints (mirroring is x ↦ −x).
    confidence: `[B, K]`.
    keypoint_flip_pairs: the keypoint set's (left, right) pairs.

  Returns:
    PosePriorOutput of the averaged prediction (`raw_rotation` is that of the
    unflipped input).
  """
  keypoints = tf.convert_to_tensor(keypoints, tf.float32)
  confidence = tf.convert_to_tensor(confidence, tf.float32)
  num_keypoints = model.config.num_keypoints
  # Checked before the flip permutation, which would fail on another K.
  if keypoints.shape.rank != 3 or keypoints.shape[1:] != (num_keypoints, 2):
    raise ValueError(f"keypoints must have shape [B, {num_keypoints}, 2], "
                     f"got {keypoints.shape.as_list()}.")
  perm = keypoints_lib.flip_permutation(keypoints.shape[1],
                                        keypoint_flip_pairs)
  mirrored_kp = tf.gather(keypoints, perm, axis=1) * tf.constant([-1.0, 1.0])
  plain = model(keypoints, confidence, training=False)
  flipped = model(mirrored_kp, tf.gather(confidence, perm, axis=1),
                  training=False)
  rotmats = project_to_rotation(plain.rotmats +
                                mirror_rotations(flipped.rotmats))
  camera = 0.5 * (plain.camera + flipped.camera * tf.constant(
      [1.0, -1.0, 1.0]))
  theta = tf.reshape(rotation.matrix_to_axis_angle(rotmats),
                     [-1, 3 * rotmats.shape[1]])
  return PosePriorOutput(rotmats=rotmats, theta=theta, camera=camera,
                         raw_rotation=plain.raw_rotation)
