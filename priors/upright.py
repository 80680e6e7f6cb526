"""The upright test: upside-down people are turned upright before the
PosePrior sees them, and its prediction is turned back.

    indices = upright_indices(keypoint_set.names)     # None: no test
    angle = roll_angles(keypoints, confidence, indices)
    out = predict(roll_keypoints(keypoints, angle), confidence)
    rotmats, theta, camera = unroll(out.rotmats, out.camera, angle,
                                    roll.pelvis_xy(pelvis, betas))

The structured sampler keeps the camera near upright, so the PosePrior
learns bodies whose torso and legs point up the image. A handstand breaks
that, and it costs more than any other pose: 128 mm detector-like PA-MPJPE
for a prior that never saw one against 42–60 mm for the families it saw
(priors/weights/README.md, "The upright test"). But a camera rolled by π
about its optical axis is an exact symmetry (`priors.roll`): a handstand is,
in 2D, a person with raised arms turned by 180°. So an input is rolled by π
when both its torso (hips → shoulders) and its legs (ankles → hips) point
more than `THRESHOLD_DEG` away from the image's up; the two together tell a
handstand from a forward bend (torso down, legs up) and from most lying
people (both near horizontal). Everything else goes through unchanged.

The prediction for the rolled input is turned back exactly, up to float32
rounding (sin π is −8.7e-8 there) (`priors.roll`'s
formulas with the angle negated): the root by R_z(−α), the weak-perspective
translation by t ↦ R₂(−α)(t + p) − p with p the xy of the body's rest pelvis
for its β. Local joint rotations are unchanged. Keypoints are normalised
crop coordinates (the principal point at 0, y down).

Dimensions: B batch, K keypoints.
"""

import math
from typing import Optional, Sequence, Tuple

import tensorflow as tf

from body import rotation
from priors import roll as roll_lib

THRESHOLD_DEG = 120.0
# The keypoints the test reads, by name (COCO-style sets).
NAMES = ("left_shoulder", "right_shoulder", "left_hip", "right_hip",
         "left_ankle", "right_ankle")


def upright_indices(names: Sequence[str]) -> Optional[Tuple[int, ...]]:
  """Indices of `NAMES` in a keypoint set's `names`; None if it lacks one
  (the test is then off)."""
  names = list(names)
  if not all(n in names for n in NAMES):
    return None
  return tuple(names.index(n) for n in NAMES)


def _midpoint(keypoints, confidence, a, b):
  """Confidence-weighted midpoint of keypoints a and b, and whether either
  is present."""
  wa, wb = confidence[:, a:a + 1], confidence[:, b:b + 1]
  total = wa + wb
  mid = (keypoints[:, a] * wa + keypoints[:, b] * wb) / tf.maximum(total,
                                                                    1e-6)
  return mid, total[:, 0] > 0


# Segments shorter than this (normalised crop units; 1e-4 is 0.013 px at
# 256²) have no direction and never point down.
MIN_LENGTH = 1e-4


def _points_down(vector, threshold_deg):
  """Whether image vectors `[B, 2]` (y down) lie more than the threshold
  from the image's up (0, −1)."""
  angle = tf.abs(tf.atan2(vector[:, 0], -vector[:, 1]))
  long_enough = tf.norm(vector, axis=-1) > MIN_LENGTH
  return (angle > math.radians(threshold_deg)) & long_enough


