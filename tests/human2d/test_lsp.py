"""Tests for human2d/lsp.py and human2d/record.py on fixtures written in
LSP's own formats (scipy.io.savemat, JPEG files)."""

import os

import cv2
import numpy as np
import scipy.io
import tensorflow as tf

from body import keypoints
from human2d import lsp
from human2d import record
from tests import testing


def write_fixture(root, kind, joints_xy, flags, size=(60, 40)):
  """An LSP (kind "lsp") or LSPET folder with len(joints_xy) images."""
  os.makedirs(os.path.join(root, "images"), exist_ok=True)
  n = len(joints_xy)
  if kind == "lsp":   # [3, 14, N], row 3 = occluded.
    joints = np.concatenate([np.transpose(joints_xy, [2, 1, 0]),
                             np.transpose(flags, [1, 0])[None]], axis=0)
  else:               # [14, 3, N], column 3 = annotated.
    joints = np.concatenate([np.transpose(joints_xy, [1, 2, 0]),
                             np.transpose(flags, [1, 0])[:, None]], axis=1)
  scipy.io.savemat(os.path.join(root, "joints.mat"), {"joints": joints})
  for i in range(n):
    image = np.full([size[0], size[1], 3], 40 * i, np.uint8)
    cv2.imwrite(os.path.join(root, "images", lsp.image_name(kind, i + 1)),
                image)


class LspTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.xy = self.rng.uniform(5, 35, size=[3, 14, 2])

  def test_lsp_occlusion_flag_is_inverted(self):
    root = self.create_tempdir().full_path
    occluded = np.zeros([3, 14])
    occluded[1, 6] = 1   # Image 2's right wrist is occluded.
    write_fixture(root, "lsp", self.xy, occluded)
    exs = list(lsp.examples(root, "lsp"))
    self.assertLen(exs, 3)
    target = keypoints.COCO_21_LSP
    wrist = target.names.index("right_wrist")
    self.assertEqual(exs[1].visible[wrist], 0.0)
    self.assertEqual(exs[1].labelled[wrist], 1.0)
    self.assertEqual(exs[0].visible[wrist], 1.0)
    # All 14 LSP joints labelled, no face/foot/hand points.
    self.assertEqual(exs[0].labelled.sum(), 14)
    self.assertEqual(exs[0].labelled[target.names.index("nose")], 0.0)
    # MATLAB 1-based → 0-based pixels, mapped by name.
    self.assertAllClose(exs[2].keypoints[target.names.index("head_top")],
                        self.xy[2, 13] - 1.0)

  def test_lspet_flag_means_annotated(self):
    root = self.create_tempdir().full_path
    annotated = np.ones([3, 14])
    annotated[0, 0] = 0          # Image 1's right ankle is not annotated.
    xy = self.xy.copy()
    xy[0, 0] = [-1.0, -5.0]
    write_fixture(root, "lspet", xy, annotated)
    exs = list(lsp.examples(root, "lspet"))
    ankle = keypoints.COCO_21_LSP.names.index("right_ankle")
    self.assertEqual(exs[0].labelled[ankle], 0.0)
    self.assertEqual(exs[1].labelled[ankle], 1.0)
    # The box ignores the unlabelled point.
    self.assertGreaterEqual(exs[0].box.min(), 0.0)

  def test_wrong_layout_and_split(self):
    root = self.create_tempdir().full_path
    write_fixture(root, "lspet", self.xy, np.ones([3, 14]))
    with self.assertRaisesRegex(ValueError, "kind='lspet'"):
      list(lsp.examples(root, "lsp"))
    with self.assertRaisesRegex(ValueError, "split"):
      list(lsp.examples(root, "lspet", split="val"))
    with self.assertRaisesRegex(ValueError, "joints.mat"):
      list(lsp.examples(os.path.join(root, "missing"), "lsp"))

  def test_split_numbers(self):
    root = self.create_tempdir().full_path
    write_fixture(root, "lsp", self.xy, np.zeros([3, 14]))
    names = [e.name for e in lsp.examples(root, "lsp", numbers=[3, 1])]
    self.assertEqual(names, ["im0003.jpg", "im0001.jpg"])

  def test_record_round_trip(self):
    root = self.create_tempdir().full_path
    write_fixture(root, "lsp", self.xy, np.zeros([3, 14]))
    exs = list(lsp.examples(root, "lsp"))
    path = os.path.join(root, "out.tfrecord")
    self.assertEqual(record.write(exs, path), 3)
    self.assertEqual(record.record_files(root), [path])
    parsed = list(tf.data.TFRecordDataset(path).map(record.parse_fn()))
    self.assertLen(parsed, 3)
    for ex, p in zip(exs, parsed):
      self.assertAllClose(p["keypoints"], ex.keypoints)
      self.assertAllClose(p["labelled"], ex.labelled)
      self.assertAllClose(p["box"], ex.box)
      self.assertEqual(p["name"].numpy().decode(), ex.name)
      self.assertEqual(p["image"].numpy(), ex.image)
    with self.assertRaises(tf.errors.InvalidArgumentError):
      list(tf.data.TFRecordDataset(path).map(record.parse_fn("COCO_17")))

  def test_example_validation(self):
    k = keypoints.COCO_21_LSP.size
    good = dict(image=b"x", keypoint_set="COCO_21_LSP",
                keypoints=np.zeros([k, 2]), labelled=np.ones(k),
                visible=np.ones(k), box=np.zeros(4), source="s", name="n")
    record.Example(**good)
    with self.assertRaisesRegex(ValueError, "keypoints must have shape"):
      record.Example(**{**good, "keypoints": np.zeros([k, 3])})
    with self.assertRaisesRegex(ValueError, "not finite"):
      record.Example(**{**good, "box": np.array([0, 0, np.nan, 1])})
    with self.assertRaisesRegex(ValueError, "no TFRecord files"):
      record.record_files(self.create_tempdir().full_path)


if __name__ == "__main__":
  testing.main()
