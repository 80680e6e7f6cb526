"""Soft silhouettes (SoftRas / PyTorch3D `SoftSilhouetteShader` semantics).

For pixel centre p and drawn face f, let d(p, f) be the squared Euclidean
distance (pixels²) from p to the triangle's boundary, signed positive inside
the triangle. The face covers the pixel with probability

    D(p, f) = sigmoid(d(p, f) / σ)          (σ, the blur, in pixels²)

and the silhouette is S(p) = 1 − Π_f (1 − D(p, f)). The product is taken in
log space, which is exact and stable however many faces overlap:

    A(p) = Σ_f −log(1 − D(p, f)) = Σ_f softplus(d(p, f) / σ),
    S(p) = 1 − exp(−A(p)).

Faces farther than r = sqrt(σ · log(1/ε − 1)) outside a pixel have
D < ε = `min_coverage` and are skipped: only the pixels in each drawn face's
screen box grown by r are visited, listed as row spans of `span_length`
pixels (`screen_faces.enumerate_spans`). Skipped pairs would change A by
less than ε each (S by less than ε · (1 − S)).

Work and memory. P = Σ over drawn faces of (box grown by r, in pixels), see
`count_pairs`; E ≥ P entries are computed (P rounded up to whole spans, see
`count_spans`; E ≈ 1.1–1.4 P). Nothing of size pixels × faces exists.
  * per face (F' = B·F): a 16-float edge table and a few ints.
  * forward: one XLA kernel computes, per entry, d, its pixel, the nearest
    edge and (for the backward pass) r = p − q and t below; a second sums
    softplus(d / σ) into pixels. Kept for the backward pass: 21·E bytes.
  * backward: per entry g = ∂L/∂A · sigmoid(d / σ) / σ (4·E bytes), summed
    per span and corner, then scattered into `[B·F·3, 2]`.
  * back-face culling halves the drawn faces of a closed mesh; P grows with
    σ through r, roughly as (face width + 2r)² per face.
For a 13,776-face closed mesh filling 85% of the crop height, B = 16,
σ = 0.1 px² (r = 0.96): P ≈ 0.66 M at 64², 1.0 M at 128², 1.8 M at 256²;
σ = 0.5 px² (r = 2.15): 2.5 M, 3.1 M, 4.6 M (a dense pixels × faces tensor
would hold 0.9, 3.6 and 14 billion entries).

The kernels run under XLA (`jit_compile`), split where a fused loop would mix
gathers with exp / log (XLA then emits scalar code, 5–10× slower); each is
compiled once per padded problem size (at most 8 sizes per octave of E).

Gradients are exact for the truncated sum: with q the closest boundary point
on the nearest edge (a, b), q = a + t·(b − a), ∂d/∂a = ∓2(p − q)(1 − t),
∂d/∂b = ∓2(p − q)t. They reach the vertices through a custom gradient,
wherever a face is within r of a pixel centre: at the silhouette boundary,
and inside the silhouette where it is not yet saturated.
"""

import dataclasses
import functools
import math
from typing import Callable, NamedTuple, Optional, Tuple

import tensorflow as tf

from body import finite
from render import screen_faces


@dataclasses.dataclass(frozen=True)
class SoftSilhouetteSettings:
  """How to draw soft silhouettes.

  Attributes:
    image_size: (H, W) pixels.
    sigma: blur σ in pixels² (the sigmoid's temperature on squared distance).
      The default 0.1 is PyTorch3D's default (1e-4 in NDC²) at 64²: a
      boundary ramp about one pixel wide. Cost grows with σ (see above).
    min_coverage: ε; (pixel, face) pairs with coverage below ε are skipped.
    cull_backfaces: drop faces facing away from the camera. Exact for closed
      meshes seen from outside (their back faces lie behind front faces) and
      halves the work; wrong for open meshes.
    z_near: faces with a vertex at depth ≤ z_near are dropped; None (weak
      perspective / orthographic) keeps all depths.
    span: pixels per span of a face's box row (see
      `screen_faces.enumerate_spans`); None picks max(3, ⌊2r⌋ + 1), the
      usual box width of a sub-pixel face (the fastest measured).
    jit_compile: run the per-pixel kernels with XLA (fused loops; compiled
      once per padded problem size, at most 8 sizes per octave).
  """
  image_size: Tuple[int, int]
  sigma: float = 0.1
  min_coverage: float = 1e-4
  cull_backfaces: bool = False
  z_near: Optional[float] = 1e-3
  span: Optional[int] = None
  jit_compile: bool = True

  def __post_init__(self):
    finite.check_fields(self)
    screen_faces.check_image_size(self.image_size)
    if not self.sigma > 0:
      raise ValueError(f"sigma must be positive; got {self.sigma}.")
    if self.span is not None and int(self.span) < 1:
      raise ValueError(f"span must be positive; got {self.span}.")
    if not 0 < self.min_coverage < 0.5:
      raise ValueError(
          f"min_coverage must be in (0, 0.5); got {self.min_coverage}.")

  @property
  def span_length(self) -> int:
    if self.span is not None:
      return int(self.span)
    return max(3, math.floor(2 * self.radius) + 1)

  @property
  def radius(self) -> float:
    """Distance (pixels) beyond which a face's coverage is below ε."""
    return math.sqrt(self.sigma * math.log(1.0 / self.min_coverage - 1.0))


