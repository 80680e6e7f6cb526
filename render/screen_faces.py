"""Screen-space triangle setup and (pixel, face) pair enumeration.

Both rasterizers start here. Dimensions: B batch, V vertices, F faces, H×W
image, P enumerated (pixel, face) pairs.

Triangle setup (`setup_faces`) gathers each face's screen vertices, decides
which faces are drawn, and puts every drawn face in one winding:

  * a face is dropped if a vertex is not finite, lies at depth ≤ `z_near`
    (faces are not clipped), if its screen area is below `_MIN_AREA` pixels²
    (degenerate or edge-on), or, with `cull_backfaces`, if it faces away
    from the camera. Meshes wind their faces counter-clockwise seen from
    outside (right-hand rule, outward normals), as SMPL and OpenGL do; with
    y down on screen such a face is front-facing iff its signed screen area
    (x1−x0)(y2−y0) − (x2−x0)(y1−y0) is negative.
  * corners 1 and 2 of faces with negative area are swapped so every drawn
    face has positive area; then each edge function
    h_i(p) = cross(v_{i+1} − v_i, p − v_i) is ≥ 0 inside. `corner_order`
    says which original corner each canonical corner is.
  * dropped faces get zero coordinates, so no NaN or Inf leaves this module
    (nor, through `tf.where`, enters a gradient).

Pair enumeration lists, for every drawn face, the pixel centres inside its
screen bounding box grown by `radius`, clipped to the image:
P = Σ_faces (box width × box height). Memory is O(P), never O(B · F · H · W).
`count_box_pixels` counts them; `enumerate_spans` lists them in spans of up
to `span` consecutive pixels of one box row, so the expansion costs
O(P / span) and the per-pixel work is a dense `[U, span]` array that XLA fuses well; a box row
wider than `span` takes several spans, so no face is too large.
"""

import math
from typing import NamedTuple, Optional, Tuple

import tensorflow as tf

# Faces whose screen area (pixels²) is smaller than this are not drawn.
_MIN_AREA = 1e-8


class ScreenFaces(NamedTuple):
  """Drawn faces in canonical (positive-area) winding.

  Attributes:
    xy: `[B, F, 3, 2]` screen coordinates of each canonical corner (pixels);
      zero for dropped faces.
    depth: `[B, F, 3]` depth of each canonical corner; one for dropped faces.
    flipped: `[B, F]` bool, whether corners 1 and 2 were swapped.
    valid: `[B, F]` bool, whether the face is drawn.
  """
  xy: tf.Tensor
  depth: tf.Tensor
  flipped: tf.Tensor
  valid: tf.Tensor


def check_mesh(verts_screen, faces) -> Tuple[tf.Tensor, tf.Tensor]:
  """Checks shapes: verts_screen `[B, V, 3]` float, faces `[F, 3]` int with
  every index in [0, V); returns them with faces as int32.

  The index range is checked in the faces' own dtype, before the cast (a
  cast first would wrap 2³² + 5 to 5): in Python when faces and V are known
  statically (constant faces, the usual case), raising ValueError; otherwise
  with `tf.debugging` asserts, which raise InvalidArgumentError when run
  (XLA-compiled callers skip asserts: give them constant faces).
  """
  verts_screen = tf.convert_to_tensor(verts_screen)
  faces = tf.convert_to_tensor(faces)
  if verts_screen.shape.rank != 3 or verts_screen.shape[-1] != 3:
    raise ValueError("verts_screen must have shape [B, V, 3] (u, v, depth); "
                     f"got {verts_screen.shape}.")
  if not verts_screen.dtype.is_floating:
    raise ValueError(
        f"verts_screen must be floating point; got {verts_screen.dtype}.")
  if faces.shape.rank != 2 or faces.shape[-1] != 3:
    raise ValueError(f"faces must have shape [F, 3]; got {faces.shape}.")
  if not faces.dtype.is_integer:
    raise ValueError(f"faces must be integers; got {faces.dtype}.")
  num_vertices = verts_screen.shape[1]
  static = tf.get_static_value(faces)
  if static is not None and num_vertices is not None:
    if static.size and (static.min() < 0 or static.max() >= num_vertices):
      raise ValueError(
          f"faces index vertices in [{static.min()}, {static.max()}], "
          f"outside [0, {num_vertices - 1}] (verts_screen has V = "
          f"{num_vertices}).")
  else:
    wide = tf.cast(faces, tf.int64)  # uint64 ≥ 2⁶³ wraps negative: refused.
    message = "faces index a vertex outside [0, V) of verts_screen [B, V, 3]"
    checks = [tf.debugging.assert_non_negative(wide, message=message),
              tf.debugging.assert_less(
                  wide, tf.shape(verts_screen, out_type=tf.int64)[1],
                  message=message)]
    if faces.dtype == tf.uint64:
      checks.append(tf.debugging.assert_less(
          faces, tf.constant(2**31, tf.uint64), message=message))
    with tf.control_dependencies(checks):
      faces = tf.identity(faces)
  return verts_screen, tf.cast(faces, tf.int32)


