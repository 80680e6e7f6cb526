"""Tests for render.rasterizer (hard z-buffer)."""

import cv2
import numpy as np
import tensorflow as tf

from render import camera
from render import rasterizer
from tests import testing
from tests.render import meshes
from tests.render import reference


def _edge_distance(verts_screen, faces, height, width):
  """Distance from each pixel centre to the nearest drawn edge, [H, W]."""
  ys, xs = np.mgrid[0:height, 0:width]
  points = np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float64)
  best = np.full(len(points), np.inf)
  for face in faces:
    corners = verts_screen[face, :2]
    for i in range(3):
      a, b = corners[i], corners[(i + 1) % 3]
      ab = b - a
      t = np.clip((points - a) @ ab / max(ab @ ab, 1e-12), 0, 1)
      d = np.linalg.norm(points - (a + t[:, None] * ab), axis=1)
      best = np.minimum(best, d)
  return best.reshape(height, width)


def _rasterize(verts, faces, size, **kwargs):
  settings = rasterizer.RasterSettings(image_size=(size, size), **kwargs)
  return rasterizer.rasterize(tf.constant(verts[None]), faces, settings)


class RasterizerTest(testing.TestCase):

  @testing.parameters((False,), (True,))
  def test_matches_reference_on_sphere(self, cull):
    verts, faces = meshes.sphere_screen(size=20)
    frags = _rasterize(verts, faces, 20, cull_backfaces=cull)
    ids, depth, bary = reference.hard(verts, faces, 20, 20,
                                      cull_backfaces=cull)
    # Pixel centres lying exactly on an edge may go either way; none here.
    far = _edge_distance(verts, faces, 20, 20) > 1e-6
    self.assertGreater(np.sum(ids >= 0), 50)
    np.testing.assert_array_equal(frags.face_ids[0].numpy()[far], ids[far])
    np.testing.assert_allclose(frags.depth[0].numpy(), depth, atol=1e-9)
    np.testing.assert_allclose(frags.bary[0].numpy(), bary, atol=1e-9)

  @testing.parameters((True,), (False,))
  def test_matches_reference_on_overlapping_triangles(self, perspective):
    verts, faces = meshes.random_triangles(self.rng, 12, 16)
    frags = _rasterize(verts, faces, 16, perspective_correct=perspective)
    ids, depth, bary = reference.hard(verts, faces, 16, 16,
                                      perspective_correct=perspective)
    np.testing.assert_array_equal(frags.face_ids[0].numpy(), ids)
    np.testing.assert_array_equal(frags.mask[0].numpy(), ids >= 0)
    np.testing.assert_allclose(frags.depth[0].numpy(), depth, atol=1e-9)
    np.testing.assert_allclose(frags.bary[0].numpy(), bary, atol=1e-9)

  def test_mask_matches_opencv_fill_poly(self):
    size = 48
    verts, faces = meshes.sphere_screen(size=size, subdivisions=0)
    frags = _rasterize(verts.astype(np.float32), faces, size,
                       cull_backfaces=True)
    corners = verts[faces, :2]
    d1, d2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    front = faces[d1[:, 0] * d2[:, 1] - d2[:, 0] * d1[:, 1] < 0]
    expected = np.zeros((size, size), np.uint8)
    shift = 8
    for face in front:
      polygon = np.round(verts[face, :2] * (1 << shift)).astype(np.int32)
      cv2.fillPoly(expected, [polygon], 1, lineType=cv2.LINE_8, shift=shift)
    # fillPoly also fills the pixels its (8-connected) edge lines pass
    # through, up to a pixel outside; compare farther than that from edges.
    boundary = _edge_distance(verts, front, size, size) < 1.0
    got = frags.mask[0].numpy()
    self.assertGreater(np.sum(~boundary & (expected == 1)), 200)
    np.testing.assert_array_equal(got[~boundary], expected[~boundary] == 1)

  def test_plane_depth_and_batch(self):
    # A square at depth 2 and 3 in two batch elements; centre pixel depth.
    square = np.array([[-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], float)
    faces = np.array([[0, 2, 1], [0, 3, 2]], np.int32)
    batch = []
    for depth in (2.0, 3.0):
      points = square * [1, 1, depth]
      batch.append(meshes.screen(points, focal=10.0, size=9))
    settings = rasterizer.RasterSettings(image_size=(9, 9))
    frags = rasterizer.rasterize(tf.constant(np.stack(batch)), faces,
                                 settings)
    np.testing.assert_allclose(frags.depth[:, 4, 4].numpy(), [2.0, 3.0])
    # Half-width 10/depth pixels: 5 and 3.33 pixels around the centre.
    self.assertEqual(int(frags.mask[0].numpy().sum()), 81)
    self.assertEqual(int(frags.mask[1].numpy().sum()), 49)

  def test_backface_culling_sign(self):
    # A camera-facing CCW (seen from the camera) quad is front-facing.
    verts, faces = meshes.sphere_screen(size=16, subdivisions=1)
    front = _rasterize(verts, faces, 16, cull_backfaces=True)
    flipped = _rasterize(verts, faces[:, ::-1].copy(), 16,
                         cull_backfaces=True)
    full = _rasterize(verts, faces, 16)
    np.testing.assert_array_equal(front.face_ids.numpy(),
                                  full.face_ids.numpy())
    # Wound inside out, the back half is drawn: the far depths.
    self.assertGreater(float(tf.reduce_sum(flipped.depth - front.depth)), 0)

  def test_bad_vertices_are_dropped_without_nan(self):
    verts, faces = meshes.random_triangles(self.rng, 6, 12)
    verts[0, 0] = np.nan  # face 0: NaN vertex
    verts[3:6, 2] = 0.0  # face 1: at z = 0
    verts[6, 2] = -1.0  # face 2: behind the camera
    verts[10] = verts[9]  # face 3: degenerate
    verts[11] = verts[9]
    verts = tf.constant(verts[None])
    settings = rasterizer.RasterSettings(image_size=(12, 12))
    with tf.GradientTape() as tape:
      tape.watch(verts)
      frags = rasterizer.rasterize(verts, faces, settings)
      loss = tf.reduce_sum(frags.depth) + tf.reduce_sum(frags.bary)
    grad = tape.gradient(loss, verts)
    ids = frags.face_ids.numpy()
    self.assertFalse(np.isin(ids, [0, 1, 2, 3]).any())
    for value in (frags.depth, frags.bary, grad):
      self.assertTrue(np.all(np.isfinite(value.numpy())))

  def test_depth_gradient_matches_finite_differences(self):
    verts, faces = meshes.sphere_screen(size=12)
    settings = rasterizer.RasterSettings(image_size=(12, 12))
    verts = tf.constant(verts[None])

    def loss(v):
      return tf.reduce_sum(rasterizer.rasterize(v, faces, settings).depth)

    with tf.GradientTape() as tape:
      tape.watch(verts)
      value = loss(verts)
    grad = tape.gradient(value, verts).numpy()
    step = 1e-6
    for index in [(0, 3, 2), (0, 5, 2), (0, 7, 0)]:
      delta = np.zeros(verts.shape)
      delta[index] = step
      numeric = (loss(verts + delta) - loss(verts - delta)).numpy() / (2 * step)
      self.assertAllClose(grad[index], numeric, rtol=1e-4, atol=1e-6)

  def test_weak_perspective_orthographic_depth(self):
    # A tilted square straddling Z = 0 under a weak-perspective camera:
    # no near plane, depth interpolated linearly on screen.
    square = np.array([[-1, -1, -0.5], [1, -1, -0.5], [1, 1, 0.5],
                       [-1, 1, 0.5]], np.float32)
    faces = np.array([[0, 2, 1], [0, 3, 2]], np.int32)
    cam = camera.WeakPerspectiveCamera(scale=[0.5], translation=[[0.0, 0.0]],
                                       crop_size=16)
    settings = rasterizer.RasterSettings(image_size=(16, 16), z_near=None,
                                         perspective_correct=False)
    frags = rasterizer.rasterize(cam.transform_points_screen(square[None]),
                                 faces, settings)
    # v = 8·0.5·Y + 7.5 covers rows 4..11; Z = Y / 2 = (v − 7.5) / 8.
    mask = frags.mask[0].numpy()
    self.assertTrue(mask[4:12, 4:12].all())
    self.assertFalse(mask[:3].any())
    rows = np.arange(4, 12)
    self.assertAllClose(frags.depth[0, 4:12, 8], (rows - 7.5) / 8.0,
                        atol=1e-5)

  def test_empty_scene(self):
    verts = np.array([[[100.0, 100.0, 1.0], [101.0, 100.0, 1.0],
                       [100.0, 101.0, 1.0]]])
    settings = rasterizer.RasterSettings(image_size=(8, 6))
    frags = rasterizer.rasterize(verts, [[0, 1, 2]], settings)
    self.assertEqual(frags.face_ids.shape, (1, 8, 6))
    self.assertAllEqual(frags.face_ids, -np.ones((1, 8, 6)))
    frags = rasterizer.rasterize(np.zeros((2, 0, 3)),
                                 np.zeros((0, 3), np.int32), settings)
    self.assertFalse(np.any(frags.mask.numpy()))

  def test_inside_tf_function(self):
    verts, faces = meshes.sphere_screen(size=16)
    settings = rasterizer.RasterSettings(image_size=(16, 16))
    fn = tf.function(lambda v: rasterizer.rasterize(v, faces, settings).depth)
    eager = rasterizer.rasterize(verts[None], faces, settings).depth
    self.assertAllClose(fn(tf.constant(verts[None])), eager)

  @testing.named_parameters(
      ("verts_rank", np.zeros((4, 3)), np.zeros((1, 3), np.int32)),
      ("verts_channels", np.zeros((1, 4, 2)), np.zeros((1, 3), np.int32)),
      ("faces_shape", np.zeros((1, 4, 3)), np.zeros((1, 4), np.int32)),
      ("faces_dtype", np.zeros((1, 4, 3)), np.zeros((1, 3), np.float32)))
  def test_bad_shapes(self, verts, faces):
    settings = rasterizer.RasterSettings(image_size=(4, 4))
    with self.assertRaises(ValueError):
      rasterizer.rasterize(verts, faces, settings)

  def test_bad_image_size(self):
    with self.assertRaises(ValueError):
      rasterizer.RasterSettings(image_size=(0, 4))


if __name__ == "__main__":
  testing.main()
