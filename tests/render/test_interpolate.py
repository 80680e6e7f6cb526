"""Tests for render.interpolate: per-vertex attributes over fragments."""

import numpy as np
import tensorflow as tf

from render import interpolate
from render import rasterizer
from tests import testing
from tests.render import meshes
from tests.render import reference


def _slow_interpolate(face_ids, bary, faces, attributes):
  """One pixel at a time: Σ_i bary_i · A[faces[f, i]] (0 on background)."""
  height, width = face_ids.shape
  out = np.zeros((height, width, attributes.shape[-1]))
  for y in range(height):
    for x in range(width):
      f = face_ids[y, x]
      if f < 0:
        continue
      for i in range(3):
        out[y, x] += bary[y, x, i] * attributes[faces[f, i]]
  return out


class InterpolateTest(testing.TestCase):

  @testing.parameters((False,), (True,))
  def test_dense_matches_numpy_reference(self, cull):
    verts, faces = meshes.sphere_screen(size=16)
    attributes = self.rng.normal(size=(2, len(verts), 4))
    settings = rasterizer.RasterSettings((16, 16), cull_backfaces=cull)
    frags = rasterizer.rasterize(tf.constant(np.stack([verts, verts])),
                                 faces, settings)
    got = interpolate.interpolate_attributes(frags, faces, attributes,
                                             background=0.0).numpy()
    ids, _, bary = reference.hard(verts, faces, 16, 16, cull_backfaces=cull)
    self.assertGreater(np.sum(ids >= 0), 40)
    for b in range(2):
      want = _slow_interpolate(frags.face_ids[b].numpy(),
                               frags.bary[b].numpy(), faces, attributes[b])
      np.testing.assert_allclose(got[b], want, atol=1e-12)
      # And with the reference rasterizer's own faces and barycentrics.
      far = ids >= 0
      np.testing.assert_allclose(
          got[b][far], _slow_interpolate(ids, bary, faces,
                                         attributes[b])[far], atol=1e-6)

  def test_background_value(self):
    verts, faces = meshes.sphere_screen(size=12)
    frags = rasterizer.rasterize(
        tf.constant(verts[None]), faces, rasterizer.RasterSettings((12, 12)))
    got = interpolate.interpolate_attributes(
        frags, faces, np.ones((1, len(verts), 2)), background=-3.0).numpy()
    mask = frags.mask[0].numpy()
    self.assertTrue(np.all(got[0][~mask] == -3.0))
    np.testing.assert_allclose(got[0][mask], 1.0, atol=1e-12)

  def test_linear_attribute_is_reproduced(self):
    # Interpolating the vertices' own screen position with screen-space
    # barycentrics gives back each pixel centre.
    verts, faces = meshes.random_triangles(self.rng, 6, 14)
    frags = rasterizer.rasterize(
        tf.constant(verts[None]), faces,
        rasterizer.RasterSettings((14, 14), perspective_correct=False))
    xy = interpolate.interpolate_attributes(frags, faces,
                                            verts[None, :, :2]).numpy()[0]
    ys, xs = np.mgrid[0:14, 0:14]
    mask = frags.mask[0].numpy()
    self.assertGreater(mask.sum(), 10)
    np.testing.assert_allclose(xy[mask], np.stack([xs, ys], -1)[mask],
                               atol=1e-9)

  def test_at_matches_dense(self):
    verts, faces = meshes.sphere_screen(size=10)
    frags = rasterizer.rasterize(tf.constant(verts[None]), faces,
                                 rasterizer.RasterSettings((10, 10)))
    attributes = self.rng.normal(size=(1, len(verts), 3))
    where = tf.where(frags.mask)
    sparse = interpolate.interpolate_at(
        where[:, 0], tf.gather_nd(frags.face_ids, where),
        tf.gather_nd(frags.bary, where), faces, attributes)
    dense = interpolate.interpolate_attributes(frags, faces, attributes)
    np.testing.assert_allclose(sparse.numpy(),
                               tf.gather_nd(dense, where).numpy(), atol=0)

  def test_bad_shapes(self):
    verts, faces = meshes.sphere_screen(size=8)
    frags = rasterizer.rasterize(tf.constant(verts[None]), faces,
                                 rasterizer.RasterSettings((8, 8)))
    with self.assertRaisesRegex(ValueError, "attributes"):
      interpolate.interpolate_attributes(frags, faces, np.ones((len(verts),
                                                                3)))
    with self.assertRaisesRegex(ValueError, "bary"):
      interpolate.interpolate_at([0], [0], [1.0, 0.0, 0.0], faces,
                                 np.ones((1, len(verts), 3)))


if __name__ == "__main__":
  testing.main()