def check_image_size(image_size) -> Tuple[int, int]:
  if len(image_size) != 2 or min(int(s) for s in image_size) <= 0:
    raise ValueError(
        f"image_size must be (height, width) > 0; got {image_size}.")
  return int(image_size[0]), int(image_size[1])


def setup_faces(verts_screen: tf.Tensor, faces: tf.Tensor,
                cull_backfaces: bool, z_near: Optional[float]) -> ScreenFaces:
  """Gathers, filters and re-winds faces (see the module docstring).

  Args:
    verts_screen: `[B, V, 3]` (u, v, depth) per vertex.
    faces: `[F, 3]` int32 vertex indices.
    cull_backfaces: drop faces that face away from the camera.
    z_near: drop faces with a vertex at depth ≤ z_near; None keeps all depths.

  Returns:
    A `ScreenFaces`.
  """
  corners = tf.gather(verts_screen, faces, axis=1)  # [B, F, 3, 3]
  finite = tf.reduce_all(tf.math.is_finite(corners), axis=[-2, -1])
  if z_near is not None:
    finite &= tf.reduce_all(corners[..., 2] > z_near, axis=-1)
  corners = tf.where(finite[..., None, None], corners, tf.zeros_like(corners))
  xy = corners[..., :2]
  d1 = xy[:, :, 1] - xy[:, :, 0]
  d2 = xy[:, :, 2] - xy[:, :, 0]
  area = d1[..., 0] * d2[..., 1] - d2[..., 0] * d1[..., 1]  # 2 × signed area
  valid = finite & (tf.abs(area) > 2 * _MIN_AREA)
  if cull_backfaces:
    valid &= area < 0
  flipped = area < 0
  swapped = tf.gather(corners, [0, 2, 1], axis=2)
  corners = tf.where(flipped[..., None, None], swapped, corners)
  corners = tf.where(valid[..., None, None], corners,
                     tf.concat([tf.zeros_like(corners[..., :2]),
                                tf.ones_like(corners[..., 2:])], axis=-1))
  return ScreenFaces(xy=corners[..., :2], depth=corners[..., 2],
                     flipped=flipped, valid=valid)


class FaceCorners(NamedTuple):
  """Drawn faces in their own winding (the soft rasterizer's lean setup).

  Attributes:
    xy: `[B, F, 3, 2]` screen coordinates of each corner (pixels); zero for
      corners of dropped vertices.
    orientation: `[B, F]` +1 where the signed screen area is positive, −1
      where negative: multiplying an edge function by it makes it ≥ 0 inside.
    valid: `[B, F]` bool, whether the face is drawn.
  """
  xy: tf.Tensor
  orientation: tf.Tensor
  valid: tf.Tensor


