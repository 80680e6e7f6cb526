"""The records the rasterizers hand to shaders and losses.

Dimensions: B batch, H×W image. Pixel (x, y) is the pixel whose centre is at
x right, y down from the centre of the top-left pixel.
"""

from typing import NamedTuple

import tensorflow as tf


class Fragments(NamedTuple):
  """What the hard z-buffer saw at each pixel centre.

  Attributes:
    face_ids: `[B, H, W]` int32 index of the nearest face covering the pixel
      centre, in `[0, F)` (per mesh, not packed over the batch); -1 where no
      face covers it.
    bary: `[B, H, W, 3]` barycentric coordinates of the pixel centre in that
      face, with respect to the face's vertices in the order of `faces`
      (perspective-correct unless the rasterizer was told otherwise); 0 on the
      background. Differentiable with respect to the vertices.
    depth: `[B, H, W]` camera-frame depth of the surface at the pixel centre
      (interpolated 1/Z for perspective cameras); 0 on the background.
      Differentiable with respect to the vertices.
    mask: `[B, H, W]` bool, `face_ids >= 0`.
  """
  face_ids: tf.Tensor
  bary: tf.Tensor
  depth: tf.Tensor
  mask: tf.Tensor
