"""`BodyFromImage` as a SavedModel for TF Serving, `pipeline.serve` and
`saved_model_cli`.

    path = serving_model.export(model, "out/body3d")   # → out/body3d/1
    python -m pipeline.export --output=out/body3d      # the same (binary)

The export is a `tf.Module` with explicit signatures; every op is a core
TensorFlow op (no `py_function`), so `saved_model_cli show --all` / `run`
and `tensorflow/serving` load it. The batch dimension N is dynamic.

Signatures (inputs → outputs; K Human2D keypoints, P the PosePrior's, V
vertices, S the Human2D crop side, R the ShapePrior's silhouette side):

  serving_default  image_bytes [N] string (JPEG/PNG/BMP/GIF bytes) →
                   theta [N, 72], betas [N, 10], camera [N, 3],
                   translation [N, 3], joints [N, 24, 3], keypoints [N, K, 2]
                   (image pixels), confidence [N, K]. One person per image,
                   the image centred in the crop (`crop.whole_image_box`).
  boxes            image_bytes [N], box [N, 4] (x0, y0, x1, y1 image pixels)
                   → as serving_default, for the person in the box.
  vertices         image_bytes [N] → vertices [N, V, 3], translation [N, 3]
                   (camera-frame mesh: vertices + translation).
  image_tensor     crops [N, S, S, 3] uint8 → theta, betas, camera, joints,
                   keypoints [N, K, 2] (crop pixels), confidence, silhouette
                   [N, M, M].
  keypoints        keypoints [N, P, 2] (pixels of the priors' 256² crop),
                   confidence [N, P] → theta, betas (the mean shape), camera,
                   joints, vertices.
  keypoints_silhouette  as keypoints, + silhouette [N, R, R] in [0, 1].
  body_model       theta [N, 72], betas [N, 10] → vertices, joints.

`translation` assumes the default focal length (the larger image side,
`model.default_focal`) with the principal point at the image centre, as
`BodyFromImage.predict_image` without `focal`. The crop is rounded to uint8
as `crop.crop_from_box` does, so the export matches the in-process model.
"""

import os
import shutil
from typing import Dict

import tensorflow as tf

from body import lbs
from human2d import data as h2d_data
from pipeline import model as model_lib

DEFAULT_VERSION = 1
SIGNATURES = ("serving_default", "boxes", "vertices", "image_tensor",
              "keypoints", "keypoints_silhouette", "body_model")


def _tf_variables(keras_model):
  return [getattr(v, "value", v) for v in keras_model.variables]


def _whole_image_box(height, width):
  """`crop.whole_image_box` in TensorFlow: `[4]` float32."""
  height = tf.cast(height, tf.float32)
  width = tf.cast(width, tf.float32)
  half = 0.5 * tf.maximum(height, width) / h2d_data.BOX_MARGIN
  cx, cy = 0.5 * (width - 1.0), 0.5 * (height - 1.0)
  return tf.stack([cx - half, cy - half, cx + half, cy + half])