def setup_corners(verts_screen: tf.Tensor, faces: tf.Tensor,
                  cull_backfaces: bool, z_near: Optional[float]
                  ) -> FaceCorners:
  """Like `setup_faces` (same rules for which faces are drawn) without
  re-winding or depths: vertex checks are made once per vertex and only
  (u, v) is gathered per corner, so it is cheaper and so is its gradient."""
  xy = verts_screen[..., :2]
  usable = tf.reduce_all(tf.math.is_finite(verts_screen), axis=-1)  # [B, V]
  if z_near is not None:
    usable &= verts_screen[..., 2] > z_near
  xy = tf.where(usable[..., None], xy, tf.zeros_like(xy))
  corners = tf.gather(xy, faces, axis=1)  # [B, F, 3, 2]
  usable = tf.reduce_all(tf.gather(usable, faces, axis=1), axis=-1)
  d1 = corners[:, :, 1] - corners[:, :, 0]
  d2 = corners[:, :, 2] - corners[:, :, 0]
  area = d1[..., 0] * d2[..., 1] - d2[..., 0] * d1[..., 1]  # 2 × signed area
  valid = usable & (tf.abs(area) > 2 * _MIN_AREA)
  if cull_backfaces:
    valid &= area < 0
  orientation = tf.where(area < 0, -tf.ones_like(area), tf.ones_like(area))
  return FaceCorners(xy=corners, orientation=orientation, valid=valid)


def pixel_boxes(xy, valid, image_size: Tuple[int, int], radius: float):
  """Each face's screen box grown by `radius`, clipped to the image.

  Args:
    xy: `[B, F, 3, 2]` canonical corners (from `setup_faces` or
      `setup_corners`).
    valid: `[B, F]` bool, whether the face is drawn.
    image_size: (H, W).
    radius: how far (pixels) beyond the face's bounding box to reach.

  Returns:
    (lo `[B·F, 2]` int32 first pixel (x, y), extent `[B·F, 2]` int32 box
    width and height (0 if the box misses the image), valid `[B·F]`, base
    `[B·F]` int32 index of the box corner in the flattened `[B·H·W]` image).
  """
  height, width = image_size
  num_faces = tf.shape(xy)[1]
  xy = tf.reshape(xy, [-1, 3, 2])  # [BF, 3, 2]
  lo = tf.reduce_min(xy, axis=1) - radius
  hi = tf.reduce_max(xy, axis=1) + radius
  size = tf.constant([width, height], xy.dtype)
  # Clip in floating point first so huge coordinates cannot overflow int32.
  lo = tf.cast(tf.math.ceil(tf.clip_by_value(lo, -1.0, size)), tf.int32)
  hi = tf.cast(tf.math.floor(tf.clip_by_value(hi, -1.0, size)), tf.int32)
  lo = tf.maximum(lo, 0)
  hi = tf.minimum(hi, tf.constant([width - 1, height - 1]))
  extent = tf.maximum(hi - lo + 1, 0)  # [BF, 2]
  batch = tf.range(tf.shape(xy)[0]) // num_faces
  base = batch * (height * width) + lo[:, 1] * width + lo[:, 0]
  return lo, extent, tf.reshape(valid, [-1]), base


def count_box_pixels(screen, image_size: Tuple[int, int],
                     radius: float) -> tf.Tensor:
  """P = Σ over drawn faces of (box width × box height), int32 scalar.

  Args:
    screen: a `ScreenFaces` or `FaceCorners` (its `xy` and `valid`).
    image_size: (H, W).
    radius: how far (pixels) beyond the face's bounding box to reach.
  """
  _, extent, valid, _ = pixel_boxes(screen.xy, screen.valid,
                                    tuple(image_size), radius)
  return tf.reduce_sum(tf.where(valid, extent[:, 0] * extent[:, 1], 0))


