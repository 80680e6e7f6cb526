"""Hard z-buffer rasterization of a batch of meshes sharing one topology.

A pixel centre p is covered by a drawn face when its three barycentrics are
≥ −1e-6 (edge functions in canonical winding, see `screen_faces`), so centres
on a shared edge are covered by both faces, whatever the rounding, and the
z-buffer picks one. Among
the faces covering p the one with the smallest depth wins; equal depths go to
the smaller face index.

Algorithm: enumerate the pixels of each face's bounding box in row spans of
4 (`screen_faces.enumerate_spans`), test coverage, and take per pixel the
minimum of a 64-bit key (order-preserving bits of the float32 depth, face
index) with `unsorted_segment_min`, in one XLA kernel. Memory is O(P) with
P = Σ_faces (bounding-box pixels, rounded up to spans) ≈ the covered area
times the depth complexity, plus O(B·H·W). Barycentrics and depth are then recomputed densely
per pixel from the winning face with ordinary TF ops, so they are
differentiable with respect to the vertices (face ids and the mask are not).
"""

import dataclasses
import functools
from typing import Optional, Tuple

import tensorflow as tf

from body import finite
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
    jit_compile: run the z-buffer kernel with XLA (compiled once per padded
      problem size).
  """
  image_size: Tuple[int, int]
  cull_backfaces: bool = False
  z_near: Optional[float] = 1e-3
  perspective_correct: bool = True
  jit_compile: bool = True

  def __post_init__(self):
    finite.check_fields(self)
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


_EDGE_TOLERANCE = 1e-6  # barycentric slack at edges, see the kernel
_SPAN = 4  # pixels per span of a box row (see screen_faces.enumerate_spans)


@functools.lru_cache(maxsize=None)
def _zbuffer_kernel(width: int, pixels_per_image: int, num_faces: int,
                    perspective_correct: bool, jit_compile: bool):
  """Per pixel, the smallest (depth, face) key among covering faces."""

  def kernel(xy, depth, spans):
    face = spans.face
    span_index = tf.range(tf.shape(face)[0])
    box = tf.gather(spans.box, face)  # [U', 4]
    local = span_index - tf.gather(spans.first_span, face)
    chunks = tf.gather(spans.chunks, face)
    row = local // chunks
    column = ((local - row * chunks) * _SPAN)[:, None] + tf.range(_SPAN)
    used = (column < box[:, 2:3]) & (span_index < spans.num_spans)[:, None]
    pixel = tf.where(used, box[:, 3:4] + (row * width)[:, None] + column, -1)
    px = tf.cast(box[:, 0:1] + column, xy.dtype)  # [U', S]
    py = tf.cast(box[:, 1:2] + row[:, None], xy.dtype)
    corners = tf.gather(xy, face)[:, None]  # [U', 1, 3, 2]
    h = _edge_functions(corners, px, py)  # [U', S, 3]
    total = tf.reduce_sum(h, axis=-1, keepdims=True)  # twice the area
    # Centres on an edge shared by two faces must not fall between them
    # whichever way the rounding goes (XLA may fuse a·b − c·d into an FMA):
    # barycentrics down to −1e-6 count as inside.
    covered = used & (tf.reduce_min(h, axis=-1) >= -_EDGE_TOLERANCE *
                      total[..., 0])
    # Corner i is opposite edge i+1: its barycentric is h_{i+1} / Σh.
    bary = tf.roll(h, shift=-1, axis=-1) / tf.where(covered[..., None], total,
                                                    tf.ones_like(total))
    z = tf.gather(depth, face)[:, None]  # [U', 1, 3]
    if perspective_correct:
      inverse = tf.reduce_sum(bary / z, axis=-1)
      z = 1.0 / tf.where(covered, inverse, tf.ones_like(inverse))
    else:
      z = tf.reduce_sum(bary * z, axis=-1)
    key = _order_preserving_bits(z) * (1 << 32) + tf.cast(
        face % num_faces, tf.int64)[:, None]
    key = tf.where(covered, key, _EMPTY)
    num_pixels = tf.shape(xy)[0] // num_faces * pixels_per_image
    return tf.math.unsorted_segment_min(tf.reshape(key, [-1]),
                                        tf.reshape(pixel, [-1]), num_pixels)

  return tf.function(kernel, jit_compile=jit_compile, reduce_retracing=True)


def _zbuffer(screen: screen_faces.ScreenFaces, image_size, num_faces: int,
             perspective_correct: bool, jit_compile: bool) -> tf.Tensor:
  """`[B·H·W]` int32 face index (per mesh) of the nearest covering face, −1
  where none."""
  height, width = image_size
  if num_faces == 0:
    return tf.fill([tf.shape(screen.valid)[0] * height * width], -1)
  screen = screen_faces.ScreenFaces(
      xy=tf.stop_gradient(screen.xy), depth=tf.stop_gradient(screen.depth),
      flipped=screen.flipped, valid=screen.valid)
  spans = screen_faces.enumerate_spans(screen, image_size, 0.0, _SPAN,
                                       jit_compile)
  kernel = _zbuffer_kernel(width, height * width, num_faces,
                           perspective_correct, jit_compile)
  best = kernel(tf.reshape(screen.xy, [-1, 3, 2]),
                tf.reshape(screen.depth, [-1, 3]), spans)
  # Pixels no face covers hold the largest int64 (or −1 padding keys).
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
  setup = (_setup_faces_xla if settings.jit_compile
           else screen_faces.setup_faces)
  screen = setup(verts_screen, faces, settings.cull_backfaces,
                 settings.z_near)
  batch = tf.shape(verts_screen)[0]
  if faces.shape[0] is None:
    raise ValueError("faces must have a static number of faces; got shape "
                     f"{faces.shape}.")
  num_faces = faces.shape[0]
  face_ids = tf.reshape(
      _zbuffer(screen, settings.image_size, num_faces,
               settings.perspective_correct, settings.jit_compile),
      [batch, height, width])
  interpolate = _interpolate_xla if settings.jit_compile else _interpolate
  bary, depth = interpolate(screen.xy, screen.depth, screen.flipped, face_ids,
                            settings.perspective_correct)
  return fragments_lib.Fragments(face_ids=face_ids, bary=bary, depth=depth,
                                 mask=face_ids >= 0)


def _interpolate(xy, depth, flipped, face_ids, perspective_correct: bool):
  """Dense, differentiable interpolation from the winning face of each
  pixel: (bary `[B, H, W, 3]`, depth `[B, H, W]`), zero on the background."""
  batch, height, width = (tf.shape(face_ids)[0], tf.shape(face_ids)[1],
                          tf.shape(face_ids)[2])
  num_faces = tf.shape(xy)[1]
  mask = face_ids >= 0
  # Background pixels read a padding face appended at index F (so that an
  # empty face list works too).
  safe_ids = tf.where(mask, face_ids, num_faces)

  def padded(values, fill):
    pad = tf.fill(tf.concat([[batch, 1], tf.shape(values)[2:]], 0),
                  tf.constant(fill, values.dtype))
    return tf.gather(tf.concat([values, pad], axis=1), safe_ids, batch_dims=1)

  xy = padded(xy, 0)  # [B, H, W, 3, 2]
  depth = padded(depth, 1)  # [B, H, W, 3]
  flipped = padded(flipped, False)  # [B, H, W]
  dtype = xy.dtype
  py, px = tf.meshgrid(tf.range(height, dtype=dtype),
                       tf.range(width, dtype=dtype), indexing="ij")
  h = _edge_functions(xy, px[None], py[None])
  area = tf.reduce_sum(h, axis=-1, keepdims=True)
  safe_area = tf.where(mask[..., None], area, tf.ones_like(area))
  bary = tf.roll(h, shift=-1, axis=-1) / safe_area
  if perspective_correct:
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
  return (tf.where(mask[..., None], bary, tf.zeros_like(bary)),
          tf.where(mask, surface_depth, tf.zeros_like(surface_depth)))


_interpolate_xla = tf.function(_interpolate, jit_compile=True,
                               reduce_retracing=True)
_setup_faces_xla = tf.function(screen_faces.setup_faces, jit_compile=True,
                               reduce_retracing=True)


def silhouette(fragments: fragments_lib.Fragments) -> tf.Tensor:
  """`[B, H, W]` float32 hard silhouette (1 where a face covers the pixel)."""
  return tf.cast(fragments.mask, tf.float32)
