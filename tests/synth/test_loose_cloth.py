"""Tests for synth/loose_cloth.py."""

import numpy as np

from body import toy
from synth import loose_cloth
from tests import testing


class LooseClothTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.assets = toy.make_assets()
    cls.topology = loose_cloth.topology(cls.assets)

  def test_topology(self):
    t = self.topology
    n = 2 * loose_cloth.RINGS * loose_cloth.SEGMENTS
    self.assertEqual(t.rest.shape, (n, 3))
    self.assertEqual(t.faces.shape,
                     (4 * (loose_cloth.RINGS - 1) * loose_cloth.SEGMENTS, 3))
    self.assertEqual(t.faces.max(), n - 1)
    self.assertLen(t.ring_ids, loose_cloth.SEGMENTS)
    self.assertTrue(set(np.unique(t.face_nbf)) <= {2, 7, 8})

  def test_outer_faces_face_outwards(self):
    t = self.topology
    outer = t.faces[:len(t.faces) // 2]
    tri = t.rest[outer]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    centre = t.rest[:loose_cloth.SEGMENTS].mean(axis=0)
    radial = (tri.mean(axis=1) - centre) * [1, 0, 1]
    outward = np.sum(normal * radial, -1)
    drawn = np.abs(outward) > 1e-9         # the toy's box waist has
    self.assertGreater(drawn.sum(), 8)     # repeated ring vertices
    self.assertGreater(np.mean(outward[drawn] > 0), 0.9)
    inner = t.rest[t.faces[len(t.faces) // 2:]]
    n_in = np.cross(inner[:, 1] - inner[:, 0], inner[:, 2] - inner[:, 0])
    self.assertLess(np.mean(np.sum(n_in * radial, -1)[drawn] > 0), 0.1)

  def test_hem_below_waist_and_collapsed_when_disabled(self):
    v = self.assets.v_template
    joints = self.assets.j_regressor @ v
    top = v[self.topology.ring_ids][None].repeat(2, 0)
    knees = joints[list(loose_cloth.KNEES)][None].repeat(2, 0)
    cloth = loose_cloth.build(top, knees, np.array([1.0, 1.0]),
                              np.array([0.5, 0.5]), np.array([True, False]))
    hem = cloth[0, (loose_cloth.RINGS - 1) * loose_cloth.SEGMENTS:
                loose_cloth.RINGS * loose_cloth.SEGMENTS]
    self.assertLess(hem[:, 1].max(), top[0, :, 1].min())   # y up: lower
    waist = np.ptp(top[0, :, 0])
    self.assertGreater(np.ptp(hem[:, 0]), waist)            # flared
    self.assertEqual(np.ptp(cloth[1], axis=0).max(), 0.0)   # one point


if __name__ == "__main__":
  testing.main()
