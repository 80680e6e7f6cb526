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
