"""The composed model: person crops → Human2D → priors → body mesh + camera.

    model = model.BodyFromImage(human2d.inference.Human2D.load(),
                                priors.inference.Priors.from_pretrained())
    out = model.predict_crops(crops)        # list of `pipeline.crop.Crop`

Human2D gives keypoints (crop pixels), confidences and a silhouette; the
PosePrior reads the keypoints it was trained on (picked by name from
Human2D's set: COCO_21 is the first 21 of COCO_21_LSP), rescaled to its own
crop size, and the ShapePrior the silhouette resized to its resolution.

Camera. The PosePrior's weak-perspective camera (s, t_x, t_y) puts a body
point X at s · (X_xy + t) in normalised crop coordinates; through the crop
(centre c, side L image pixels) that is c + (L s / 2)(X_xy + t) in the image.
A pinhole camera of focal f (pixels) and principal point p at the image
centre, with the body at translation T, sees the same for the body's plane
(Z = 0) when T_z = 2 f / (s L) and T_xy = t + (c − p) T_z / f — SPIN's crop
conversion carried to the whole image (as CLIFF / PARE do). The default focal
length is the image's larger side (a 53° field of view across it, like an
ordinary phone photo); pass the real one when known. Camera-frame points are
`vertices + translation[:, None]` (OpenCV axes, metres).

PosePrior. `BodyFromImage.load` defaults to `POSE_WEIGHTS`, the PosePrior
fine-tuned on keypoints corrupted like the shipped Human2D's
(`priors.pretrained.POSE_WEIGHTS_HUMAN2D`); `Priors.from_pretrained()` alone
keeps the detector-calibrated default.

Dimensions: B crops, K Human2D keypoints, V vertices, M heatmap side.
"""

from typing import List, NamedTuple, Optional, Sequence

import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from human2d import inference as h2d_inference
from pipeline import crop as crop_lib
from priors import inference as priors_inference
from priors import pose_prior
from priors import pretrained

# The PosePrior matched to the shipped Human2D (module doc).
POSE_WEIGHTS = pretrained.POSE_WEIGHTS_HUMAN2D


class BodyPrediction(NamedTuple):
  """Everything the model predicts for B crops (NumPy arrays).

  Attributes:
    theta: `[B, 72]` axis-angle pose, root in the camera frame.
    rotmats: `[B, 24, 3, 3]` the same as rotation matrices.
    betas: `[B, S]` shape.
    camera: `[B, 3]` weak perspective (s, t_x, t_y), normalised crop coords.
    translation: `[B, 3]` full-perspective body translation, metres.
    focal: `[B]` the focal length (pixels) `translation` assumes.
    vertices: `[B, V, 3]` mesh, metres, without translation.
    joints: `[B, 24, 3]` SMPL joints, without translation.
    keypoint_set: Human2D's keypoint set name.
    keypoints_crop: `[B, K, 2]` Human2D keypoints, crop pixels.
    keypoints_image: `[B, K, 2]` the same in original image pixels.
    confidence: `[B, K]` in [0, 1].
    silhouette: `[B, M, M]` body probability.
    heatmaps: `[B, M, M, K]` Human2D's last-stack heatmaps.
    crop_transform: `[B, 2, 3]` crop pixel → image pixel (`pipeline.crop`).
  """
  theta: np.ndarray
  rotmats: np.ndarray
  betas: np.ndarray
  camera: np.ndarray
  translation: np.ndarray
  focal: np.ndarray
  vertices: np.ndarray
  joints: np.ndarray
  keypoint_set: str
  keypoints_crop: np.ndarray
  keypoints_image: np.ndarray
  confidence: np.ndarray
  silhouette: np.ndarray
  heatmaps: np.ndarray
  crop_transform: np.ndarray

  def person(self, i: int) -> "BodyPrediction":
    """The i-th crop's prediction, keeping a batch axis of 1."""
    return BodyPrediction(*[v if isinstance(v, str) else v[i:i + 1]
                            for v in self])

  @staticmethod
  def concatenate(parts: Sequence["BodyPrediction"]) -> "BodyPrediction":
    """One prediction of all crops of `parts` (same keypoint set), in order."""
    if not parts:
      raise ValueError("parts is empty; give at least one prediction.")
    return BodyPrediction(*[
        v[0] if isinstance(v[0], str) else np.concatenate(v)
        for v in zip(*parts)])


