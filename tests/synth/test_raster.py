"""Tests for synth/raster.py against render/'s hard z-buffer and by hand."""

import numpy as np

from render import primitives
from render import rasterizer
from synth import raster
from tests import testing


def _sphere_screen(rng, b, size):
  mesh = primitives.icosphere(3)
  verts = np.asarray(mesh[0], np.float64)
  screens = []
  for _ in range(b):
    centre = np.array([rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3),
                       rng.uniform(2.5, 4.0)])
    v = verts * rng.uniform(0.4, 0.9) + centre
    f = 0.8 * size
    xy = f * v[:, :2] / v[:, 2:] + 0.5 * (size - 1)
    screens.append(np.concatenate([xy, v[:, 2:]], axis=1))
  return np.stack(screens), np.asarray(mesh[1])


class RasterTest(testing.TestCase):

  def test_matches_render_zbuffer(self):
    screen, faces = _sphere_screen(self.rng, 3, 32)
    ours = raster.rasterize(screen, faces, 32, 32,
                            queries=np.tile(np.stack(np.meshgrid(
                                np.arange(32), np.arange(32)), -1).reshape(
                                    1, -1, 2), (3, 1, 1)))
    frags = rasterizer.rasterize(
        screen.astype(np.float32), faces.astype(np.int32),
        rasterizer.RasterSettings(image_size=(32, 32), cull_backfaces=True,
                                  jit_compile=False))
    mask = frags.mask.numpy()
    # Pixel centres exactly on a silhouette edge may go either way.
    self.assertLessEqual(np.sum(ours.mask != mask), 3)
    self.assertGreater(mask.sum(), 100)
    both = (ours.mask & mask).reshape(3, -1)
    depth = ours.query_depth.reshape(3, -1)
    self.assertAllClose(depth[both], frags.depth.numpy().reshape(3, -1)[both],
                        atol=1e-4)

  def test_hand_built_triangles(self):
    # Two overlapping screen triangles, front faces (clockwise on screen
    # with y down), the second nearer.
    screen = np.array([[[1.0, 1.0, 5.0], [1.0, 8.0, 5.0], [8.0, 1.0, 5.0],
                        [2.0, 2.0, 2.0], [2.0, 9.0, 2.0], [9.0, 2.0, 2.0]]])
    faces = np.array([[0, 1, 2], [3, 4, 5]])
    queries = np.array([[[1, 1], [3, 3], [8, 8], [20, 3]]])
    out = raster.rasterize(screen, faces, 10, 10, queries=queries)
    # Covered pixel centres: x + y ≤ 9 for face 0 (x, y ≥ 1), x + y ≤ 11
    # for face 1 (x, y ≥ 2).
    yy, xx = np.mgrid[0:10, 0:10]
    expected = (((xx >= 1) & (yy >= 1) & (xx + yy <= 9)) |
                ((xx >= 2) & (yy >= 2) & (xx + yy <= 11)))
    self.assertAllEqual(out.mask[0], expected)
    self.assertAllEqual(out.query_face[0], [0, 1, -1, -1])
    self.assertAllClose(out.query_depth[0, :2], [5.0, 2.0])
    self.assertTrue(np.all(np.isinf(out.query_depth[0, 2:])))
    # Reversed winding = back faces: culled.
    back = raster.rasterize(screen, faces[:, ::-1], 10, 10)
    self.assertFalse(back.mask.any())

  def test_perspective_correct_depth(self):
    # A plane tilted in depth: the depth at a pixel is the ray's hit, found
    # independently by intersecting the ray with the plane.
    f, c = 10.0, 4.5
    world = np.array([[-1.0, -1.0, 2.0], [-1.0, 1.0, 4.0], [1.0, -1.0, 2.0],
                      [1.0, 1.0, 4.0]])
    screen = np.concatenate([f * world[:, :2] / world[:, 2:] + c,
                             world[:, 2:]], 1)[None]
    faces = np.array([[0, 1, 2], [2, 1, 3]])
    out = raster.rasterize(screen, faces, 10, 10, queries=np.array([[[6, 3]]]),
                           cull_backfaces=False)
    # Plane z = 3 + y; ray (x, y) = ((u - c)/f, (v - c)/f) · z.
    ry = (3 - c) / f
    expected = 3.0 / (1.0 - ry)
    self.assertAllClose(out.query_depth[0, 0], expected, atol=1e-9)

  def test_bad_shapes(self):
    with self.assertRaises(ValueError):
      raster.rasterize(np.zeros((2, 3)), np.zeros((1, 3), int), 4, 4)
    with self.assertRaises(ValueError):
      raster.rasterize(np.zeros((1, 3, 3)), np.zeros((1, 2), int), 4, 4)


if __name__ == "__main__":
  testing.main()
