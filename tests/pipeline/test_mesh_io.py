"""Tests for pipeline/mesh_io.py: OBJ and PLY files read back the same."""

import os

import numpy as np

from body import toy
from pipeline import mesh_io
from tests import testing


class MeshIoTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    assets = toy.make_assets()
    self.faces = np.asarray(assets.faces)
    self.vertices = (np.asarray(assets.v_template) + self.rng.normal(
        0, 0.01, assets.v_template.shape)).astype(np.float32)
    self.dir = self.create_tempdir().full_path

  @testing.parameters(("obj", None), ("ply", True), ("ply", False))
  def test_read_back(self, ext, binary):
    path = os.path.join(self.dir, f"m.{ext}")
    if ext == "obj":
      mesh_io.write_obj(path, self.vertices, self.faces)
      verts, faces = mesh_io.read_obj(path)
    else:
      mesh_io.write_ply(path, self.vertices, self.faces, binary=binary)
      verts, faces = mesh_io.read_ply(path)
    exact = ext == "ply" and binary
    self.assertAllClose(verts, self.vertices, atol=0 if exact else 1e-6)
    self.assertAllEqual(faces, self.faces)
    self.assertEqual(os.listdir(self.dir), [f"m.{ext}"])  # No temporaries.

  def test_trimesh_reads_the_same(self):
    try:
      import trimesh  # pylint: disable=g-import-not-at-top
    except ImportError:
      self.skipTest("trimesh is not installed")
    for name, write in (("m.obj", mesh_io.write_obj),
                        ("m.ply", mesh_io.write_ply)):
      path = os.path.join(self.dir, name)
      write(path, self.vertices, self.faces)
      mesh = trimesh.load(path, process=False)
      self.assertAllClose(mesh.vertices, self.vertices, atol=1e-6)
      self.assertAllEqual(mesh.faces, self.faces)

  def test_bad_faces_are_named(self):
    with self.assertRaisesRegex(ValueError, "faces index"):
      mesh_io.write_obj(os.path.join(self.dir, "x.obj"), self.vertices,
                        self.faces + len(self.vertices))
    with self.assertRaisesRegex(ValueError, r"vertices must be \[V, 3\]"):
      mesh_io.write_ply(os.path.join(self.dir, "x.ply"),
                        self.vertices[:, :2], self.faces)


if __name__ == "__main__":
  testing.main()