def default_focal(height: int, width: int) -> float:
  """The focal length assumed when none is given: the larger image side."""
  return float(max(height, width))


def perspective_translation(camera, centre, side, image_size, focal):
  """Weak-perspective crop camera → full-image translation (module doc).

  Args:
    camera: `[B, 3]` (s, t_x, t_y).
    centre: `[B, 2]` crop centres, image pixels.
    side: `[B]` image pixels spanned by each crop's side.
    image_size: `[B, 2]` (H, W) of each crop's image.
    focal: `[B]` focal lengths, pixels.

  Returns:
    `[B, 3]` float64 translation T, metres.
  """
  camera = np.asarray(camera, np.float64)
  if camera.ndim != 2 or camera.shape[1] != 3:
    raise ValueError(f"camera must be [B, 3], got {camera.shape}.")
  b = len(camera)
  centre = np.asarray(centre, np.float64).reshape(b, 2)
  side = np.asarray(side, np.float64).reshape(b)
  height_width = np.asarray(image_size, np.float64).reshape(b, 2)
  focal = np.asarray(focal, np.float64).reshape(b)
  scale = np.maximum(camera[:, 0], 1e-6)  # A non-positive s is not a camera.
  depth = 2.0 * focal / (scale * side)
  principal = (height_width[:, ::-1] - 1.0) / 2.0
  xy = camera[:, 1:] + (centre - principal) * (depth / focal)[:, None]
  return np.concatenate([xy, depth[:, None]], axis=1)


def project(points, translation, focal, image_size) -> np.ndarray:
  """Body points `[B, N, 3]` placed at `translation` `[B, 3]` → image pixels
  `[B, N, 2]` with focal `[B]` and the principal point at the image centre
  (`image_size` `[B, 2]` (H, W))."""
  cam = np.asarray(points, np.float64) + np.asarray(translation)[:, None]
  b = len(cam)
  focal = np.asarray(focal, np.float64).reshape(b, 1, 1)
  principal = (np.asarray(image_size, np.float64).reshape(b, 2)[:, ::-1]
               - 1.0) / 2.0
  return focal * cam[..., :2] / cam[..., 2:] + principal[:, None]