class ServingModule(tf.Module):
  """The signatures of the module doc over one `BodyFromImage`."""

  def __init__(self, model: model_lib.BodyFromImage):
    super().__init__(name="body3d")
    self._model = model
    # Their variables, tracked so they are saved: the `tf.Variable`s under
    # the Keras 3 variables. (Tracking the Keras models makes the save trace
    # their own serving functions, which fails for multi-input models;
    # tracking the Keras variables saves each twice and TF1-style loaders —
    # saved_model_cli run, TF Serving — then miss some: "Could not find
    # variable", keras-team/keras#20095.)
    self.human2d_variables = _tf_variables(model.human2d.model)
    self.pose_variables = _tf_variables(model.priors.pose_model)
    self.shape_variables = _tf_variables(model.priors.shape_model)
    self._assets = model.priors.assets
    s = model.crop_size
    p = model.priors.pose_model.config.num_keypoints
    r = model.priors.shape_model.config.silhouette_size
    nb = model.priors.shape_model.config.num_betas
    images = tf.TensorSpec([None], tf.string, "image_bytes")
    self.serving_functions = {
        "serving_default": tf.function(
            self._images, input_signature=[images]),
        "boxes": tf.function(self._images_in_boxes, input_signature=[
            images, tf.TensorSpec([None, 4], tf.float32, "box")]),
        "vertices": tf.function(self._vertices, input_signature=[images]),
        "image_tensor": tf.function(self._crops, input_signature=[
            tf.TensorSpec([None, s, s, 3], tf.uint8, "crops")]),
        "keypoints": tf.function(self._keypoints, input_signature=[
            tf.TensorSpec([None, p, 2], tf.float32, "keypoints"),
            tf.TensorSpec([None, p], tf.float32, "confidence")]),
        "keypoints_silhouette": tf.function(
            self._keypoints_silhouette, input_signature=[
                tf.TensorSpec([None, p, 2], tf.float32, "keypoints"),
                tf.TensorSpec([None, p], tf.float32, "confidence"),
                tf.TensorSpec([None, r, r], tf.float32, "silhouette")]),
        "body_model": tf.function(self._body_model, input_signature=[
            tf.TensorSpec([None, 72], tf.float32, "theta"),
            tf.TensorSpec([None, nb], tf.float32, "betas")]),
    }

  # -- pieces ---------------------------------------------------------------

  def _decode_and_crop(self, image_bytes, box):
    """One encoded image and its box `[4]` → (crop `[S, S, 3]` float32 of
    uint8 values, transform `[2, 3]`, centre `[2]`, side, (H, W))."""
    image = tf.io.decode_image(image_bytes, channels=3,
                               expand_animations=False)
    hw = tf.shape(image)[:2]
    box = tf.cond(tf.reduce_all(tf.math.is_nan(box)),
                  lambda: _whole_image_box(hw[0], hw[1]), lambda: box)
    tf.debugging.assert_greater(box[2:], box[:2], message=(
        "box must have x1 > x0 and y1 > y0"))
    centre, side = h2d_data.box_crop(box)
    s = self._model.crop_size
    transform = h2d_data.crop_transform(centre, side, s)
    crop = tf.clip_by_value(tf.round(h2d_data.warp_image(image, transform, s)),
                            0.0, 255.0)
    crop = tf.ensure_shape(crop, [s, s, 3])
    return crop, transform, centre, side, tf.cast(hw, tf.float32)

  def _from_images(self, image_bytes, box):
    s = self._model.crop_size
    crops, transforms, centres, sides, sizes = tf.map_fn(
        lambda args: self._decode_and_crop(*args), (image_bytes, box),
        fn_output_signature=(tf.TensorSpec([s, s, 3], tf.float32),
                             tf.TensorSpec([2, 3], tf.float32),
                             tf.TensorSpec([2], tf.float32),
                             tf.TensorSpec([], tf.float32),
                             tf.TensorSpec([2], tf.float32)))
    pred, body = self._model._forward(crops)  # pylint: disable=protected-access
    xy = pred.keypoints.xy
    keypoints = (tf.einsum("bkj,bij->bki", xy, transforms[:, :, :2])
                 + transforms[:, None, :, 2])
    translation = perspective_translation(body.camera, centres, sides, sizes)
    return pred, body, keypoints, translation

  def _outputs(self, pred, body, keypoints) -> Dict[str, tf.Tensor]:
    return {"theta": body.theta, "betas": body.betas, "camera": body.camera,
            "joints": body.joints, "keypoints": keypoints,
            "confidence": pred.keypoints.confidence}

  # -- signatures -----------------------------------------------------------

  def _images(self, image_bytes):
    return self._images_in_boxes(
        image_bytes, tf.fill([tf.shape(image_bytes)[0], 4], float("nan")))

  def _images_in_boxes(self, image_bytes, box):
    tf.debugging.assert_equal(tf.shape(image_bytes)[0], tf.shape(box)[0],
                              message="image_bytes and box differ in N")
    pred, body, keypoints, translation = self._from_images(image_bytes, box)
    out = self._outputs(pred, body, keypoints)
    out["translation"] = translation
    return out

  def _vertices(self, image_bytes):
    box = tf.fill([tf.shape(image_bytes)[0], 4], float("nan"))
    _, body, _, translation = self._from_images(image_bytes, box)
    return {"vertices": body.vertices, "translation": translation}

  def _crops(self, crops):
    pred, body = self._model._forward(  # pylint: disable=protected-access
        tf.cast(crops, tf.float32))
    out = self._outputs(pred, body, pred.keypoints.xy)
    out["silhouette"] = pred.silhouette
    return out

  def _priors(self, keypoints, confidence, silhouette):
    body = self._model.priors(keypoints, tf.clip_by_value(confidence, 0., 1.),
                              silhouette)
    return {"theta": body.theta, "betas": body.betas, "camera": body.camera,
            "joints": body.joints, "vertices": body.vertices}

  def _keypoints(self, keypoints, confidence):
    return self._priors(keypoints, confidence, None)

  def _keypoints_silhouette(self, keypoints, confidence, silhouette):
    return self._priors(keypoints, confidence, silhouette)

  def _body_model(self, theta, betas):
    out = lbs.forward_axis_angle(self._assets, betas, theta)
    return {"vertices": out.vertices, "joints": out.joints}


def perspective_translation(camera, centre, side, image_size):
  """`model.perspective_translation` in TensorFlow (float32) with the
  default focal length (`model.default_focal`)."""
  focal = tf.reduce_max(image_size, axis=-1)
  scale = tf.maximum(camera[:, 0], 1e-6)
  depth = 2.0 * focal / (scale * side)
  principal = (image_size[:, ::-1] - 1.0) / 2.0
  xy = camera[:, 1:] + (centre - principal) * (depth / focal)[:, None]
  return tf.concat([xy, depth[:, None]], axis=1)


def export(model: model_lib.BodyFromImage, output_dir: str,
           version: int = DEFAULT_VERSION, overwrite: bool = False) -> str:
  """Saves `ServingModule(model)` to `output_dir/<version>` (TF Serving's
  layout), written under a temporary name and renamed when complete.

  Returns:
    The version directory.

  Raises:
    ValueError: a version < 1.
    FileExistsError: the version exists and not `overwrite`.
  """
  if version < 1:
    raise ValueError(f"version must be ≥ 1 (TF Serving's versions are "
                     f"positive integers), got {version}.")
  final = os.path.join(output_dir, str(version))
  if os.path.exists(final) and not overwrite:
    raise FileExistsError(f"{final} exists; pass another version or "
                          f"overwrite it.")
  os.makedirs(output_dir, exist_ok=True)
  tmp = os.path.join(output_dir, f".{version}.tmp-{os.getpid()}")
  shutil.rmtree(tmp, ignore_errors=True)
  module = ServingModule(model)
  try:
    tf.saved_model.save(module, tmp, signatures=module.serving_functions)
    if os.path.exists(final):
      shutil.rmtree(final)
    os.replace(tmp, final)
  finally:
    shutil.rmtree(tmp, ignore_errors=True)
  return final
