"""A vectorised NumPy hard rasterizer for small images (silhouettes, z-buffer).

Data generation needs a 64×64 silhouette and the front-most surface at a few
keypoint pixels for ~1,000 bodies a second on two CPU cores. `render/`'s hard
z-buffer is a differentiable TensorFlow renderer of full `Fragments`; here we
need neither gradients nor barycentrics, so this module does the same
pixel-centre test (a pixel is covered when its centre lies inside a projected
triangle, edges included) batched over all faces of all bodies in NumPy:

  1. cull faces seen from the back (closed meshes: the front faces alone give
     the same silhouette and the same nearest surface);
  2. enumerate the pixel centres inside each face's bounding box;
  3. keep those inside the triangle (edge functions) → the silhouette;
  4. for the pixels that were asked about, keep the nearest face (depth
     interpolated as 1/Z, i.e. perspective-correct).

Screen coordinates: pixel (x, y) has its centre at (x, y), origin at the
centre of the top-left pixel, x right, y down (SMPL_CONVENTIONS.md); depth is
the camera-frame Z (metres, positive in front of the camera).
"""

from typing import NamedTuple, Optional

import numpy as np


class Raster(NamedTuple):
  """What a batch of meshes covers.

  Attributes:
    mask: `[B, H, W]` bool silhouettes.
    query_face: `[B, Q]` int32 nearest face at each queried pixel, -1 if none.
    query_depth: `[B, Q]` depth of that face at the pixel centre (inf if none).
  """
  mask: np.ndarray
  query_face: np.ndarray
  query_depth: np.ndarray


def front_facing_sign() -> float:
  """Sign of the screen-space signed area of a front face.

  Faces are counter-clockwise seen from outside in a right-handed frame; the
  OpenCV camera frame is right-handed too, but with y down the screen's
  (x right, y down) orientation flips the winding, so front faces have
  negative `(p1 - p0) × (p2 - p0)`.
  """
  return -1.0


def rasterize(screen: np.ndarray, faces: np.ndarray, height: int, width: int,
              queries: Optional[np.ndarray] = None,
              cull_backfaces: bool = True,
              z_near: float = 1e-3, chunk: int = 32) -> Raster:
  """Rasterizes a batch of meshes at pixel centres.

  Args:
    screen: `[B, V, 3]` (x, y, depth) per vertex: pixel coordinates and
      camera-frame depth.
    faces: `[F, 3]` int vertex indices (shared by the batch), counter-clockwise
      seen from outside.
    height: image height H.
    width: image width W.
    queries: None or `[B, Q, 2]` int (x, y) pixels whose nearest face and depth
      are wanted; pixels outside the image get -1 / inf.
    cull_backfaces: drop faces seen from the back (right for closed meshes).
    z_near: faces with a vertex at depth ≤ z_near are dropped.
    chunk: meshes rasterized together (memory and speed only).

  Returns:
    A Raster.

  Raises:
    ValueError: on shapes that do not fit.
  """
  screen = np.asarray(screen)
  if screen.dtype != np.float32:
    screen = screen.astype(np.float64, copy=False)
  faces = np.asarray(faces)
  if screen.ndim != 3 or screen.shape[-1] != 3:
    raise ValueError(f"screen must have shape [B, V, 3], got {screen.shape}.")
  if faces.ndim != 2 or faces.shape[-1] != 3:
    raise ValueError(f"faces must have shape [F, 3], got {faces.shape}.")
  if queries is not None:
    queries = np.asarray(queries)
    if (queries.ndim != 3 or queries.shape[0] != screen.shape[0] or
        queries.shape[-1] != 2):
      raise ValueError(
          f"queries must have shape [B, Q, 2] with B = {screen.shape[0]}, "
          f"got {queries.shape}.")
  # A few bodies at a time: the per-face temporaries then stay in cache.
  parts = [_rasterize(screen[s:s + chunk], faces, height, width,
                      None if queries is None else queries[s:s + chunk],
                      cull_backfaces, z_near)
           for s in range(0, max(screen.shape[0], 1), chunk)]
  if len(parts) == 1:
    return parts[0]
  return Raster(*(np.concatenate(p) for p in zip(*parts)))


