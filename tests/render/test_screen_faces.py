"""Tests for render.screen_faces: mesh checks shared by both rasterizers."""

import numpy as np
import tensorflow as tf

from render import rasterizer
from render import screen_faces
from render import soft_silhouette
from tests import testing
from tests.render import meshes


def _hard(verts, faces):
  settings = rasterizer.RasterSettings(image_size=(12, 12))
  return rasterizer.rasterize(verts, faces, settings).face_ids


def _soft(verts, faces):
  settings = soft_silhouette.SoftSilhouetteSettings(image_size=(12, 12))
  return soft_silhouette.soft_silhouette(verts, faces, settings)


class CheckMeshTest(testing.TestCase):

  @testing.named_parameters(
      ("hard_plus_million", _hard, 10**6, np.int32),
      ("soft_plus_million", _soft, 10**6, np.int32),
      ("hard_negative", _hard, -10**6, np.int64),
      # 2^32 + 5 used to be cast to int32 first, becoming the valid 5.
      ("soft_wraps_in_int32", _soft, 2**32, np.int64),
      ("hard_wraps_in_int32", _hard, 2**32, np.int64),
  )
  def test_out_of_range_faces_raise(self, render, offset, dtype):
    # Issue 19, defect 2: XLA gathers clamp, drawing a wrong silhouette.
    verts, faces = meshes.sphere_screen(size=12, subdivisions=1)
    faces = faces.astype(dtype)
    faces[2, 1] += offset
    with self.assertRaisesRegex(ValueError,
                                f"faces index .*{faces[2, 1]}.*outside"):
      render(tf.constant(verts[None], tf.float32), faces)

  def test_dynamic_faces_are_checked_when_run(self):
    verts, faces = meshes.sphere_screen(size=12, subdivisions=1)
    faces = faces.astype(np.int64)

    @tf.function
    def run(v, f):
      return screen_faces.check_mesh(v, f)[1]

    v = tf.constant(verts[None], tf.float32)
    self.assertAllEqual(run(v, faces), faces)
    faces[0, 0] = 2**32 + 5
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "outside"):
      run(v, tf.constant(faces))

  def test_in_range_faces_pass_as_int32(self):
    verts, faces = meshes.sphere_screen(size=12, subdivisions=1)
    _, checked = screen_faces.check_mesh(verts[None], faces.astype(np.uint16))
    self.assertEqual(checked.dtype, tf.int32)
    self.assertAllEqual(checked, faces)


if __name__ == "__main__":
  testing.main()