class Spans(NamedTuple):
  """Runs of up to `span` consecutive pixels of one face's box row.

  Span u covers pixels x = box_x + chunk·span + j (j < span, x within the
  box) of row y = box_y + row of face `face[u]`, where
  (row, chunk) = divmod(u − first_span[face], chunks[face]).

  Attributes:
    face: `[U']` int32 face (in `[B * F]`) of each span; U' ≥ U is U rounded
      up (see `_padded_size`) so that shapes repeat between calls; spans
      u ≥ U are padding.
    num_spans: scalar int32 U.
    box: `[B * F, 4]` int32 (box_x, box_y, box width, pixel index of the box
      corner in the flattened `[B * H * W]` image).
    first_span: `[B * F]` int32 index of each face's first span.
    chunks: `[B * F]` int32 spans per box row (≥ 1).
    span: the static span length.
  """
  face: tf.Tensor
  num_spans: tf.Tensor
  box: tf.Tensor
  first_span: tf.Tensor
  chunks: tf.Tensor
  span: int


def _padded_size(n: tf.Tensor) -> tf.Tensor:
  """n rounded up to 1024 or to a multiple of 1/8 of its power of two, so a
  jit-compiled consumer sees at most 8 distinct sizes per octave."""
  n = tf.maximum(n, 1)
  step = tf.bitwise.left_shift(
      1, tf.maximum(tf.cast(tf.math.floor(
          tf.math.log(tf.cast(n, tf.float32)) / math.log(2.0)), tf.int32) - 3,
                    10))
  return (n + step - 1) // step * step


def span_layout(xy, valid, image_size, radius: float, span: int):
  """Per face: box (x, y, width, corner pixel) `[B·F, 4]`, spans per row,
  span count and first span. Static shapes only, so it can be compiled."""
  lo, extent, valid, base = pixel_boxes(xy, valid, image_size, radius)
  valid &= extent[:, 0] > 0
  chunks = tf.maximum((extent[:, 0] + span - 1) // span, 1)
  counts = tf.where(valid, extent[:, 1] * chunks, 0)  # [BF]
  box = tf.stack([lo[:, 0], lo[:, 1], extent[:, 0], base], axis=-1)
  return box, chunks, counts, tf.cumsum(counts, exclusive=True)


_span_layout_xla = tf.function(span_layout, jit_compile=True,
                               reduce_retracing=True)


def enumerate_spans(screen, image_size: Tuple[int, int],
                    radius: float, span: int,
                    jit_compile: bool = False) -> Spans:
  """Lists each drawn face's box (grown by `radius`) as row spans.

  Args:
    screen: a `ScreenFaces` or `FaceCorners` (its `xy` and `valid`).
    image_size: (H, W).
    radius: how far (pixels) beyond the face's bounding box to enumerate.
    span: static number of pixels per span.
    jit_compile: compile the per-face part with XLA.

  Returns:
    `Spans`.
  """
  layout = _span_layout_xla if jit_compile else span_layout
  box, chunks, counts, starts = layout(
      tf.stop_gradient(screen.xy), screen.valid, tuple(image_size),
      float(radius), int(span))
  return expand_spans(box, chunks, counts, starts, span)


def expand_spans(box, chunks, counts, starts, span: int) -> Spans:
  """The dynamic half of `enumerate_spans`: the face of every span, from the
  per-face layout (box `[B·F, 4]`, spans per row, span count, first span)."""
  num_spans = tf.reduce_sum(counts)
  padded = _padded_size(num_spans)
  nonempty = tf.cast(tf.where(counts > 0)[:, 0], tf.int32)
  # Mark the first span of each non-empty face; a running sum then tells
  # each span which non-empty face it belongs to.
  marks = tf.scatter_nd(tf.gather(starts, nonempty)[:, None],
                        tf.ones_like(nonempty), padded[None])
  rank = tf.maximum(tf.cumsum(marks) - 1, 0)
  # A padding face 0 keeps the gather valid when nothing is drawn.
  face = tf.gather(tf.concat([nonempty, [0]], 0), rank)
  return Spans(face=face, num_spans=num_spans, box=box, first_span=starts,
               chunks=chunks, span=span)
