"""Pictures of meshes and skeletons: z-buffer shading, skeletons, overlays.

Shared by the demo and the image-to-mesh command. Images are BGR uint8
(OpenCV's order), `[H, W, 3]` (or `[B, H, W, 3]` for `shade`).
"""

import os

import cv2
import numpy as np

from body import keypoints

BACKGROUND = 40  # Grey level `shade` leaves where no face is visible.


def shade(frags, verts_cam: np.ndarray, faces: np.ndarray) -> np.ndarray:
  """[B, H, W, 3] uint8 Lambert shading of the visible faces, grey floor.

  Args:
    frags: `render.rasterizer.rasterize`'s fragments (`face_ids` [B, H, W]).
    verts_cam: `[B, V, 3]` camera-frame vertices (OpenCV axes).
    faces: `[F, 3]`.
  """
  tri = verts_cam[:, faces]                                   # [B, F, 3, 3]
  normals = np.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0])
  normals /= np.linalg.norm(normals, axis=-1, keepdims=True) + 1e-12
  light = np.array([0.3, -0.4, -1.0])
  light /= np.linalg.norm(light)
  lambert = np.clip(normals @ light, 0.0, 1.0)                # [B, F]
  ids = np.asarray(frags.face_ids)
  b = np.arange(ids.shape[0])[:, None, None]
  value = np.where(ids >= 0, lambert[b, np.maximum(ids, 0)], 0.0)
  skin = np.array([150, 180, 225], np.float32)  # BGR
  image = 0.25 * skin + 0.75 * skin * value[..., None]
  image = np.where((ids >= 0)[..., None], image, float(BACKGROUND))
  return image.astype(np.uint8)


def draw_skeleton(image: np.ndarray, points: np.ndarray,
                  kset: keypoints.KeypointSet, confidence=None,
                  min_confidence: float = 0.0, thickness: int = 2) -> None:
  """Draws `points` `[K, 2]` (pixels) joined by `kset.edges` into `image`
  in place: left side green, right side red. With `confidence` `[K]`,
  points at or below `min_confidence` and their edges are left out."""
  points = np.asarray(points, np.float64)
  if points.shape != (kset.size, 2):
    raise ValueError(f"points must be [{kset.size}, 2] for {kset.name}, got "
                     f"{points.shape}.")
  keep = np.all(np.isfinite(points), axis=-1)
  if confidence is not None:
    keep &= np.asarray(confidence) > min_confidence
  for a, b in kset.edges:
    if not (keep[a] and keep[b]):
      continue
    pa = tuple(int(round(v)) for v in points[a])
    pb = tuple(int(round(v)) for v in points[b])
    left = "left" in kset.names[a] or "left" in kset.names[b]
    cv2.line(image, pa, pb, (60, 200, 60) if left else (60, 60, 230),
             thickness, cv2.LINE_AA)
  for p in points[keep]:
    cv2.circle(image, tuple(int(round(v)) for v in p), thickness + 1,
               (255, 255, 255), -1, cv2.LINE_AA)


def label(image: np.ndarray, text: str) -> np.ndarray:
  """A copy of `image` with `text` in its top-left corner."""
  out = image.copy()
  cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
              (255, 255, 255), 1, cv2.LINE_AA)
  return out


def blend(photo: np.ndarray, shaded: np.ndarray, mask: np.ndarray,
          alpha: float = 0.7) -> np.ndarray:
  """`shaded` over `photo` (both `[H, W, 3]` uint8) where `mask` `[H, W]`,
  with opacity `alpha`."""
  if photo.shape != shaded.shape or photo.shape[:2] != mask.shape:
    raise ValueError(f"photo {photo.shape}, shaded {shaded.shape} and mask "
                     f"{mask.shape} must agree.")
  mixed = (1 - alpha) * photo.astype(np.float32) + alpha * shaded
  return np.where(mask[..., None], mixed, photo).astype(np.uint8)


def write_png(path: str, image: np.ndarray) -> None:
  """Writes a PNG atomically (temporary file, then rename)."""
  tmp = f"{path}.tmp-{os.getpid()}.png"
  if not cv2.imwrite(tmp, image):
    raise OSError(f"could not write {path}")
  os.replace(tmp, path)
