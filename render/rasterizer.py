"""Hard z-buffer rasterization of a batch of meshes sharing one topology.

A pixel centre p is covered by a drawn face when all three edge functions of
the face (canonical winding, see `screen_faces`) are ≥ 0 at p, so centres on
a shared edge are covered by both faces and the z-buffer picks one. Among
the faces covering p the one with the smallest depth wins; equal depths go to
the smaller face index.

Algorithm: enumerate (pixel, face) pairs in each face's bounding box
(`screen_faces.enumerate_pairs` with radius 0), keep covered pairs, and take
per pixel the minimum of a 64-bit key (order-preserving bits of the float32
depth, face index) with `unsorted_segment_min`. Memory is O(P) with
P = Σ_faces (bounding-box pixels) ≈ the covered area times the depth
complexity, plus O(B·H·W). Barycentrics and depth are then recomputed densely
per pixel from the winning face with ordinary TF ops, so they are
differentiable with respect to the vertices (face ids and the mask are not).
"""

import dataclasses
from typing import Optional, Tuple

import tensorflow as tf

from render import fragments as fragments_lib
from render import screen_faces

_EMPTY = tf.int64.max


@dataclasses.dataclass(frozen=True)
class RasterSettings:
  """How to rasterize.

  Attributes:
    image_size: (H, W) pixels.
    cull_backfaces: drop faces facing away from the camera (exact and faster
      for closed meshes seen from outside).
    z_near: faces with a vertex at depth ≤ z_near are dropped (not clipped);
      None keeps all depths (weak perspective / orthographic).
    perspective_correct: interpolate barycentrics and depth linearly in 1/Z
      (perspective cameras); False interpolates linearly on screen
      (orthographic / weak perspective).
  """
  image_size: Tuple[int, int]
  cull_backfaces: bool = False
  z_near: Optional[float] = 1e-3
  perspective_correct: bool = True

  def __post_init__(self):
    screen_faces.check_image_size(self.image_size)


def _order_preserving_bits(depth: tf.Tensor) -> tf.Tensor:
  """int64 whose order is the order of the float32 depth (negatives too)."""
  bits = tf.bitcast(tf.cast(depth, tf.float32), tf.int32)
  bits = tf.where(bits < 0, tf.bitwise.bitwise_xor(bits, 0x7FFFFFFF), bits)
  return tf.cast(bits, tf.int64)


def _edge_functions(xy: tf.Tensor, px: tf.Tensor, py: tf.Tensor) -> tf.Tensor:
  """h_i(p) = cross(v_{i+1} − v_i, p − v_i), `[..., 3]`, for corners
  `xy [..., 3, 2]` and points (px, py) `[...]`."""
  start = xy
  edge = tf.roll(xy, shift=-1, axis=-2) - xy
  dx = px[..., None] - start[..., 0]
  dy = py[..., None] - start[..., 1]
  return edge[..., 0] * dy - edge[..., 1] * dx


def _zbuffer(screen: screen_faces.ScreenFaces, image_size, num_faces,
             perspective_correct: bool) -> tf.Tensor:
  """`[B·H·W]` int32 face index (per mesh) of the nearest covering face, −1
  where none."""
  height, width = image_size
  pairs = screen_faces.enumerate_pairs(screen, image_size, radius=0.0)
  xy = tf.reshape(tf.stop_gradient(screen.xy), [-1, 3, 2])
  depth = tf.reshape(tf.stop_gradient(screen.depth), [-1, 3])
  corners = tf.gather(xy, pairs.face)  # [P, 3, 2]
  px = tf.gather(pairs.box_x, pairs.face) + pairs.local_x
  py = tf.gather(pairs.box_y, pairs.face) + pairs.local_y
  h = _edge_functions(corners, px, py)  # [P, 3]
  covered = tf.reduce_min(h, axis=1) >= 0
  h = tf.boolean_mask(h, covered)
  face = tf.boolean_mask(pairs.face, covered)
  pixel = tf.boolean_mask(pairs.pixel, covered)
  z = tf.gather(depth, face)
  # Corner i is opposite edge i+1: its barycentric is h_{i+1} / Σh.
  bary = tf.roll(h, shift=-1, axis=1) / tf.reduce_sum(h, axis=1, keepdims=True)
  if perspective_correct:
    z = 1.0 / tf.reduce_sum(bary / z, axis=1)
  else:
    z = tf.reduce_sum(bary * z, axis=1)
  key = _order_preserving_bits(z) * (1 << 32) + tf.cast(face % num_faces,
                                                        tf.int64)
  batch = tf.shape(screen.valid)[0]
  best = tf.math.unsorted_segment_min(key, pixel, batch * height * width)
  face_ids = tf.cast(tf.bitwise.bitwise_and(best, 0xFFFFFFFF), tf.int32)
  return tf.where(best == _EMPTY, -1, face_ids)


