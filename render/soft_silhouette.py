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
D < ε = `min_coverage` and are skipped, so only the (pixel, face) pairs in each
face's screen box grown by r are visited (`screen_faces.enumerate_pairs`).
Skipped pairs would change A by less than ε each (S by less than ε · (1 − S)).

Memory model (P = number of enumerated pairs, see `count_pairs`;
N = B·H·W pixels, F' = B·F faces):
  forward:  ~ 80·P bytes of temporaries ([P, 3] distance terms), freed as
            soon as A is summed; plus O(F' + N).
  kept for the backward pass: 16·P bytes (face, pixel, nearest edge, d),
            nothing of size P × 3 and nothing of size N × F.
  backward: ~ 60·P bytes of temporaries plus O(F' + N).
P ≈ (drawn faces) × (box area in pixels): back-face culling halves the drawn
faces of a closed mesh, and P grows with σ through r. For a 13,776-face body
filling a 64² crop, B = 16, σ = 0.5 px²: P ≈ 1–2 million (a dense
pixels × faces tensor would be 900 million entries).

Gradients are exact for the truncated sum: with q the closest boundary point
on edge (a, b), q = a + t·(b − a), ∂d/∂a = ∓2(p − q)(1 − t), ∂d/∂b = ∓2(p − q)t.
They reach the vertices through a custom gradient that keeps only the pair
list above, so gradients flow wherever a face is within r of a pixel centre:
at the silhouette boundary, and inside the silhouette where it is not yet
saturated.
"""

import dataclasses
import math
from typing import Optional, Tuple

import tensorflow as tf

from render import screen_faces


@dataclasses.dataclass(frozen=True)
class SoftSilhouetteSettings:
  """How to draw soft silhouettes.

  Attributes:
    image_size: (H, W) pixels.
    sigma: blur σ in pixels² (the sigmoid's temperature on squared distance).
      0.5 gives a boundary ramp about 2 pixels wide.
    min_coverage: ε; (pixel, face) pairs with coverage below ε are skipped.
    cull_backfaces: drop faces facing away from the camera. Exact for closed
      meshes seen from outside (their back faces lie behind front faces) and
      halves the work; wrong for open meshes.
    z_near: faces with a vertex at depth ≤ z_near are dropped; None (weak
      perspective / orthographic) keeps all depths.
  """
  image_size: Tuple[int, int]
  sigma: float = 0.5
  min_coverage: float = 1e-4
  cull_backfaces: bool = False
  z_near: Optional[float] = 1e-3

  def __post_init__(self):
    screen_faces.check_image_size(self.image_size)
    if not self.sigma > 0:
      raise ValueError(f"sigma must be positive; got {self.sigma}.")
    if not 0 < self.min_coverage < 0.5:
      raise ValueError(
          f"min_coverage must be in (0, 0.5); got {self.min_coverage}.")

  @property
  def radius(self) -> float:
    """Distance (pixels) beyond which a face's coverage is below ε."""
    return math.sqrt(self.sigma * math.log(1.0 / self.min_coverage - 1.0))


def _edge_tables(xy: tf.Tensor, pairs: screen_faces.Pairs):
  """Per-face, per-edge tables, `[B·F, 3]` each: edge start relative to the
  face's box corner (ax, ay), unit direction (ux, uy), length."""
  xy = tf.reshape(xy, [-1, 3, 2])
  start = xy - tf.stack([pairs.box_x, pairs.box_y], axis=-1)[:, None, :]
  edge = tf.roll(xy, shift=-1, axis=1) - xy
  length = tf.norm(edge, axis=-1)
  safe = tf.where(length > 0, length, tf.ones_like(length))
  direction = edge / safe[..., None]
  return (start[..., 0], start[..., 1], direction[..., 0], direction[..., 1],
          length)


def _coverage_log_sum(xy: tf.Tensor, pairs: screen_faces.Pairs, sigma: float,
                      num_pixels: int) -> tf.Tensor:
  """A = Σ_f softplus(d / σ) per pixel, `[B·H·W]`, differentiable in `xy`."""

  @tf.custom_gradient
  def log_sum(xy):
    ax, ay, ux, uy, length = _edge_tables(xy, pairs)
    face = pairs.face
    # [P, 3]: each pair's pixel in the frame of each of its face's edges.
    dx = pairs.local_x[:, None] - tf.gather(ax, face)
    dy = pairs.local_y[:, None] - tf.gather(ay, face)
    ux_p = tf.gather(ux, face)
    uy_p = tf.gather(uy, face)
    along = dx * ux_p + dy * uy_p
    across = ux_p * dy - uy_p * dx  # > 0 inside (canonical winding)
    beyond = tf.nn.relu(tf.maximum(-along, along - tf.gather(length, face)))
    dist2 = across * across + beyond * beyond
    inside = tf.reduce_min(across, axis=1) > 0
    nearest = tf.reduce_min(dist2, axis=1)
    signed = tf.where(inside, nearest, -nearest)
    total = tf.math.unsorted_segment_sum(
        tf.math.softplus(signed / sigma), pairs.pixel, num_pixels)
    nearest_edge = tf.argmin(dist2, axis=1, output_type=tf.int32)

    def grad(upstream):
      # ∂A/∂d for each pair, times ±1 for the sign of d.
      g = (tf.gather(upstream, pairs.pixel) * tf.math.sigmoid(signed / sigma)
           / sigma)
      g = tf.where(inside, g, -g)
      corner = face * 3 + nearest_edge
      nxt = face * 3 + tf.math.floormod(nearest_edge + 1, 3)
      ax_k = tf.gather(tf.reshape(ax, [-1]), corner)
      ay_k = tf.gather(tf.reshape(ay, [-1]), corner)
      ux_k = tf.gather(tf.reshape(ux, [-1]), corner)
      uy_k = tf.gather(tf.reshape(uy, [-1]), corner)
      len_k = tf.gather(tf.reshape(length, [-1]), corner)
      dx_k = pairs.local_x - ax_k
      dy_k = pairs.local_y - ay_k
      along_k = tf.clip_by_value(dx_k * ux_k + dy_k * uy_k, 0.0, len_k)
      # p − q, q the closest point of the edge; t = along_k / len_k.
      rx = dx_k - along_k * ux_k
      ry = dy_k - along_k * uy_k
      t = along_k / len_k
      g2 = -2.0 * g
      to_start = g2 * (1.0 - t)
      to_end = g2 * t
      values = tf.stack([tf.concat([to_start * rx, to_end * rx], 0),
                         tf.concat([to_start * ry, to_end * ry], 0)], axis=-1)
      grad_xy = tf.math.unsorted_segment_sum(
          values, tf.concat([corner, nxt], 0), tf.shape(ax)[0] * 3)
      return tf.reshape(grad_xy, tf.shape(xy))

    return total, grad

  return log_sum(xy)


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
  height, width = settings.image_size
  screen = screen_faces.setup_faces(verts_screen, faces,
                                    settings.cull_backfaces, settings.z_near)
  pairs = screen_faces.enumerate_pairs(screen, settings.image_size,
                                       settings.radius)
  batch = tf.shape(verts_screen)[0]
  log_sum = _coverage_log_sum(screen.xy, pairs, settings.sigma,
                              batch * height * width)
  return -tf.math.expm1(-tf.reshape(log_sum, [batch, height, width]))


def count_pairs(verts_screen, faces,
                settings: SoftSilhouetteSettings) -> tf.Tensor:
  """The number P of (pixel, face) pairs `soft_silhouette` visits (int32)."""
  verts_screen, faces = screen_faces.check_mesh(verts_screen, faces)
  screen = screen_faces.setup_faces(verts_screen, faces,
                                    settings.cull_backfaces, settings.z_near)
  return tf.size(screen_faces.enumerate_pairs(
      screen, settings.image_size, settings.radius).face)
