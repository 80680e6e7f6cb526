"""Contact sheets of rendered images, optionally with their labels drawn.

Labels: the person outline (`silhouette256`'s contour, white), the keypoint
skeleton (the body's left in blue, right in orange, centre in green; bones
between two seen keypoints solid), seen keypoints as filled dots, hidden
ones inside the crop as red rings.
"""

from typing import Dict

import cv2
import numpy as np

from body import keypoints as keypoints_lib
from synth import preview

_HIDDEN = (230, 30, 30)     # RGB


def _side(name: str):
  """RGB colour by side, as `synth.preview` draws samples."""
  return preview.side_colour(name)[::-1]


def draw_labels(image: np.ndarray, example: Dict[str, np.ndarray],
                kset: keypoints_lib.KeypointSet, size: int) -> np.ndarray:
  """`[size, size, 3]` uint8 RGB: the image resized, labels drawn on it."""
  scale = size / image.shape[0]
  img = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
  sil = cv2.resize(example["silhouette256"].astype(np.uint8), (size, size),
                   interpolation=cv2.INTER_NEAREST)
  contours, _ = cv2.findContours(sil, cv2.RETR_EXTERNAL,
                                 cv2.CHAIN_APPROX_SIMPLE)
  cv2.drawContours(img, contours, -1, (255, 255, 255), 1, cv2.LINE_AA)
  pts = np.round((example["keypoints"] + 0.5) * scale - 0.5).astype(int)
  seen = example["visible"] > 0
  inside = example["in_image"] > 0
  for a, b in kset.edges:
    if inside[a] and inside[b]:
      colour = (_side(kset.names[a]) if kset.names[a][:4] ==
                kset.names[b][:4] else preview.side_colour("")[::-1])
      cv2.line(img, tuple(map(int, pts[a])), tuple(map(int, pts[b])), colour,
               2 if seen[a] and seen[b] else 1, cv2.LINE_AA)
  for k in range(kset.size):
    if seen[k]:
      cv2.circle(img, tuple(map(int, pts[k])), 2, _side(kset.names[k]), -1,
                 cv2.LINE_AA)
    elif inside[k]:
      cv2.circle(img, tuple(map(int, pts[k])), 3, _HIDDEN, 1, cv2.LINE_AA)
  return img


def contact_sheet(batch: Dict[str, np.ndarray],
                  kset: keypoints_lib.KeypointSet, columns: int = 8,
                  cell: int = 128, labels: bool = True) -> np.ndarray:
  """A grid of the batch's images, `[rows·cell, columns·cell, 3]` RGB."""
  n = len(batch["image"])
  rows = max(1, -(-n // columns))
  sheet = np.full((rows * cell, columns * cell, 3), 255, np.uint8)
  for i in range(n):
    r, c = divmod(i, columns)
    example = {k: v[i] for k, v in batch.items()}
    tile = (draw_labels(batch["image"][i], example, kset, cell) if labels
            else cv2.resize(batch["image"][i], (cell, cell),
                            interpolation=cv2.INTER_AREA))
    sheet[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = tile
  return sheet


def write_image(path: str, rgb: np.ndarray, jpeg_quality: int = 85) -> None:
  """Writes an RGB image (.jpg at `jpeg_quality`, or .png)."""
  if not cv2.imwrite(path, rgb[..., ::-1],
                     [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]):
    raise OSError(f"could not write {path!r}.")
