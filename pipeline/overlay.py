"""The overlay picture: predicted meshes shaded over the photo, skeletons on
top.

All persons of an image are rasterized together (one z-buffer), so nearer
bodies hide farther ones. Large photos are drawn at most `max_side` pixels
wide or high (the picture is for looking at, and the z-buffer's cost grows
with the pixel count).
"""

import cv2
import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from pipeline import drawing
from pipeline import model as model_lib
from render import camera as camera_lib
from render import rasterizer


def fit_to(image: np.ndarray, max_side: int = 1024) -> np.ndarray:
  """`image` scaled down so that neither side exceeds `max_side`."""
  height, width = image.shape[:2]
  k = min(1.0, max_side / max(height, width))
  if k >= 1.0:
    return image.copy()
  size = (max(1, round(width * k)), max(1, round(height * k)))
  return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def render_overlay(image: np.ndarray, prediction: model_lib.BodyPrediction,
                   faces: np.ndarray, max_side: int = 1024,
                   alpha: float = 0.7, min_confidence: float = 0.0
                   ) -> np.ndarray:
  """`[h, w, 3]` uint8 BGR: `image` `[H, W, 3]` (scaled to fit `max_side`)
  with every person of `prediction` (full-perspective, at its translation
  and focal length) and its keypoints."""
  image = np.asarray(image)
  if image.ndim != 3 or image.shape[2] != 3:
    raise ValueError(f"image must be [H, W, 3], got {image.shape}.")
  height, width = image.shape[:2]
  picture = fit_to(image, max_side)
  size = picture.shape[:2]
  k_y, k_x = size[0] / height, size[1] / width
  n = len(prediction.vertices)
  if n == 0:
    return picture
  # One mesh of all persons, in the camera frame.
  verts = prediction.vertices + prediction.translation[:, None]
  num_v = verts.shape[1]
  scene = verts.reshape(1, -1, 3).astype(np.float32)
  scene_faces = (np.asarray(faces)[None] +
                 num_v * np.arange(n)[:, None, None]).reshape(-1, 3)
  # The same pinhole camera, on the resized picture (pixel centres at
  # integers: u' = (u + ½) k − ½).
  focal = float(prediction.focal[0])
  cam = camera_lib.PerspectiveCamera(
      focal=[focal * k_x, focal * k_y],
      principal_point=[(size[1] - 1) / 2.0, (size[0] - 1) / 2.0])
  pts = tf.constant(scene)
  frags = rasterizer.rasterize(
      cam.transform_points_screen(pts), scene_faces,
      rasterizer.RasterSettings(image_size=size, cull_backfaces=True,
                                jit_compile=False))
  shaded = drawing.shade(frags, scene.astype(np.float64), scene_faces)[0]
  mask = frags.face_ids.numpy()[0] >= 0
  picture = drawing.blend(picture, shaded, mask, alpha)
  kset = keypoints_lib.get(prediction.keypoint_set)
  scale = np.array([k_x, k_y])
  thickness = max(1, round(max(size) / 300))
  for xy, conf in zip(prediction.keypoints_image, prediction.confidence):
    drawing.draw_skeleton(picture, (xy + 0.5) * scale - 0.5, kset, conf,
                          min_confidence, thickness)
  return picture