class BodyFromImage:
  """Human2D and the priors as one model; see the module doc."""

  def __init__(self, human2d: h2d_inference.Human2D,
               priors: priors_inference.Priors,
               prior_keypoint_set: str = "COCO_21", flip_test: bool = True):
    """`prior_keypoint_set`: the set the PosePrior reads
    (`priors.pretrained.keypoint_set(weights)`)."""
    self.human2d = human2d
    self.priors = priors
    self.flip_test = flip_test
    self.keypoint_set = keypoints_lib.get(human2d.config.keypoint_set)
    prior_set = keypoints_lib.get(prior_keypoint_set)
    if prior_set.size != priors.pose_model.config.num_keypoints:
      raise ValueError(f"prior_keypoint_set {prior_set.name} has "
                       f"{prior_set.size} points, the PosePrior reads "
                       f"{priors.pose_model.config.num_keypoints}.")
    self.prior_keypoint_set = prior_set
    missing = [n for n in prior_set.names if n not in self.keypoint_set.names]
    if missing:
      raise ValueError(f"Human2D predicts {self.keypoint_set.name}, which "
                       f"lacks the PosePrior's {prior_set.name} points "
                       f"{missing}.")
    self._prior_index = np.array(
        [self.keypoint_set.names.index(n) for n in prior_set.names])
    # Persons per image vary: one trace for every batch size.
    self._run = tf.function(self._forward, reduce_retracing=True)

  @classmethod
  def load(cls, human2d_weights: Optional[str] = None,
           human2d_config: Optional[str] = None,
           pose_weights: Optional[str] = None,
           shape_weights: Optional[str] = None,
           flip_test: bool = True,
           upright_test: bool = True) -> "BodyFromImage":
    """From weights files (default: the shipped ones; the PosePrior is
    `POSE_WEIGHTS`); `upright_test`: `priors.upright` before the PosePrior."""
    pose_weights = pose_weights or POSE_WEIGHTS
    return cls(h2d_inference.Human2D.load(human2d_weights, human2d_config),
               priors_inference.Priors.from_pretrained(
                   pose_weights, shape_weights, flip_test=flip_test,
                   upright=upright_test),
               pretrained.keypoint_set(pose_weights), flip_test)

  @property
  def crop_size(self) -> int:
    """The crop side Human2D reads."""
    return self.human2d.config.input_size

  def priors_from_2d(self, keypoints_crop, confidence, silhouette
                     ) -> priors_inference.PriorsOutput:
    """The priors on 2D evidence in Human2D's terms: `keypoints_crop`
    `[B, K, 2]` (pixels of this model's crop) with `confidence` `[B, K]`
    over Human2D's K keypoints, `silhouette` `[B, M, M]` body probability.
    What the model does after Human2D; also how evaluations feed the
    priors other evidence (e.g. the truth)."""
    xy = tf.gather(tf.cast(keypoints_crop, tf.float32), self._prior_index,
                   axis=1)
    conf = tf.gather(tf.cast(confidence, tf.float32), self._prior_index,
                     axis=1)
    # Same normalised coordinates, in the priors' crop pixels.
    xy = pose_prior.denormalize_keypoints(
        pose_prior.normalize_keypoints(xy, self.crop_size),
        self.priors.crop_size)
    r = self.priors.shape_model.config.silhouette_size
    sil = tf.image.resize(tf.cast(silhouette, tf.float32)[..., None],
                          [r, r])[..., 0]
    return self.priors(xy, tf.clip_by_value(conf, 0.0, 1.0), sil)

  def _forward(self, crops):
    pred = self.human2d.predict(crops, self.flip_test)
    body = self.priors_from_2d(pred.keypoints.xy, pred.keypoints.confidence,
                               pred.silhouette)
    return pred, body

  def predict_crops(self, crops: Sequence[crop_lib.Crop], image_sizes,
                    focal=None) -> BodyPrediction:
    """Runs the model on person crops (one image or several).

    Args:
      crops: B `Crop`s of side `crop_size`.
      image_sizes: `[B, 2]` (H, W) of each crop's image (the principal point
        is its centre; the default focal follows from it).
      focal: scalar or `[B]` focal length, pixels; default `default_focal`.
    """
    if not crops:
      raise ValueError("crops is empty; give at least one person crop.")
    images = np.stack([c.image for c in crops])
    s = self.crop_size
    if images.shape[1:] != (s, s, 3):
      raise ValueError(f"crops must be {s}×{s}×3 for this Human2D, got "
                       f"{images.shape[1:]}.")
    b = len(crops)
    image_sizes = np.asarray(image_sizes, np.float64)
    if image_sizes.shape != (b, 2) or np.any(image_sizes < 1):
      raise ValueError(f"image_sizes must be [{b}, 2] positive (H, W), got "
                       f"{image_sizes.tolist()}.")
    if focal is None:
      focal = [default_focal(*hw) for hw in image_sizes]
    focal = np.broadcast_to(np.asarray(focal, np.float64), [b]).copy()
    if np.any(focal <= 0):
      raise ValueError(f"focal must be positive, got {focal}.")
    pred, body = self._run(tf.constant(images, tf.float32))
    transforms = np.stack([c.transform for c in crops])
    xy = pred.keypoints.xy.numpy()
    camera = body.camera.numpy()
    translation = perspective_translation(
        camera, [c.centre for c in crops], [c.side for c in crops],
        image_sizes, focal)
    return BodyPrediction(
        theta=body.theta.numpy(), rotmats=body.rotmats.numpy(),
        betas=body.betas.numpy(), camera=camera,
        translation=translation.astype(np.float32), focal=focal,
        vertices=body.vertices.numpy(), joints=body.joints.numpy(),
        keypoint_set=self.keypoint_set.name, keypoints_crop=xy,
        keypoints_image=np.stack([crop_lib.to_image(p, t)
                                  for p, t in zip(xy, transforms)]),
        confidence=pred.keypoints.confidence.numpy(),
        silhouette=pred.silhouette.numpy(), heatmaps=pred.heatmaps.numpy(),
        crop_transform=transforms)

  def predict_image(self, image: np.ndarray, boxes,
                    focal: Optional[float] = None) -> BodyPrediction:
    """All persons (`boxes` `[N, 4]`) of one image `[H, W, 3]` uint8."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    crops: List[crop_lib.Crop] = [
        crop_lib.crop_from_box(image, b, self.crop_size) for b in boxes]
    return self.predict_crops(crops, [image.shape[:2]] * len(crops), focal)