def _face_table(xy: tf.Tensor, box: tf.Tensor,
                orientation: tf.Tensor) -> tf.Tensor:
  """`[B·F, 16]` per-face edge table: for edges i = 0, 1, 2 (corner i to
  i+1), the columns i, 3+i, ..., 12+i hold the edge start relative to the
  face's box corner (a_x, a_y), its unit direction (u_x, u_y) and its length
  (1 for dropped faces, so that nothing divides by zero); column 15 holds
  the face's orientation (±1)."""
  xy = tf.reshape(xy, [-1, 3, 2])
  start = xy - tf.cast(box[:, None, :2], xy.dtype)
  edge = tf.roll(xy, shift=-1, axis=1) - xy
  length = tf.norm(edge, axis=-1)
  length = tf.where(length > 0, length, tf.ones_like(length))
  direction = edge / length[..., None]
  orientation = tf.reshape(tf.cast(orientation, xy.dtype), [-1, 1])
  return tf.concat([start[..., 0], start[..., 1], direction[..., 0],
                    direction[..., 1], length, orientation], axis=-1)


class _Geometry(NamedTuple):
  """Each (span, j) entry: a pixel centre against its face. `[U', S]`
  tensors, per-edge ones as 3-tuples."""
  face: tf.Tensor  # [U'] face of each span
  pixel: tf.Tensor  # pixel index, −1 for entries outside the box
  inside: tf.Tensor  # bool, the pixel centre is inside the face
  signed: tf.Tensor  # d, squared distance to the boundary, > 0 inside
  nearest: tf.Tensor  # int32 edge of the closest boundary point
  dx: Tuple[tf.Tensor, ...]  # pixel − edge start, per edge
  dy: Tuple[tf.Tensor, ...]
  ux: Tuple[tf.Tensor, ...]  # [U', 1] edge direction, per edge
  uy: Tuple[tf.Tensor, ...]
  length: Tuple[tf.Tensor, ...]  # [U', 1]


def _geometry(table, spans: screen_faces.Spans, width: int,
              nearest: Optional[tf.Tensor] = None) -> _Geometry:
  """Signed squared distances for every enumerated (pixel, face) entry.

  `nearest`, if given, replaces the computed nearest edge. The backward pass
  passes the forward's: where two edges are equally near (every pixel in a
  vertex's region) XLA may break the tie differently in two fusions of one
  kernel, which would send a gradient to the wrong corner.
  """
  face = spans.face
  span_index = tf.range(tf.shape(face)[0])
  box = tf.gather(spans.box, face)  # [U', 4]
  local = span_index - tf.gather(spans.first_span, face)
  chunks = tf.gather(spans.chunks, face)
  row = local // chunks
  column = ((local - row * chunks) * spans.span)[:, None] + tf.range(
      spans.span)[None, :]  # [U', S]
  used = (column < box[:, 2:3]) & (span_index < spans.num_spans)[:, None]
  pixel = tf.where(used, box[:, 3:4] + (row * width)[:, None] + column, -1)

  px = tf.cast(column, table.dtype)
  py = tf.cast(row, table.dtype)[:, None]
  rows = tf.gather(table, face)  # [U', 15]
  dx, dy, ux, uy, length, dist2, across = [], [], [], [], [], [], []
  for i in range(3):
    ux_i, uy_i, len_i = (rows[:, 6 + i:7 + i], rows[:, 9 + i:10 + i],
                         rows[:, 12 + i:13 + i])
    dx_i = px - rows[:, i:i + 1]
    dy_i = py - rows[:, 3 + i:4 + i]
    along = dx_i * ux_i + dy_i * uy_i
    across_i = rows[:, 15:16] * (ux_i * dy_i - uy_i * dx_i)  # > 0 inside
    beyond = tf.nn.relu(tf.maximum(-along, along - len_i))
    dist2.append(across_i * across_i + beyond * beyond)
    across.append(across_i)
    dx.append(dx_i)
    dy.append(dy_i)
    ux.append(ux_i)
    uy.append(uy_i)
    length.append(len_i)
  inside = tf.minimum(tf.minimum(across[0], across[1]), across[2]) > 0
  if nearest is None:
    first = (dist2[0] <= dist2[1]) & (dist2[0] <= dist2[2])
    nearest = tf.where(first, 0, tf.where(dist2[1] <= dist2[2], 1, 2))
  else:
    nearest = tf.cast(nearest, tf.int32)
  closest = tf.minimum(tf.minimum(dist2[0], dist2[1]), dist2[2])
  return _Geometry(face=face, pixel=pixel, inside=inside,
                   signed=tf.where(inside, closest, -closest),
                   nearest=nearest, dx=tuple(dx), dy=tuple(dy), ux=tuple(ux),
                   uy=tuple(uy), length=tuple(length))


