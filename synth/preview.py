"""Contact sheets: silhouettes with keypoint skeletons, for looking at data.

Each cell shows one sample at the crop size S: the silhouette (grey,
upsampled from R×R), the skeleton of the keypoint set (the body's left in
blue, right in orange, centre in green), visible keypoints as filled dots,
occluded ones as rings (out-of-frame ones are not drawn), and the pose family.
"""

import cv2
import numpy as np

from body import keypoints as keypoints_lib
from synth import pose_prior
from synth import sample as sample_lib

_LEFT = (235, 140, 40)     # BGR blue
_RIGHT = (30, 140, 250)    # BGR orange
_CENTRE = (60, 200, 60)


def side_colour(name: str):
  """BGR colour of a keypoint or bone by side (left blue, right orange)."""
  if name.startswith("left"):
    return _LEFT
  if name.startswith("right"):
    return _RIGHT
  return _CENTRE


def draw_sample(batch: sample_lib.SampleBatch, i: int,
                kset: keypoints_lib.KeypointSet, size: int) -> np.ndarray:
  """`[size, size, 3]` uint8 BGR picture of sample i."""
  sil = batch.silhouette[i].astype(np.uint8) * 150 + 40
  img = cv2.resize(sil, (size, size), interpolation=cv2.INTER_NEAREST)
  img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
  kp = batch.keypoints2d[i]
  vis = batch.visibility[i]
  scale = size / batch_crop_size(batch)
  pts = np.round((kp + 0.5) * scale - 0.5).astype(int)
  for a, b in kset.edges:
    if vis[a] and vis[b]:
      color = (side_colour(kset.names[a])
               if kset.names[a][:4] == kset.names[b][:4] else _CENTRE)
      cv2.line(img, tuple(pts[a]), tuple(pts[b]), color, 2, cv2.LINE_AA)
  for k in range(kset.size):
    if vis[k] == sample_lib.VISIBLE:
      cv2.circle(img, tuple(pts[k]), 3, side_colour(kset.names[k]), -1,
                 cv2.LINE_AA)
    elif vis[k] == sample_lib.OCCLUDED:
      cv2.circle(img, tuple(pts[k]), 4, (0, 0, 230), 1, cv2.LINE_AA)
  fam = int(batch.family[i])
  label = pose_prior.FAMILIES[fam] if fam >= 0 else "bank"
  cv2.putText(img, label, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
              (255, 255, 255), 1, cv2.LINE_AA)
  return img


def batch_crop_size(batch: sample_lib.SampleBatch) -> float:
  """The crop side S, recovered from the principal point (S - 1) / 2."""
  return float(2 * batch.principal_point[0, 0] + 1)


def contact_sheet(batch: sample_lib.SampleBatch,
                  kset: keypoints_lib.KeypointSet, columns: int = 8,
                  cell: int = 192) -> np.ndarray:
  """A grid of `draw_sample` cells, `[rows·cell, columns·cell, 3]` BGR."""
  n = len(batch)
  rows = max(1, -(-n // columns))
  sheet = np.full((rows * cell, columns * cell, 3), 255, np.uint8)
  for i in range(n):
    r, c = divmod(i, columns)
    tile = draw_sample(batch, i, kset, cell)
    cv2.rectangle(tile, (0, 0), (cell - 1, cell - 1), (255, 255, 255), 1)
    sheet[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = tile
  return sheet


def write_png(path: str, image: np.ndarray) -> None:
  """Writes a PNG, raising if OpenCV cannot."""
  if not cv2.imwrite(path, image):
    raise OSError(f"could not write {path}.")
