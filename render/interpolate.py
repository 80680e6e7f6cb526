"""Per-vertex attributes interpolated over a hard z-buffer's fragments.

    values = interpolate_attributes(fragments, faces, attributes)   # dense
    values = interpolate_at(batch_ids, face_ids, bary, faces, attributes)

A pixel covered by face f = (a, b, c) with barycentrics (w_a, w_b, w_c)
(`render.fragments.Fragments`, perspective-correct) gets
w_a·A[a] + w_b·A[b] + w_c·A[c] for every channel of A; background pixels get
`background`. This is how normals, colours, rest-pose positions or part
weights reach the pixels: the rasterizer runs once, every attribute is one
gather and one weighted sum.

`interpolate_at` works on a list of N pixels (e.g. only the covered ones,
`tf.where(fragments.mask)`), which is several times cheaper than the dense
form when the body covers a small part of the crop.

Dimensions: B batch, V vertices, F faces, C channels, H×W image.
"""

import tensorflow as tf

from render import fragments as fragments_lib


def _check_attributes(attributes: tf.Tensor, faces: tf.Tensor) -> None:
  if attributes.shape.rank != 3:
    raise ValueError(f"attributes must have shape [B, V, C], got "
                     f"{attributes.shape}.")
  if faces.shape.rank != 2 or faces.shape[-1] != 3:
    raise ValueError(f"faces must have shape [F, 3], got {faces.shape}.")


def interpolate_at(batch_ids, face_ids, bary, faces,
                   attributes) -> tf.Tensor:
  """Attributes at N pixels.

  Args:
    batch_ids: `[N]` int, the mesh (batch index) of each pixel.
    face_ids: `[N]` int, the face covering each pixel, in `[0, F)`.
    bary: `[N, 3]` barycentrics w.r.t. the face's vertices in `faces` order.
    faces: `[F, 3]` int vertex indices.
    attributes: `[B, V, C]` per-vertex values (float).

  Returns:
    `[N, C]` interpolated values, in the dtype of `attributes`.

  Raises:
    ValueError: if a shape is wrong.
  """
  attributes = tf.convert_to_tensor(attributes)
  faces = tf.convert_to_tensor(faces, tf.int32)
  _check_attributes(attributes, faces)
  bary = tf.cast(tf.convert_to_tensor(bary), attributes.dtype)
  if bary.shape.rank != 2 or bary.shape[-1] != 3:
    raise ValueError(f"bary must have shape [N, 3], got {bary.shape}.")
  corners = tf.gather(faces, tf.cast(face_ids, tf.int32))          # [N, 3]
  index = tf.stack([tf.broadcast_to(
      tf.cast(batch_ids, tf.int32)[:, None], tf.shape(corners)), corners],
                   axis=-1)                                         # [N, 3, 2]
  values = tf.gather_nd(attributes, index)                         # [N, 3, C]
  return tf.einsum("nk,nkc->nc", bary, values)


def interpolate_attributes(fragments: fragments_lib.Fragments, faces,
                           attributes, background: float = 0.0) -> tf.Tensor:
  """Dense `[B, H, W, C]` attributes, `background` where no face is drawn.

  Args:
    fragments: the z-buffer of the meshes (`render.rasterizer.rasterize`).
    faces: `[F, 3]` int vertex indices, as rasterized.
    attributes: `[B, V, C]` per-vertex values (float).
    background: value of uncovered pixels.

  Returns:
    `[B, H, W, C]`, in the dtype of `attributes`.
  """
  attributes = tf.convert_to_tensor(attributes)
  faces = tf.convert_to_tensor(faces, tf.int32)
  _check_attributes(attributes, faces)
  shape = tf.shape(fragments.face_ids)
  batch_ids = tf.broadcast_to(
      tf.range(shape[0])[:, None, None], shape)
  safe = tf.maximum(fragments.face_ids, 0)
  values = interpolate_at(tf.reshape(batch_ids, [-1]), tf.reshape(safe, [-1]),
                          tf.reshape(fragments.bary, [-1, 3]), faces,
                          attributes)
  values = tf.reshape(values, tf.concat([shape, tf.shape(attributes)[2:]], 0))
  return tf.where(fragments.mask[..., None], values,
                  tf.cast(background, attributes.dtype))