def _rasterize(screen, faces, height, width, queries, cull_backfaces, z_near
               ) -> Raster:
  """`rasterize` on checked inputs."""
  b, num_v = screen.shape[:2]
  hw = height * width
  # Per-face corner coordinates as flat [B·F] gathers from [B·V] planes.
  offset = (np.arange(b, dtype=np.int64) * num_v)[:, None]
  corner = [(offset + faces[:, c]).ravel() for c in range(3)]
  xs, ys, zs = (np.ascontiguousarray(screen[..., c]).ravel()
                for c in range(3))
  x0, x1, x2 = (xs[i] for i in corner)
  # Cheapest tests first; later ones run on the survivors only.
  xmin = np.maximum(np.ceil(np.minimum(np.minimum(x0, x1), x2)), 0)
  xmax = np.minimum(np.floor(np.maximum(np.maximum(x0, x1), x2)), width - 1)
  sel = np.flatnonzero(xmax >= xmin)                 # flat b·F + f
  corner = [c[sel] for c in corner]
  x0, x1, x2, xmin, xmax = (a[sel] for a in (x0, x1, x2, xmin, xmax))
  y0, y1, y2 = (ys[i] for i in corner)
  ymin = np.maximum(np.ceil(np.minimum(np.minimum(y0, y1), y2)), 0)
  ymax = np.minimum(np.floor(np.maximum(np.maximum(y0, y1), y2)), height - 1)
  area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
  keep = (ymax >= ymin) & (np.abs(area) > 1e-12)
  if cull_backfaces:
    keep &= area * front_facing_sign() > 0
  if not np.all(zs > z_near):          # Rare: skip the gathers otherwise.
    keep &= np.minimum(np.minimum(zs[corner[0]], zs[corner[1]]),
                       zs[corner[2]]) > z_near
  idx = np.flatnonzero(keep)
  sel = sel[idx]
  corner = [c[idx] for c in corner]
  x0, x1, x2, y0, y1, y2, area, xmin, xmax, ymin, ymax = (
      a[idx] for a in (x0, x1, x2, y0, y1, y2, area, xmin, xmax, ymin, ymax))
  fsign = np.sign(area)
  nx = (xmax - xmin + 1).astype(np.int64)
  ny = (ymax - ymin + 1).astype(np.int64)
  # Candidate pixel centres: faces whose box holds one (nearly all of them
  # on a coarse surface) first, then the others' enumerated one by one.
  one = (nx == 1) & (ny == 1)
  si = np.flatnonzero(one)
  li = np.flatnonzero(~one)
  count = nx[li] * ny[li]
  l_owner = np.repeat(li, count)
  k = np.arange(len(l_owner), dtype=np.int64) - np.repeat(
      np.cumsum(count) - count, count)
  l_nx = nx[l_owner]
  owner = np.concatenate([si, l_owner])
  px = xmin[owner]
  py = ymin[owner]
  px[len(si):] += k % l_nx
  py[len(si):] += k // l_nx
  ax, ay = x0[owner], y0[owner]
  bx, by = x1[owner], y1[owner]
  qx, qy = x2[owner], y2[owner]
  sign = fsign[owner]
  w0 = ((bx - px) * (qy - py) - (by - py) * (qx - px)) * sign
  w1 = ((qx - px) * (ay - py) - (qy - py) * (ax - px)) * sign
  w2 = ((ax - px) * (by - py) - (ay - py) * (bx - px)) * sign
  inside = (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
  num_f = faces.shape[0]
  cb = sel[owner] // num_f
  key_all = cb * hw + py.astype(np.int64) * width + px.astype(np.int64)
  key = key_all[inside]
  mask = np.zeros(b * hw, dtype=bool)
  mask[key] = True
  mask = mask.reshape(b, height, width)

  if queries is None:
    empty = np.zeros((b, 0))
    return Raster(mask, empty.astype(np.int32), empty)
  q = queries.shape[1]
  qxi, qyi = queries[..., 0].astype(np.int64), queries[..., 1].astype(np.int64)
  q_in = (qxi >= 0) & (qxi < width) & (qyi >= 0) & (qyi < height)
  q_key = np.arange(b)[:, None] * hw + qyi * width + qxi   # [B, Q]
  asked = np.zeros(b * hw, dtype=bool)
  asked[q_key[q_in]] = True
  hit = np.flatnonzero(inside)
  hit = hit[asked[key]]
  hkey = key_all[hit]
  hown = owner[hit]
  hf = sel[hown] % num_f
  wsum = w0[hit] + w1[hit] + w2[hit]
  z = [zs[c[hown]] for c in corner]
  inv_z = (w0[hit] / z[0] + w1[hit] / z[1] + w2[hit] / z[2]) / wsum
  depth = 1.0 / inv_z
  order = np.lexsort((depth, hkey))                        # by key, then depth
  hkey, depth, hf = hkey[order], depth[order], hf[order]
  first = np.ones(len(hkey), dtype=bool)
  first[1:] = hkey[1:] != hkey[:-1]
  best_face = np.full(b * hw, -1, dtype=np.int32)
  best_depth = np.full(b * hw, np.inf)
  best_face[hkey[first]] = hf[first]
  best_depth[hkey[first]] = depth[first]
  safe_key = np.where(q_in, q_key, 0)
  query_face = np.where(q_in, best_face[safe_key], -1).astype(np.int32)
  query_depth = np.where(q_in, best_depth[safe_key], np.inf)
  return Raster(mask, query_face, query_depth)