def _pick(nearest, values):
  """values[nearest] elementwise, for a 3-tuple of tensors."""
  return tf.where(nearest == 0, values[0],
                  tf.where(nearest == 1, values[1], values[2]))


@functools.lru_cache(maxsize=None)
def _kernels(sigma: float, width: int, pixels_per_image: int,
             num_faces: int, jit_compile: bool):
  """The four kernels, as tf.functions (XLA-compiled if asked, once per
  padded span count). They are split where a fused loop would mix gathers
  with exp / log: XLA then emits scalar code, 5–10× slower (measured)."""

  def entries(table, spans):
    """Per entry `[U', S]`: signed distance d, pixel (−1: none), nearest
    edge (int8), and for the backward pass the offset r = p − q from the
    closest boundary point q = start + t · (end − start) of that edge, and
    t."""
    geo = _geometry(table, spans, width)
    length = _pick(geo.nearest, geo.length)
    ux = _pick(geo.nearest, geo.ux)
    uy = _pick(geo.nearest, geo.uy)
    dx = _pick(geo.nearest, geo.dx)
    dy = _pick(geo.nearest, geo.dy)
    along = tf.clip_by_value(dx * ux + dy * uy, 0.0, length)
    return (geo.signed, geo.pixel, tf.cast(geo.nearest, tf.int8),
            dx - along * ux, dy - along * uy, along / length)

  def accumulate(signed, pixel, num_faces_total):
    """A per pixel, `[B·H·W]`."""
    value = tf.where(pixel >= 0, tf.math.softplus(signed / sigma),
                     tf.zeros_like(signed))
    num_pixels = num_faces_total // num_faces * pixels_per_image
    return tf.math.unsorted_segment_sum(
        tf.reshape(value, [-1]), tf.reshape(pixel, [-1]), num_pixels)

  def weights(upstream, signed, pixel):
    """∂A/∂d per entry times upstream, with the sign of d folded in."""
    g = (tf.gather(upstream, tf.maximum(pixel, 0)) *
         tf.math.sigmoid(signed / sigma) / sigma)
    return tf.where(pixel >= 0, tf.where(signed > 0, g, -g),
                    tf.zeros_like(g))

  def corners(g, offset_x, offset_y, t, nearest, face, num_faces_total,
              faces_table, vertices_like):
    """Σ g · ∂d/∂(vertex), `[B, V, 2]` (`vertices_like` gives B and V), with
    ∂d/∂start = −2r(1 − t), ∂d/∂end = −2rt. Each span's entries are summed
    per corner first (corner c starts edge c and ends edge c − 1), so 3 rows
    per span reach the first scatter instead of 2 per entry."""
    nearest = tf.cast(nearest, tf.int32)
    to_start = -2.0 * g * (1.0 - t)
    to_end = -2.0 * g * t
    zero = tf.zeros_like(g)
    per_corner = []
    for c in range(3):
      weight = (tf.where(nearest == c, to_start, zero) +
                tf.where(nearest == (c + 2) % 3, to_end, zero))
      per_corner.append(tf.stack([tf.reduce_sum(weight * offset_x, axis=1),
                                  tf.reduce_sum(weight * offset_y, axis=1)],
                                 -1))
    values = tf.reshape(tf.stack(per_corner, axis=1), [-1, 2])  # [U'·3, 2]
    ids = tf.reshape(face[:, None] * 3 + tf.range(3)[None, :], [-1])
    per_corner = tf.math.unsorted_segment_sum(values, ids,
                                              num_faces_total * 3)
    # Corners to vertices: corner c of face f of mesh b is vertex
    # b·V + faces[f, c].
    batch, num_vertices = tf.shape(vertices_like)[0], tf.shape(
        vertices_like)[1]
    vertex = (tf.range(batch)[:, None, None] * num_vertices +
              faces_table[None])
    return tf.reshape(tf.math.unsorted_segment_sum(
        per_corner, tf.reshape(vertex, [-1]), batch * num_vertices),
                      [batch, num_vertices, 2])

  def compile_(fn):
    return tf.function(fn, jit_compile=jit_compile, reduce_retracing=True)

  return _Kernels(entries=compile_(entries),
                  accumulate=compile_(accumulate), weights=compile_(weights),
                  corners=compile_(corners))


