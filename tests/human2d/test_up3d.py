"""Tests for human2d/up3d.py on tiny folders in UP-3D's and UPi-S1h's own
formats (NNNNN_image.png, NNNNN_joints.npy, NNNNN_render_light.png, split
files; im%04d_segmentation.png beside an LSP fixture)."""

import os

import cv2
import numpy as np
import tensorflow as tf

from body import keypoints
from human2d import lsp
from human2d import record
from human2d import up3d
from tests import testing
from tests.human2d import test_lsp

NAMES = keypoints.COCO_21_LSP.names
H, W = 32, 24


def body_mask():
  mask = np.zeros([H, W], bool)
  mask[4:28, 8:16] = True
  return mask


def write_up3d(root, joints, split="trainval", render_size=(H, W)):
  """joints: {number: [3 or 2, 14] array}."""
  with open(os.path.join(root, f"{split}.txt"), "w") as f:
    f.write("".join(f"/{n:05d}_image.png\n" for n in joints))
  for n, j in joints.items():
    stem = os.path.join(root, f"{n:05d}")
    cv2.imwrite(f"{stem}_image.png", np.full([H, W, 3], 7 * n, np.uint8))
    np.save(f"{stem}_joints.npy", j)
    render = np.full([*render_size, 3], 255, np.uint8)
    m = np.zeros(render_size, bool)
    m[:H, :W] = body_mask()
    render[m] = (254, 255, 255)   # A highlight is still the body.
    render[m & (np.arange(render_size[1]) < 12)] = (90, 100, 110)
    cv2.imwrite(f"{stem}_render_light.png", render)


def decode(png):
  return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)


class Up3dTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.xy = self.rng.uniform(2, 20, size=[2, 2, 14])
    flags = np.ones([14])
    flags[3] = 0   # Left hip not annotated.
    self.joints = {1: np.concatenate([self.xy[0], flags[None]]),
                   7: self.xy[1]}   # The [2, 14] form.
    write_up3d(self.root, self.joints)

  def test_mapping_flags_and_silhouette(self):
    exs = list(up3d.examples(self.root))
    self.assertEqual([e.name for e in exs],
                     ["00001_image.png", "00007_image.png"])
    ex = exs[0]
    for i, name in enumerate(keypoints.LSP_14.names):
      j = NAMES.index(name)
      self.assertEqual(ex.labelled[j], 0.0 if i == 3 else 1.0, name)
      if i != 3:
        self.assertAllClose(ex.keypoints[j], self.xy[0][:, i])
    self.assertAllEqual(ex.visible, ex.labelled)
    self.assertEqual(exs[1].labelled.sum(), 14)
    self.assertEqual(ex.labelled[NAMES.index("nose")], 0)
    self.assertAllEqual(decode(ex.silhouette) > 0, body_mask())
    self.assertEqual(ex.source, "up3d")
    lab = ex.labelled > 0
    self.assertAllClose(ex.box, np.concatenate(
        [ex.keypoints[lab].min(0), ex.keypoints[lab].max(0)]))
    no_sil = next(up3d.examples(self.root, silhouettes=False))
    self.assertEqual(no_sil.silhouette, b"")

  def test_bad_image_named_or_skipped(self):
    root = self.create_tempdir().full_path
    write_up3d(root, {2: self.joints[1]}, split="test",
               render_size=(H + 2, W))   # Wrong size.
    with self.assertRaisesRegex(ValueError, r"test.txt: image 00002: the "
                                r"rendering is \(34, 24\), the image "
                                r"\(32, 24\)"):
      list(up3d.examples(root, "test"))
    with self.assertLogs(level="WARNING"):
      self.assertEqual(list(up3d.examples(root, "test", skip_bad=True)), [])
    np.save(os.path.join(root, "00002_joints.npy"), np.zeros([14, 3]))
    with self.assertRaisesRegex(ValueError, r"00002_joints.npy: joints must "
                                r"be \[3, 14\]"):
      list(up3d.examples(root, "test", silhouettes=False))
    with open(os.path.join(root, "val.txt"), "w") as f:
      f.write("\nrubbish\n")
    with self.assertRaisesRegex(ValueError, "val.txt: line 2: expected"):
      list(up3d.examples(root, "val"))
    with self.assertRaisesRegex(ValueError, "cannot read the UP-3D split"):
      list(up3d.examples(root, "train"))

  def test_record_round_trip(self):
    exs = list(up3d.examples(self.root))
    path = os.path.join(self.root, "up3d.tfrecord")
    self.assertEqual(record.write(exs, path), 2)
    parsed = list(tf.data.TFRecordDataset(path).map(record.parse_fn()))
    for ex, p in zip(exs, parsed):
      self.assertAllClose(p["keypoints"], ex.keypoints)
      self.assertAllClose(p["labelled"], ex.labelled)
      self.assertEqual(p["silhouette"].numpy(), ex.silhouette)
      self.assertEqual(p["image"].numpy(), ex.image)


