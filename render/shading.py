"""Vertex normals and a Lambert + ambient + Blinn-Phong shader.

    normals = vertex_normals(vertices, faces)               # [B, V, 3]
    rgb = shade(albedo, normals, light)                     # [..., 3]

Everything is linear-light RGB in [0, 1] (convert sRGB colours with
`srgb_to_linear` first and the result back with `linear_to_srgb`), camera
frame in OpenCV axes (x right, y down, z forward): the viewer looks along +z,
so a surface facing the camera has a normal with negative z.
"""

from typing import NamedTuple

import tensorflow as tf


class Light(NamedTuple):
  """One directional light plus ambient light, per image.

  Attributes:
    direction: `[B, 3]` unit vectors from the surface towards the light.
    color: `[B, 3]` directional light colour × intensity (linear RGB).
    ambient: `[B, 3]` ambient light colour × intensity.
    specular: `[B]` strength of the highlight.
    shininess: `[B]` Blinn-Phong exponent.
  """
  direction: tf.Tensor
  color: tf.Tensor
  ambient: tf.Tensor
  specular: tf.Tensor
  shininess: tf.Tensor


def vertex_normals(vertices, faces) -> tf.Tensor:
  """`[B, V, 3]` unit area-weighted vertex normals of `[B, V, 3]` meshes
  with counter-clockwise `[F, 3]` faces (outward for a closed mesh)."""
  vertices = tf.convert_to_tensor(vertices)
  faces = tf.convert_to_tensor(faces, tf.int32)
  if vertices.shape.rank != 3 or vertices.shape[-1] != 3:
    raise ValueError(f"vertices must have shape [B, V, 3], got "
                     f"{vertices.shape}.")
  corners = tf.gather(vertices, faces, axis=1)                  # [B, F, 3, 3]
  face_n = tf.linalg.cross(corners[:, :, 1] - corners[:, :, 0],
                           corners[:, :, 2] - corners[:, :, 0])  # [B, F, 3]
  num_v = tf.shape(vertices)[1]
  # Sum each face's normal into its three vertices (vertex-major segments).
  ids = tf.reshape(faces, [-1])                                 # [3F]
  per_corner = tf.repeat(tf.transpose(face_n, [1, 0, 2]), 3, axis=0)
  summed = tf.math.unsorted_segment_sum(per_corner, ids, num_v)  # [V, B, 3]
  summed = tf.transpose(summed, [1, 0, 2])
  return tf.math.l2_normalize(summed, axis=-1)


def shade(albedo, normals, light: Light, batch_ids=None,
          view=None) -> tf.Tensor:
  """Lambert + ambient + Blinn-Phong, per pixel (or per point).

  Args:
    albedo: `[N, 3]` (or `[B, H, W, 3]`) linear RGB reflectance.
    normals: same leading shape, `[..., 3]` (normalized here).
    light: a `Light` of B images.
    batch_ids: `[N]` image of each point when the inputs are flat; None for
      `[B, H, W, ·]` inputs.
    view: unit vectors from the surface to the eye, like `normals`; None
      takes −z (a distant camera).

  Returns:
    Linear RGB, the shape of `albedo` (not clipped).
  """
  albedo = tf.convert_to_tensor(albedo)
  normals = tf.math.l2_normalize(tf.cast(normals, albedo.dtype), axis=-1)
  if batch_ids is not None:
    pick = lambda t: tf.gather(tf.cast(t, albedo.dtype), batch_ids)
  else:
    pick = lambda t: tf.cast(t, albedo.dtype)[:, None, None]
  direction, color, ambient = (pick(light.direction), pick(light.color),
                               pick(light.ambient))
  specular, shininess = pick(light.specular), pick(light.shininess)
  if view is None:
    view = tf.constant([0.0, 0.0, -1.0], albedo.dtype)
  cos = tf.reduce_sum(normals * direction, axis=-1, keepdims=True)
  diffuse = tf.maximum(cos, 0.0)
  half = tf.math.l2_normalize(direction + view, axis=-1)
  highlight = tf.maximum(tf.reduce_sum(normals * half, -1), 0.0)
  spec = specular * tf.pow(highlight + 1e-6, shininess) * tf.cast(
      cos[..., 0] > 0, albedo.dtype)
  return albedo * (ambient + color * diffuse) + spec[..., None] * color


def srgb_to_linear(rgb):
  """sRGB in [0, 1] to linear light (the 2.2 power curve)."""
  return tf.pow(tf.maximum(rgb, 0.0), 2.2)


def linear_to_srgb(rgb):
  """Linear light to sRGB in [0, 1] (clipped; the 1/2.2 power curve)."""
  return tf.pow(tf.clip_by_value(rgb, 1e-8, 1.0), 1.0 / 2.2)