class _Kernels(NamedTuple):
  entries: Callable
  accumulate: Callable
  weights: Callable
  corners: Callable


def _coverage_log_sum(xy: tf.Tensor, faces: tf.Tensor, table: tf.Tensor,
                      spans: screen_faces.Spans,
                      settings: "SoftSilhouetteSettings") -> tf.Tensor:
  """A = Σ_f softplus(d / σ) per pixel, `[B·H·W]`, differentiable in the
  vertices' screen positions `xy [B, V, 2]`. The edge `table` is built from
  the same positions without a gradient: the backward pass scatters to the
  vertices itself, in XLA."""
  height, width = settings.image_size
  kernels = _kernels(settings.sigma, width, height * width,
                     int(faces.shape[0]), settings.jit_compile)

  @tf.custom_gradient
  def log_sum(xy):
    # Kept for the backward pass: 21 bytes per entry (d, pixel, nearest
    # edge, r, t); nothing is recomputed there.
    signed, pixel, nearest, offset_x, offset_y, t = kernels.entries(
        table, spans)
    log_sum = kernels.accumulate(signed, pixel, tf.shape(table)[0])

    def grad(upstream):
      g = kernels.weights(upstream, signed, pixel)
      return kernels.corners(g, offset_x, offset_y, t, nearest, spans.face,
                             tf.shape(table)[0], faces, xy)

    return log_sum, grad

  return log_sum(xy)


def _prepare(verts_screen, faces, cull_backfaces, z_near, image_size,
             radius, span):
  """Per face, from `[B, V, 3]` screen vertices: the edge table and the
  span layout (see `screen_faces.span_layout`). No gradient."""
  screen = screen_faces.setup_corners(verts_screen, faces, cull_backfaces,
                                      z_near)
  box, chunks, counts, starts = screen_faces.span_layout(
      screen.xy, screen.valid, image_size, radius, span)
  return (_face_table(screen.xy, box, screen.orientation), box, chunks,
          counts, starts)


_prepare_xla = tf.function(_prepare, jit_compile=True, reduce_retracing=True)


def soft_silhouette(verts_screen, faces,
                    settings: SoftSilhouetteSettings) -> tf.Tensor:
  """Renders soft silhouettes of a batch of meshes sharing one topology.

  Args:
    verts_screen: `[B, V, 3]` (u, v, depth) per vertex, from a camera's
      `transform_points_screen`.
    faces: `[F, 3]` int vertex indices, counter-clockwise seen from outside.
    settings: a `SoftSilhouetteSettings`.

  Returns:
    `[B, H, W]` silhouettes in [0, 1], differentiable in `verts_screen`.

  Raises:
    ValueError: if a shape is wrong.
  """
  verts_screen, faces = screen_faces.check_mesh(verts_screen, faces)
  if faces.shape[0] is None:
    raise ValueError("faces must have a static number of faces; got shape "
                     f"{faces.shape}.")
  height, width = settings.image_size
  batch = tf.shape(verts_screen)[0]
  if faces.shape[0] == 0:
    return tf.zeros([batch, height, width], verts_screen.dtype)
  prepare = _prepare_xla if settings.jit_compile else _prepare
  table, box, chunks, counts, starts = prepare(
      tf.stop_gradient(verts_screen), faces, settings.cull_backfaces,
      settings.z_near, settings.image_size, settings.radius,
      settings.span_length)
  spans = screen_faces.expand_spans(box, chunks, counts, starts,
                                    settings.span_length)
  # Non-finite vertices only ever reach dropped faces, which get no
  # gradient; zeroing them keeps 0 · NaN out of the vertex gradients.
  xy = verts_screen[..., :2]
  xy = tf.where(tf.math.is_finite(xy), xy, tf.zeros_like(xy))
  log_sum = _coverage_log_sum(xy, faces, table, spans, settings)
  return -tf.math.expm1(-tf.reshape(log_sum, [batch, height, width]))


def _corners(verts_screen, faces, settings: SoftSilhouetteSettings):
  verts_screen, faces = screen_faces.check_mesh(verts_screen, faces)
  return screen_faces.setup_corners(verts_screen, faces,
                                    settings.cull_backfaces, settings.z_near)


def count_pairs(verts_screen, faces,
                settings: SoftSilhouetteSettings) -> tf.Tensor:
  """The number P of (pixel, face) pairs `soft_silhouette` visits (int32)."""
  return screen_faces.count_box_pixels(
      _corners(verts_screen, faces, settings), settings.image_size,
      settings.radius)


def count_spans(verts_screen, faces,
                settings: SoftSilhouetteSettings) -> tf.Tensor:
  """The number U of spans (int32); U · span_length ≥ P entries computed."""
  screen = _corners(verts_screen, faces, settings)
  return screen_faces.enumerate_spans(screen, settings.image_size,
                                      settings.radius,
                                      settings.span_length).num_spans