def upside_down(keypoints, confidence, indices: Sequence[int],
                threshold_deg: float = THRESHOLD_DEG):
  """`[B]` bool: torso and legs both point down (module doc).

  Args:
    keypoints: `[B, K, 2]` normalised keypoints.
    confidence: `[B, K]`; 0 = missing. A segment whose end has no present
      keypoint, or of no length, does not point down.
    indices: `upright_indices` of the keypoint set.
    threshold_deg: angle from the image's up, degrees.
  """
  if not 0.0 < threshold_deg < 180.0:
    raise ValueError(f"threshold_deg must be in (0, 180), got "
                     f"{threshold_deg}.")
  keypoints = tf.convert_to_tensor(keypoints, tf.float32)
  confidence = tf.convert_to_tensor(confidence, tf.float32)
  # Non-finite coordinates or confidences count as missing.
  present = tf.math.is_finite(confidence) & tf.reduce_all(
      tf.math.is_finite(keypoints), axis=-1)
  confidence = tf.where(present, tf.maximum(confidence, 0.0), 0.0)
  keypoints = tf.where(present[..., None], keypoints, 0.0)
  l_sh, r_sh, l_hip, r_hip, l_an, r_an = indices
  shoulders, has_sh = _midpoint(keypoints, confidence, l_sh, r_sh)
  hips, has_hip = _midpoint(keypoints, confidence, l_hip, r_hip)
  ankles, has_an = _midpoint(keypoints, confidence, l_an, r_an)
  torso = _points_down(shoulders - hips, threshold_deg) & has_sh & has_hip
  legs = _points_down(hips - ankles, threshold_deg) & has_hip & has_an
  return torso & legs


def roll_angles(keypoints, confidence, indices: Optional[Sequence[int]],
                threshold_deg: float = THRESHOLD_DEG):
  """`[B]` float32 roll angles: π for upside-down inputs, else 0 (all 0
  when `indices` is None)."""
  keypoints = tf.convert_to_tensor(keypoints, tf.float32)
  if indices is None:
    return tf.zeros(tf.shape(keypoints)[:1], tf.float32)
  down = upside_down(keypoints, confidence, indices, threshold_deg)
  return tf.where(down, tf.constant(math.pi, tf.float32), 0.0)


def roll_keypoints(keypoints, angle):
  """`[B, K, 2]` normalised keypoints turned by `angle` `[B]` about the
  crop centre (`priors.roll`'s convention)."""
  keypoints = tf.convert_to_tensor(keypoints, tf.float32)
  angle = tf.cast(angle, tf.float32)
  turned = tf.einsum("bij,bkj->bki", roll_lib.rotation_2d(angle),
                     keypoints)
  return tf.where((angle != 0.0)[:, None, None], turned, keypoints)


def unroll(rotmats, camera, angle, pelvis_at, theta=None):
  """The prediction for keypoints rolled by `angle` `[B]`, in the original
  camera frame.

  Args:
    rotmats: `[B, J, 3, 3]` predicted rotations (root first).
    camera: `[B, 3]` predicted (s, t_x, t_y).
    angle: `[B]` the roll the input was given.
    pelvis_at: `[B, 2]` rest-pelvis xy of each body
      (`priors.roll.pelvis_xy`).
    theta: optional `[B, 3J]` axis-angle of `rotmats` (computed if None);
      examples with angle 0 come back unchanged, bit for bit.

  Returns:
    `(rotmats, theta [B, 3J], camera)`.
  """
  angle = tf.cast(angle, tf.float32)
  back = -angle
  rotmats = tf.convert_to_tensor(rotmats, tf.float32)
  camera = tf.convert_to_tensor(camera, tf.float32)
  rolled = angle != 0.0       # the others are returned bit for bit
  theta_in = tf.reshape(rotation.matrix_to_axis_angle(rotmats),
                        [-1, 3 * rotmats.shape[1]]) if theta is None else (
                            tf.cast(theta, tf.float32))
  root = roll_lib.rotation_z(back) @ rotmats[:, 0]
  turned = tf.concat([root[:, None], rotmats[:, 1:]], 1)
  turned_camera = roll_lib.roll_camera(camera, roll_lib.rotation_2d(back),
                                       tf.cast(pelvis_at, tf.float32))
  root_theta = rotation.matrix_to_axis_angle(root)
  turned_theta = tf.concat([root_theta, theta_in[:, 3:]], 1)
  return (tf.where(rolled[:, None, None, None], turned, rotmats),
          tf.where(rolled[:, None], turned_theta, theta_in),
          tf.where(rolled[:, None], turned_camera, camera))
