"""Person crops: a box (or keypoints) → the square crop Human2D reads, and
back.

The crop follows Human2D's training protocol (`human2d.data`): centred on
the person box, side `BOX_MARGIN` (1.25) × the box's larger side, resampled
to S×S pixels. `Crop.transform` maps crop pixels to image pixels, so every
2D output in crop pixels is also given in the original image
(`to_image`). Pixel coordinates put pixel centres at integers.

Boxes are `[4]` (x0, y0, x1, y1) in image pixels.
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from human2d import data as h2d_data

# Keypoints lie inside the body (no head top, no toes): their box is widened
# by this factor before the standard crop margin is added.
KEYPOINT_BOX_MARGIN = 1.2


class Crop(NamedTuple):
  """One person's crop.

  Attributes:
    image: `[S, S, 3]` uint8 crop.
    transform: `[2, 3]` float32 A with image = A @ (crop, 1).
    centre: `[2]` image pixels at the crop's centre.
    side: the image length (pixels) the crop's side spans.
    box: `[4]` the person box it was made from.
  """
  image: np.ndarray
  transform: np.ndarray
  centre: np.ndarray
  side: float
  box: np.ndarray


def _check_box(box) -> np.ndarray:
  box = np.asarray(box, np.float32)
  if box.shape != (4,) or not np.all(np.isfinite(box)):
    raise ValueError(f"box must be 4 finite numbers (x0, y0, x1, y1), got "
                     f"{box!r}.")
  if box[2] <= box[0] or box[3] <= box[1]:
    raise ValueError(f"box must have x1 > x0 and y1 > y0, got {box.tolist()}.")
  return box


def whole_image_box(height: int, width: int) -> np.ndarray:
  """The box of the whole image (the crop is then centred on the image)."""
  if height < 1 or width < 1:
    raise ValueError(f"image size must be positive, got {height}×{width}.")
  # The crop adds BOX_MARGIN; divide it out so the crop spans the image.
  side = max(height, width) / h2d_data.BOX_MARGIN
  cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
  return np.array([cx - side / 2, cy - side / 2, cx + side / 2,
                   cy + side / 2], np.float32)


def box_from_keypoints(xy, confidence=None,
                       min_confidence: float = 0.0) -> np.ndarray:
  """The box `[4]` of keypoints `[K, 2]` (those with confidence above
  `min_confidence`), widened by `KEYPOINT_BOX_MARGIN` about its centre."""
  xy = np.asarray(xy, np.float32)
  if xy.ndim != 2 or xy.shape[1] != 2:
    raise ValueError(f"keypoints must be [K, 2], got {xy.shape}.")
  keep = np.all(np.isfinite(xy), axis=-1)
  if confidence is not None:
    confidence = np.asarray(confidence, np.float32)
    if confidence.shape != xy.shape[:1]:
      raise ValueError(f"confidence must be [{len(xy)}], got "
                       f"{confidence.shape}.")
    keep &= confidence > min_confidence
  if keep.sum() < 2:
    raise ValueError(f"need at least 2 keypoints above confidence "
                     f"{min_confidence} for a box, got {int(keep.sum())}.")
  lo, hi = xy[keep].min(axis=0), xy[keep].max(axis=0)
  centre, half = 0.5 * (lo + hi), 0.5 * KEYPOINT_BOX_MARGIN * (hi - lo)
  half = np.maximum(half, 4.0)
  return np.concatenate([centre - half, centre + half]).astype(np.float32)


def crop_from_box(image: np.ndarray, box, size: int) -> Crop:
  """The S×S crop (`size`) of `image` `[H, W, 3]` uint8 around `box`."""
  image = np.asarray(image)
  if image.ndim != 3 or image.shape[2] != 3:
    raise ValueError(f"image must be [H, W, 3], got {image.shape}.")
  if size < 8:
    raise ValueError(f"size must be ≥ 8, got {size}.")
  box = _check_box(box)
  centre, side = h2d_data.box_crop(tf.constant(box))
  transform = h2d_data.crop_transform(centre, side, size)
  crop = h2d_data.warp_image(image, transform, size)
  pixels = np.clip(np.round(crop.numpy()), 0, 255).astype(np.uint8)
  return Crop(image=pixels, transform=transform.numpy(),
              centre=centre.numpy(), side=float(side.numpy()), box=box)


def to_image(points, transform) -> np.ndarray:
  """Crop pixels `[..., 2]` → image pixels through `transform` `[2, 3]`."""
  points = np.asarray(points, np.float32)
  transform = np.asarray(transform, np.float32)
  if points.shape[-1:] != (2,) or transform.shape != (2, 3):
    raise ValueError(f"points must be [..., 2] and transform [2, 3], got "
                     f"{points.shape} and {transform.shape}.")
  return points @ transform[:, :2].T + transform[:, 2]


def to_crop(points, transform) -> np.ndarray:
  """Image pixels `[K, 2]` → crop pixels (`human2d.data.transform_points`)."""
  points = np.asarray(points, np.float32)
  if points.ndim != 2 or points.shape[1] != 2:
    raise ValueError(f"points must be [K, 2], got {points.shape}.")
  return h2d_data.transform_points(
      tf.constant(points), tf.constant(transform, tf.float32)).numpy()

