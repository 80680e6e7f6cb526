"""Tests for human2d/mpii.py on a tiny release written in MPII's own format:
a MATLAB struct `RELEASE` (scipy.io.savemat) and JPEG images."""

import os

import cv2
import numpy as np
import scipy.io
import tensorflow as tf

from body import keypoints
from human2d import mpii
from human2d import record
from tests import testing

NAMES = keypoints.COCO_21_LSP.names
POINT = [("x", object), ("y", object), ("id", object), ("is_visible", object)]
RECT = [("x1", object), ("y1", object), ("x2", object), ("y2", object),
        ("annopoints", object), ("scale", object), ("objpos", object)]
TEST_RECT = [("scale", object), ("objpos", object)]   # Test images.


def points(xy, ids, visible):
  """A 1×n MATLAB struct array of points; visible items may be a number,
  a '0'/'1' string or None (an empty `[]`)."""
  out = np.zeros((1, len(ids)), dtype=POINT)
  for i, (p, j, v) in enumerate(zip(xy, ids, visible)):
    out[0, i] = (np.array([[p[0]]]), np.array([[p[1]]]), np.array([[j]]),
                 np.zeros((0, 0)) if v is None else v)
  return out


def rect(pts, head, scale, objpos):
  out = np.zeros((1, 1), dtype=RECT)
  out[0, 0] = (head[0], head[1], head[2], head[3],
               np.zeros((0, 0)) if pts is None else {"point": pts},
               scale, {"x": objpos[0], "y": objpos[1]})
  return out


def write_release(root, images, img_train, single_person):
  """images: [(name, annorect struct array or None)]."""
  annolist = np.zeros((1, len(images)),
                      dtype=[("image", object), ("annorect", object)])
  for i, (name, rects) in enumerate(images):
    annolist[0, i] = ({"name": name},
                      np.zeros((0, 0)) if rects is None else rects)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    cv2.imwrite(os.path.join(root, "images", name),
                np.full([50, 60, 3], 30 * i, np.uint8))
  cells = np.empty((len(images), 1), dtype=object)
  for i, s in enumerate(single_person):
    cells[i, 0] = np.array(s, float).reshape(-1, 1) if s else np.zeros(
        (0, 0))
  folder = os.path.join(root, "mpii_human_pose_v1_u12_2")
  os.makedirs(folder)
  scipy.io.savemat(os.path.join(folder, mpii.MAT_NAME), {"RELEASE": {
      "annolist": annolist, "img_train": np.array([img_train], float),
      "single_person": cells}})


class MpiiTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.xy = self.rng.uniform(5, 45, size=[16, 2]).round(1)
    # Image 1: two people. Person 1 has all 16 joints, with the three
    # forms of is_visible; person 2 has no annopoints (skipped).
    vis = [1, "0", None] + [1] * 13
    two = np.zeros((1, 2), dtype=RECT)
    two[0, 0] = rect(points(self.xy, range(16), vis), (10, 5, 20, 13), 0.25,
                     (30, 25))[0, 0]
    two[0, 1] = rect(None, (1, 1, 2, 2), 0.3, (10, 10))[0, 0]
    # Image 2: one person with three joints (one point struct per joint).
    three = rect(points(self.xy[[0, 9, 15]], [0, 9, 15], [1, 1, 0]),
                 (1, 1, 4, 5), 0.2, (20, 20))
    # Image 3: a test image (scale and objpos only).
    test = np.zeros((1, 1), dtype=TEST_RECT)
    test[0, 0] = (1.5, {"x": 30, "y": 30})
    write_release(self.root, [("000000001.jpg", two), ("000000002.jpg", three),
                              ("000000003.jpg", test), ("000000004.jpg", None)],
                  [1, 1, 0, 1], [[1], [], [1], []])

  def test_mapping_visibility_and_head_size(self):
    exs = list(mpii.examples(self.root))
    self.assertEqual([e.name for e in exs],
                     ["000000001.jpg#1", "000000002.jpg#1"])
    ex = exs[0]
    # 14 of the 16 joints map (pelvis and thorax have no counterpart).
    self.assertEqual(ex.labelled.sum(), 14)
    self.assertEqual(ex.labelled[NAMES.index("nose")], 0)
    for mpii_id, name in ((9, "head_top"), (8, "neck"), (0, "right_ankle"),
                          (13, "left_shoulder"), (10, "right_wrist")):
      self.assertAllClose(ex.keypoints[NAMES.index(name)],
                          self.xy[mpii_id] - 1.0)   # MATLAB 1-based.
    # is_visible 1 → 1, '0' → 0, [] → 1 (no information).
    self.assertEqual(ex.visible[NAMES.index("right_ankle")], 1)
    self.assertEqual(ex.visible[NAMES.index("right_knee")], 0)
    self.assertEqual(ex.visible[NAMES.index("right_hip")], 1)
    self.assertAllClose(ex.head_size, 0.6 * np.hypot(10, 8))
    self.assertEqual(ex.source, "mpii")

  def test_boxes(self):
    ex = next(mpii.examples(self.root))
    # Square of side 200·0.25 = 50 around objpos − 1, moved down 15·0.25.
    self.assertAllClose(ex.box, [4.0, 2.75, 54.0, 52.75])
    ex = next(mpii.examples(self.root, box="points"))
    lab = ex.labelled > 0
    self.assertAllClose(ex.box[:2], ex.keypoints[lab].min(0))
    self.assertAllClose(ex.box[2:], ex.keypoints[lab].max(0))

  def test_splits_and_single_person(self):
    self.assertEqual(list(mpii.examples(self.root, split="test")), [])
    self.assertLen(list(mpii.examples(self.root, split="all")), 2)
    single = list(mpii.examples(self.root, single_person_only=True))
    self.assertEqual([e.name for e in single], ["000000001.jpg#1"])
    three = list(mpii.examples(self.root, min_keypoints=4))
    self.assertLen(three, 1)
    with self.assertRaisesRegex(ValueError, "split"):
      list(mpii.examples(self.root, split="val"))

  @testing.parameters(False, True)
  def test_people_either_way_scipy_reads_the_struct(self, squeeze_me):
    people = list(mpii.people(mpii.find_annotations(self.root),
                              squeeze_me=squeeze_me))
    self.assertEqual([(p.image_index, p.rect_index, p.train, p.single)
                      for p in people],
                     [(0, 0, True, True), (0, 1, True, False),
                      (1, 0, True, False), (2, 0, False, True)])
    self.assertAllClose(people[0].points, self.xy - 1.0)
    self.assertAllClose(people[0].visible, [1, 0] + [1] * 14)
    self.assertEqual(people[1].labelled.sum(), 0)
    self.assertAllClose(people[2].labelled[[0, 9, 15]], [1, 1, 1])
    self.assertAllClose(people[2].visible[[0, 9, 15]], [1, 1, 0])
    self.assertAllClose(people[0].head_box, [9, 4, 19, 12])
    self.assertIsNone(people[3].head_box)
    self.assertAllClose(people[3].objpos, [29.0, 29.0])
    self.assertAllClose(people[3].scale, 1.5)

  def test_bad_entry_named_or_skipped(self):
    root = self.create_tempdir().full_path
    good = rect(points(self.xy[:2], [0, 1], [1, 1]), (1, 1, 4, 5), 0.2,
                (20, 20))
    bad = rect(points(self.xy[:2], [0, 16], [1, 1]), (1, 1, 4, 5), 0.2,
               (20, 20))
    write_release(root, [("a.jpg", good), ("b.jpg", bad)], [1, 1], [[], []])
    with self.assertRaisesRegex(ValueError, r"u12_1.mat: annolist\(2\)"
                                r"\.annorect\(1\): joint id must be 0..15"):
      list(mpii.examples(root))
    with self.assertLogs(level="WARNING") as logs:
      exs = list(mpii.examples(root, skip_bad=True))
    self.assertEqual([e.name for e in exs], ["a.jpg#1"])
    self.assertIn("annolist(2)", logs.output[0])
    os.remove(os.path.join(root, "images", "a.jpg"))
    with self.assertRaisesRegex(ValueError, r"annorect\(1\) \(a.jpg\): "
                                "cannot read"):
      list(mpii.examples(root, skip_bad=False))
    with self.assertRaisesRegex(ValueError, "no mpii_human_pose"):
      list(mpii.examples(self.create_tempdir().full_path))

  def test_record_round_trip(self):
    exs = list(mpii.examples(self.root))
    path = os.path.join(self.root, "mpii.tfrecord")
    self.assertEqual(record.write(exs, path), 2)
    parsed = list(tf.data.TFRecordDataset(path).map(record.parse_fn()))
    for ex, p in zip(exs, parsed):
      self.assertAllClose(p["keypoints"], ex.keypoints)
      self.assertAllClose(p["visible"], ex.visible)
      self.assertAllClose(p["box"], ex.box)
      self.assertAllClose(p["head_size"], ex.head_size)
      self.assertEqual(p["silhouette"].numpy(), b"")
      self.assertEqual(p["image"].numpy(), ex.image)


if __name__ == "__main__":
  testing.main()
