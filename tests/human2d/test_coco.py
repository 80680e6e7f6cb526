"""Tests for human2d/coco.py on a tiny split written in COCO's own format:
`annotations/person_keypoints_<split>.json` (a polygon, an uncompressed and
a compressed RLE mask, a crowd region, a person without keypoints, another
category) and the JPEG images."""

import json
import os

import cv2
import numpy as np
import tensorflow as tf

from body import keypoints
from human2d import coco
from human2d import record
from tests import testing

NAMES = keypoints.COCO_21_LSP.names
H, W = 24, 40


def runs(mask):
  """Run lengths of a bool mask, column-major, background first."""
  flat = np.asarray(mask, bool).T.ravel()
  out, current, n = [], False, 0
  for v in flat:
    if v != current:
      out.append(n)
      current, n = v, 0
    n += 1
  return out + [n]


def compress(counts):
  """The COCO API's rleToString, written out for the fixture."""
  chars = []
  for i, x in enumerate(counts):
    if i > 2:
      x -= counts[i - 2]
    more = True
    while more:
      c = x & 0x1F
      x >>= 5
      more = (x != -1) if c & 0x10 else (x != 0)
      if more:
        c |= 0x20
      chars.append(chr(c + 48))
  return "".join(chars)


def keypoint_list(rng, flags):
  xy = rng.integers(1, 30, size=[17, 2]).astype(float)
  xy[np.asarray(flags) == 0] = 0
  return np.concatenate([xy, np.asarray(flags)[:, None]], 1).ravel().tolist()


def write_split(root, anns, split="val2017"):
  os.makedirs(os.path.join(root, "annotations"))
  os.makedirs(os.path.join(root, split))
  images = [{"id": i, "file_name": f"{i:012d}.jpg", "height": H, "width": W}
            for i in (1, 2)]
  for im in images:
    cv2.imwrite(os.path.join(root, split, im["file_name"]),
                np.full([H, W, 3], 9 * im["id"], np.uint8))
  data = {"images": images, "annotations": anns, "categories": [
      {"id": 1, "name": "person", "keypoints": list(keypoints.COCO_17.names)},
      {"id": 2, "name": "bicycle"}]}
  with open(coco.annotation_path(root, split), "w") as f:
    json.dump(data, f)


class CocoTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.flags = [2, 1, 0] + [2] * 14
    self.rle_mask = np.zeros([H, W], bool)
    self.rle_mask[3:9, 5:12] = True
    self.rle_mask[15, 30] = True
    base = dict(category_id=1, iscrowd=0, bbox=[4.0, 6.0, 20.0, 10.0],
                image_id=1)
    self.anns = [
        dict(base, id=11, keypoints=keypoint_list(self.rng, self.flags),
             segmentation=[[10, 10, 30, 10, 30, 20, 10, 20]]),
        dict(base, id=12, keypoints=keypoint_list(self.rng, [2] * 17),
             segmentation={"size": [H, W], "counts": runs(self.rle_mask)}),
        dict(base, id=13, image_id=2,
             keypoints=keypoint_list(self.rng, [1] * 17),
             segmentation={"size": [H, W],
                           "counts": compress(runs(self.rle_mask))}),
        dict(base, id=14, iscrowd=1, keypoints=[0] * 51,
             segmentation={"size": [H, W], "counts": [H * W]}),
        dict(base, id=15, keypoints=[0] * 51,
             segmentation=[[0, 0, 5, 0, 5, 5]]),
        dict(base, id=16, category_id=2, keypoints=[0] * 51),
    ]
    write_split(self.root, self.anns)

  def test_mapping_flags_and_box(self):
    exs = list(coco.examples(self.root, "val2017"))
    self.assertEqual([e.name for e in exs],
                     ["000000000001.jpg#11", "000000000001.jpg#12",
                      "000000000002.jpg#13"])
    ex = exs[0]
    kp = np.reshape(self.anns[0]["keypoints"], [17, 3])
    for i, name in enumerate(keypoints.COCO_17.names):
      j = NAMES.index(name)
      self.assertEqual(ex.labelled[j], float(kp[i, 2] > 0), name)
      self.assertEqual(ex.visible[j], float(kp[i, 2] == 2), name)
      if kp[i, 2] > 0:
        self.assertAllClose(ex.keypoints[j], kp[i, :2])
    for name in ("neck", "head_top", "left_foot", "right_hand"):
      self.assertEqual(ex.labelled[NAMES.index(name)], 0)
    # [x, y, w, h] with corners at integers → centres at integers.
    self.assertAllClose(ex.box, [3.5, 5.5, 23.5, 15.5])
    self.assertEqual(exs[2].visible.sum(), 0)
    self.assertEqual(exs[2].labelled.sum(), 17)
    self.assertEqual(exs[0].source, "coco")

  def test_masks(self):
    exs = list(coco.examples(self.root, "val2017"))
    decode = lambda b: cv2.imdecode(np.frombuffer(b, np.uint8), 0)
    square = np.zeros([H, W], np.uint8)
    square[10:20, 10:30] = 255   # Pixel centres inside x 10..30, y 10..20.
    self.assertAllEqual(decode(exs[0].silhouette), square)
    self.assertAllEqual(decode(exs[1].silhouette) > 0, self.rle_mask)
    self.assertAllEqual(decode(exs[2].silhouette) > 0, self.rle_mask)
    # A triangle and a disjoint second part: centres (x + ½, y + ½) with
    # x + y + 1 < 20.2, and the rectangle's pixels.
    mask = coco.polygon_mask([[0, 0, 20.2, 0, 0, 20.2],
                              [30, 10, 35, 10, 35, 12, 30, 12]], (H, W))
    y, x = np.mgrid[:H, :W]
    expected = (x + y <= 19) | ((x >= 30) & (x < 35) & (y >= 10) & (y < 12))
    self.assertAllEqual(mask, expected)
    no_masks = list(coco.examples(self.root, "val2017", masks=False))
    self.assertEqual({e.silhouette for e in no_masks}, {b""})
    # min_keypoints=0 keeps the person annotated by mask and box only.
    all_people = list(coco.examples(self.root, "val2017", min_keypoints=0))
    self.assertEqual(all_people[-1].name, "000000000001.jpg#15")
    self.assertEqual(all_people[-1].labelled.sum(), 0)

  def test_compressed_rle_hand_worked(self):
    # '1','2','3' are runs 1, 2, 3; 'O' (79 − 48 = 31: sign bit set) is −1
    # added to the run two before (2) → 1.
    self.assertEqual(coco.decode_counts("123O"), [1, 2, 3, 1])
    mask = coco.rle_mask({"size": [7, 1], "counts": "123O"}, (7, 1))
    self.assertAllEqual(mask[:, 0], [0, 1, 1, 0, 0, 0, 1])
    big = [300, 5, 70000, 2]
    self.assertEqual(coco.decode_counts(compress(big)), big)
    with self.assertRaisesRegex(ValueError, "runs sum"):
      coco.rle_mask({"size": [7, 1], "counts": [1, 2]}, (7, 1))
    with self.assertRaisesRegex(ValueError, "ends inside"):
      coco.decode_counts("1P")   # 0x20: more follows.

  def test_bad_annotation_named_or_skipped(self):
    root = self.create_tempdir().full_path
    anns = [dict(self.anns[0]), dict(self.anns[1], id=99)]
    anns[1]["segmentation"] = {"size": [H + 1, W], "counts": [H * W + W]}
    write_split(root, anns)
    with self.assertRaisesRegex(ValueError, r"person_keypoints_val2017.json: "
                                r"annotations\[1\] \(id 99, image "
                                r"000000000001.jpg\): RLE size"):
      list(coco.examples(root, "val2017"))
    with self.assertLogs(level="WARNING") as logs:
      exs = list(coco.examples(root, "val2017", skip_bad=True))
    self.assertLen(exs, 1)
    self.assertIn("id 99", logs.output[0])
    with self.assertRaisesRegex(ValueError, "cannot read COCO"):
      list(coco.examples(root, "train2017"))

  def test_record_round_trip(self):
    exs = list(coco.examples(self.root, "val2017"))
    path = os.path.join(self.root, "coco.tfrecord")
    self.assertEqual(record.write(exs, path), 3)
    parsed = list(tf.data.TFRecordDataset(path).map(record.parse_fn()))
    for ex, p in zip(exs, parsed):
      self.assertAllClose(p["keypoints"], ex.keypoints)
      self.assertAllClose(p["labelled"], ex.labelled)
      self.assertAllClose(p["box"], ex.box)
      self.assertEqual(p["silhouette"].numpy(), ex.silhouette)
      sil = tf.io.decode_png(p["silhouette"], 1)
      self.assertEqual(sil.shape, (H, W, 1))


if __name__ == "__main__":
  testing.main()