def rasterize(verts_screen, faces,
              settings: RasterSettings) -> fragments_lib.Fragments:
  """Rasterizes a batch of meshes with a hard z-buffer.

  Args:
    verts_screen: `[B, V, 3]` (u, v, depth) per vertex, from a camera's
      `transform_points_screen`.
    faces: `[F, 3]` int vertex indices, counter-clockwise seen from outside.
    settings: a `RasterSettings`.

  Returns:
    `Fragments` with `[B, H, W]` face ids, `[B, H, W, 3]` barycentrics,
    `[B, H, W]` depth and mask.

  Raises:
    ValueError: if a shape is wrong.
  """
  verts_screen, faces = screen_faces.check_mesh(verts_screen, faces)
  height, width = settings.image_size
  screen = screen_faces.setup_faces(verts_screen, faces,
                                    settings.cull_backfaces, settings.z_near)
  batch = tf.shape(verts_screen)[0]
  num_faces = tf.shape(faces)[0]
  face_ids = tf.reshape(
      _zbuffer(screen, settings.image_size, num_faces,
               settings.perspective_correct), [batch, height, width])
  mask = face_ids >= 0

  # Dense, differentiable interpolation from the winning face of each pixel.
  # Background pixels read a padding face appended at index F (so that an
  # empty face list works too).
  safe_ids = tf.where(mask, face_ids, num_faces)

  def padded(values, fill):
    pad = tf.fill(tf.concat([[batch, 1], tf.shape(values)[2:]], 0),
                  tf.constant(fill, values.dtype))
    return tf.gather(tf.concat([values, pad], axis=1), safe_ids, batch_dims=1)

  xy = padded(screen.xy, 0)  # [B, H, W, 3, 2]
  depth = padded(screen.depth, 1)  # [B, H, W, 3]
  flipped = padded(screen.flipped, False)  # [B, H, W]
  dtype = xy.dtype
  py, px = tf.meshgrid(tf.range(height, dtype=dtype),
                       tf.range(width, dtype=dtype), indexing="ij")
  h = _edge_functions(xy, px[None], py[None])
  area = tf.reduce_sum(h, axis=-1, keepdims=True)
  safe_area = tf.where(mask[..., None], area, tf.ones_like(area))
  bary = tf.roll(h, shift=-1, axis=-1) / safe_area
  if settings.perspective_correct:
    weighted = bary / depth
    inverse_depth = tf.reduce_sum(weighted, axis=-1, keepdims=True)
    safe_inverse = tf.where(mask[..., None], inverse_depth,
                            tf.ones_like(inverse_depth))
    bary = weighted / safe_inverse
    surface_depth = 1.0 / safe_inverse[..., 0]
  else:
    surface_depth = tf.reduce_sum(bary * depth, axis=-1)
  # Back to the order of `faces`: canonical corners are (0, 2, 1) if flipped.
  bary = tf.where(flipped[..., None], tf.gather(bary, [0, 2, 1], axis=-1),
                  bary)
  zero = tf.zeros_like(surface_depth)
  return fragments_lib.Fragments(
      face_ids=face_ids,
      bary=tf.where(mask[..., None], bary, tf.zeros_like(bary)),
      depth=tf.where(mask, surface_depth, zero),
      mask=mask)


def silhouette(fragments: fragments_lib.Fragments) -> tf.Tensor:
  """`[B, H, W]` float32 hard silhouette (1 where a face covers the pixel)."""
  return tf.cast(fragments.mask, tf.float32)
