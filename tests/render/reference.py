"""Slow, obviously correct NumPy (float64) rasterizers, to check the fast ones.

One face and one pixel at a time; no culling tricks, no truncation.
Conventions as in `render`: pixel (x, y) has its centre at (x, y); faces are
counter-clockwise seen from outside, so front faces have negative signed
screen area (y down).
"""

import numpy as np


def _signed_area2(a, b, c):
  return (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])


def drawn(corners, cull_backfaces, z_near):
  """Whether a face with corners [3, 3] (u, v, depth) is drawn."""
  if not np.all(np.isfinite(corners)):
    return False
  if z_near is not None and np.any(corners[:, 2] <= z_near):
    return False
  area2 = _signed_area2(*corners[:, :2])
  if abs(area2) <= 2e-8:
    return False
  return not (cull_backfaces and area2 > 0)


def barycentric(p, a, b, c):
  """Screen barycentrics of point p in triangle (a, b, c), by areas."""
  area = _signed_area2(a, b, c)
  return np.array([_signed_area2(p, b, c), _signed_area2(a, p, c),
                   _signed_area2(a, b, p)]) / area


def hard(verts_screen, faces, height, width, cull_backfaces=False,
         z_near=1e-3, perspective_correct=True):
  """Face ids [H, W] (-1 background), depth [H, W], bary [H, W, 3]."""
  face_ids = -np.ones((height, width), np.int64)
  depth = np.zeros((height, width))
  bary = np.zeros((height, width, 3))
  best = np.full((height, width), np.inf)
  for f, face in enumerate(faces):
    corners = verts_screen[face].astype(np.float64)
    if not drawn(corners, cull_backfaces, z_near):
      continue
    for y in range(height):
      for x in range(width):
        b = barycentric(np.array([x, y], np.float64), *corners[:, :2])
        if np.any(b < 0):
          continue
        z = corners[:, 2]
        if perspective_correct:
          w = b / z
          d = 1.0 / w.sum()
          b = w * d
        else:
          d = b @ z
        if d < best[y, x]:
          best[y, x] = d
          face_ids[y, x] = f
          depth[y, x] = d
          bary[y, x] = b
  return face_ids, depth, bary


def segment_distance2(p, a, b):
  """Squared distance from point p to segment ab."""
  ab = b - a
  t = np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0.0, 1.0)
  return np.sum((p - (a + t * ab)) ** 2)


def signed_distance2(p, a, b, c):
  """Squared distance from p to the triangle's boundary, > 0 inside."""
  d = min(segment_distance2(p, a, b), segment_distance2(p, b, c),
          segment_distance2(p, c, a))
  inside = np.all(barycentric(p, a, b, c) > 0)
  return d if inside else -d


def soft(verts_screen, faces, height, width, sigma, cull_backfaces=False,
         z_near=1e-3):
  """SoftRas silhouette [H, W]: 1 − Π_f (1 − sigmoid(d / σ))."""
  transmittance = np.ones((height, width))
  for face in faces:
    corners = verts_screen[face].astype(np.float64)
    if not drawn(corners, cull_backfaces, z_near):
      continue
    for y in range(height):
      for x in range(width):
        d = signed_distance2(np.array([x, y], np.float64), *corners[:, :2])
        coverage = 0.5 * (1.0 + np.tanh(0.5 * d / sigma))  # sigmoid(d / σ)
        transmittance[y, x] *= 1.0 - coverage
  return 1.0 - transmittance