def write_s1h(s1h, kind, masks):
  """UPi-S1h's mask files {image number: bool [H, W]} for LSP ("lsp") or
  LSPET ("lspet") under `s1h/data/`."""
  sub, pattern = up3d.S1H_FOLDERS[kind]
  folder = os.path.join(s1h, "data", sub)
  os.makedirs(folder, exist_ok=True)
  for n, mask in masks.items():
    image = np.asarray(mask, np.uint8) * 255
    if kind == "lspet":   # RGB: the mask in the first (red) channel.
      image = np.stack([1 - mask, np.zeros_like(image), image], -1)
    cv2.imwrite(os.path.join(folder, pattern.format(n)), image)


class UpiS1hTest(testing.TestCase):

  def write(self, kind, masks, lsp_size=(60, 40)):
    """An LSP fixture of 3 images and UPi-S1h masks {number: [H, W]}."""
    lsp_root = self.create_tempdir().full_path
    xy = self.rng.uniform(5, 35, size=[3, 14, 2])
    test_lsp.write_fixture(lsp_root, kind, xy, np.zeros([3, 14]) if
                           kind == "lsp" else np.ones([3, 14]), lsp_size)
    s1h = self.create_tempdir().full_path
    write_s1h(s1h, kind, masks)
    return lsp_root, s1h

  def test_lsp_masks_attached_missing_left_out(self):
    mask = np.zeros([60, 40], bool)
    mask[10:50, 12:30] = True
    lsp_root, s1h = self.write("lsp", {1: mask, 3: ~mask})
    with self.assertLogs(level="WARNING") as logs:
      exs = list(up3d.with_s1h_silhouettes(lsp.examples(lsp_root, "lsp"),
                                           s1h, "lsp"))
    self.assertIn("1 lsp images had no", logs.output[0])
    self.assertEqual([e.name for e in exs], ["im0001.jpg", "im0003.jpg"])
    self.assertAllEqual(decode(exs[0].silhouette) > 0, mask)
    self.assertAllEqual(decode(exs[1].silhouette) > 0, ~mask)
    self.assertEqual(exs[0].source, "lsp+upi_s1h")
    self.assertEqual(exs[0].labelled.sum(), 14)
    with self.assertLogs(level="WARNING") as logs:
      kept = list(up3d.with_s1h_silhouettes(
          lsp.examples(lsp_root, "lsp"), s1h, "lsp", keep_missing=True))
    self.assertIn("1 lsp images had no", logs.output[0])
    self.assertIn("kept without one", logs.output[0])
    self.assertEqual([(e.name, bool(e.silhouette)) for e in kept],
                     [("im0001.jpg", True), ("im0002.jpg", False),
                      ("im0003.jpg", True)])

  def test_lspet_red_channel_and_size_check(self):
    mask = np.zeros([60, 40], bool)
    mask[5:20, 5:9] = True
    lsp_root, s1h = self.write("lspet", {2: mask})
    exs = list(up3d.with_s1h_silhouettes(lsp.examples(lsp_root, "lspet"),
                                         s1h, "lspet"))
    self.assertEqual([e.name for e in exs], ["im00002.jpg"])
    self.assertAllEqual(decode(exs[0].silhouette) > 0, mask)
    lsp_root, s1h = self.write("lsp", {1: mask}, lsp_size=(30, 20))
    with self.assertRaisesRegex(ValueError, r"lsp: im0001.jpg: the UPi-S1h "
                                r"mask is \(60, 40\), the image \(30, 20\)"):
      list(up3d.with_s1h_silhouettes(lsp.examples(lsp_root, "lsp"), s1h,
                                     "lsp"))
    with self.assertRaisesRegex(ValueError, "no UPi-S1h masks for lspet"):
      list(up3d.with_s1h_silhouettes([], s1h, "lspet"))


if __name__ == "__main__":
  testing.main()
