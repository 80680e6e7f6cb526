"""Tests for body/keypoints.py."""

import dataclasses

import numpy as np

from body import keypoints
from body import lbs
from body import toy
from tests import testing


class KeypointsTest(testing.TestCase):

  @testing.parameters(("SMPL_24", 24), ("COCO_17", 17), ("COCO_21", 21),
                      ("LSP_14", 14), ("COCO_21_LSP", 23))
  def test_sets_are_consistent(self, name, size):
    kset = keypoints.get(name)
    self.assertEqual(kset.size, size)
    perm = kset.flip_permutation()
    self.assertAllEqual(perm[perm], np.arange(size))  # An involution.
    for a, b in kset.flip_pairs:
      self.assertEqual(kset.names[a].replace("left_", ""),
                       kset.names[b].replace("right_", ""))
    # The skeleton is connected.
    reached, frontier = {0}, [0]
    while frontier:
      i = frontier.pop()
      for a, b in kset.edges:
        for x, y in ((a, b), (b, a)):
          if x == i and y not in reached:
            reached.add(y)
            frontier.append(y)
    self.assertLen(reached, size)

  def test_known_orders(self):
    self.assertEqual(keypoints.COCO_21_LSP.names[:21], keypoints.COCO_21.names)
    self.assertEqual(keypoints.COCO_21_LSP.names[21:], ("neck", "head_top"))
    self.assertEqual(keypoints.LSP_14.names[0], "right_ankle")
    self.assertEqual(keypoints.LSP_14.names[13], "head_top")
    self.assertEqual(keypoints.COCO_17.names[:3],
                     ("nose", "left_eye", "right_eye"))
    self.assertEqual(len(keypoints.SMPL_24.flip_pairs), 9)
    # COCO_21 is COCO_17, then a foot and a hand point per side.
    self.assertEqual(keypoints.COCO_21.names[:17], keypoints.COCO_17.names)
    self.assertEqual(keypoints.COCO_21.names[17:], (
        "left_foot", "right_foot", "left_hand", "right_hand"))
    self.assertEqual(keypoints.COCO_21.flip_pairs[:8],
                     keypoints.COCO_17.flip_pairs)

  def test_regress_picks_joints_and_landmarks(self):
    assets = toy.make_assets()
    out = lbs.forward_axis_angle(assets, np.zeros((2, 10)),
                                 self.rng.normal(scale=0.4, size=(2, 72)))
    coco = keypoints.regress(assets, out.vertices, keypoints.COCO_17).numpy()
    verts = out.vertices.numpy()
    self.assertAllClose(coco[:, 0], verts[:, assets.landmarks["nose"]])
    expected_knee = np.einsum("v,bvc->bc", assets.j_regressor[4], verts)
    self.assertAllClose(coco[:, 13], expected_knee)

  def test_unknown_set_and_missing_landmark(self):
    with self.assertRaisesRegex(ValueError, "known"):
      keypoints.get("MPII_16")
    assets = toy.make_assets()
    bare = dataclasses.replace(assets, landmarks={})
    with self.assertRaisesRegex(ValueError, "landmark 'nose'"):
      keypoints.regressor(bare, keypoints.COCO_17)


if __name__ == "__main__":
  testing.main()
