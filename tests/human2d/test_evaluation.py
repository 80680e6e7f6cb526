"""Tests for human2d/evaluation.py."""

import os

import numpy as np

from body import keypoints
from human2d import evaluation
from human2d import lsp
from human2d import record
from tests import testing
from tests.human2d import test_lsp

NAMES = keypoints.COCO_21_LSP.names


class EvaluationTest(testing.TestCase):

  def test_pck_hand_worked(self):
    truth = np.zeros([2, 2, 2])
    pred = np.array([[[1.0, 0.0], [3.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])
    labelled = np.array([[1, 1], [1, 0]])
    out = evaluation.pck(pred, truth, labelled, np.array([10.0, 10.0]), 0.2)
    # Threshold 2 px: point (0,0) hit, (0,1) miss, (1,0) hit, (1,1) unlabelled.
    self.assertAllClose(out, [1.0, 0.0])

  def test_torso_size(self):
    xy = np.zeros([2, len(NAMES), 2])
    lab = np.zeros([2, len(NAMES)])
    ls, rh = NAMES.index("left_shoulder"), NAMES.index("right_hip")
    rs, lh = NAMES.index("right_shoulder"), NAMES.index("left_hip")
    xy[0, ls], xy[0, rh], lab[0, [ls, rh]] = (0, 0), (3, 4), 1
    xy[1, rs], xy[1, lh], lab[1, [rs, lh]] = (0, 0), (6, 8), 1
    self.assertAllClose(evaluation.torso_size(xy, lab, NAMES), [5.0, 10.0])

  def test_summary_of_perfect_and_shifted_predictions(self):
    truth = self.rng.uniform(0, 100, size=[4, len(NAMES), 2])
    lab = np.ones([4, len(NAMES)])
    perfect = evaluation.summarise(truth, truth, lab, NAMES)
    self.assertEqual(perfect["PCK@0.2"], 100.0)
    self.assertEqual(perfect["mean px"], 0.0)
    far = evaluation.summarise(truth + 1000, truth, lab, NAMES)
    self.assertEqual(far["PCK12@0.2"], 0.0)

  def test_iou(self):
    a = np.zeros([1, 4, 4])
    b = np.zeros([1, 4, 4])
    a[0, :2] = 1
    b[0, 1:3] = 1
    self.assertAllClose(evaluation.iou(a, b), [1 / 3])

  def test_segmentation_scores_hand_worked(self):
    # Image 0: truth = rows 0–1 (8 px); prediction = row 1 + pixel (2, 0)
    # (a 0.5 is not body): tp 4, fp 1, fn 4, tn 7. Image 1: both empty.
    truth = np.zeros([2, 4, 4])
    truth[0, :2] = 1.0
    pred = np.zeros([2, 4, 4])
    pred[0, 1] = 0.9
    pred[0, 2, 0] = 0.7
    pred[0, 3, 3] = 0.5
    counts = evaluation.segmentation_counts(pred, truth)
    self.assertAllEqual(np.stack(counts), [[4, 0], [1, 0], [4, 0], [7, 16]])
    scores = evaluation.segmentation_scores(counts)
    # Pooled: tp 4, fp 1, fn 4, tn 23 of 32 pixels.
    body_f1, background_f1 = 8 / 13, 46 / 51
    self.assertAllClose(
        [scores["IoU"], scores["fg acc"], scores["fg F1"], scores["body F1"]],
        [100 * (4 / 9 + 1) / 2, 100 * 27 / 32,
         100 * (body_f1 + background_f1) / 2, 100 * body_f1])
    self.assertAllClose(evaluation.iou(pred, truth), [4 / 9, 1.0])

  def test_segmentation_perfect_and_empty(self):
    truth = (self.rng.uniform(size=[3, 5, 6]) > 0.6).astype(np.float32)
    perfect = evaluation.segmentation_scores(
        evaluation.segmentation_counts(truth, truth))
    self.assertEqual(set(perfect.values()), {100.0})
    # No body in prediction or truth: nothing wrong, every score is 100.
    empty = np.zeros([2, 3, 3])
    self.assertEqual(set(evaluation.segmentation_scores(
        evaluation.segmentation_counts(empty, empty)).values()), {100.0})
    # An empty truth with one false body pixel: body F1 and IoU 0.
    one = empty.copy()
    one[:, 0, 0] = 1.0
    scores = evaluation.segmentation_scores(
        evaluation.segmentation_counts(one, empty))
    self.assertEqual((scores["IoU"], scores["body F1"]), (0.0, 0.0))
    self.assertAllClose(scores["fg acc"], 100 * 8 / 9)
    with self.assertRaisesRegex(ValueError, "same shape"):
      evaluation.segmentation_counts(one, empty[:, :2])
    with self.assertRaisesRegex(ValueError, "no pixels"):
      evaluation.segmentation_scores(
          evaluation.segmentation_counts(np.zeros([0, 2, 2]),
                                         np.zeros([0, 2, 2])))

  def test_silhouette_to_image_hand_worked(self):
    # Crop → image: x = 2 x' + 2.5, y = 2 y' + 0.5; an 8-px crop, a 2 × 2
    # silhouette (pixel u centred on crop x' = 4u + 1.5), body at u = 0,
    # v = 1. Image x ↦ u = (x − 5.5) / 8, y ↦ v = (y − 3.5) / 8. Bilinear,
    # the edge value beyond the outer centres: (1 − u clipped) · (v
    # clipped); the crop spans image x ≥ 1.5, y < 15.5, outside is 0.
    sil = np.array([[0.0, 0.0], [1.0, 0.0]])
    t = np.array([[2.0, 0.0, 2.5], [0.0, 2.0, 0.5]])
    out = evaluation.silhouette_to_image(sil, t, 8, (20, 12))
    self.assertEqual(out.shape, (20, 12))
    u = (np.arange(12) - 5.5) / 8
    v = (np.arange(20) - 3.5) / 8
    want = np.outer(np.clip(v, 0, 1), np.clip(1 - np.maximum(u, 0), 0, 1))
    want[16:] = 0.0
    want[:, :2] = 0.0
    self.assertAllClose(out, want, atol=1 / 32)   # OpenCV's 5-bit weights.
    with self.assertRaisesRegex(ValueError, "silhouette must be"):
      evaluation.silhouette_to_image(np.zeros([2, 3]), t, 8, (20, 12))

  def test_image_frame_counts_skip_images_without_a_mask(self):
    truth = np.zeros([8, 8], bool)
    truth[2:6, 1:4] = True
    masks = [record.png_mask(truth), b""]
    # The crop is the image (identity); an all-body prediction covers it.
    t = np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]]), [2, 1, 1])
    counts = evaluation.image_frame_counts(np.ones([2, 2, 2]), masks, t, 8)
    self.assertAllEqual(np.stack(counts), [[12], [52], [0], [0]])
    with self.assertRaisesRegex(ValueError, "give one each"):
      evaluation.image_frame_counts(np.ones([1, 2, 2]), masks, t, 8)

  def test_lsp_protocol_crops_map_back_to_the_image(self):
    root = self.create_tempdir().full_path
    xy = self.rng.uniform(5, 35, size=[2, 14, 2])
    test_lsp.write_fixture(root, "lsp", xy, np.zeros([2, 14]))
    path = os.path.join(root, "r.tfrecord")
    record.write(lsp.examples(root, "lsp"), path)
    d = evaluation.crops_from_records(path, "COCO_21_LSP", 64)
    self.assertEqual(d["crops"].shape, (2, 64, 64, 3))
    # Image → crop → image is the identity (crop round trip).
    t = d["transforms"]
    a = t[:, :, :2]
    crop_pts = np.einsum("nij,nkj->nki", np.linalg.inv(a),
                         d["keypoints"] - t[:, None, :, 2])
    self.assertAllClose(evaluation.to_image(crop_pts, t), d["keypoints"],
                        atol=1e-4)
    # The box of the joints, 1.25× its larger side, spans the crop.
    lab = d["labelled"][0] > 0
    span = np.ptp(crop_pts[0][lab], axis=0).max()
    self.assertAllClose(span, 64 / 1.25, atol=0.5)


if __name__ == "__main__":
  testing.main()
