"""Tests for human2d/losses.py on a hand-worked case."""

import numpy as np

from human2d import losses
from tests import testing


class LossesTest(testing.TestCase):

  def test_hand_worked_case(self):
    # B=2, N=2 stacks, M=2, K=2. Target all zero; predictions 1 on one
    # pixel of keypoint 0 of example 0 (stack 0) and everywhere on keypoint 1
    # of example 1, which is unlabelled.
    hm = np.zeros([2, 2, 2, 2, 2], np.float32)
    hm[0, 0, 0, 0, 0] = 1.0
    hm[1, :, :, :, 1] = 5.0
    sil = np.zeros([2, 2, 2, 2, 2], np.float32)   # Logits 0: p = 0.5.
    batch = {
        "heatmaps": np.zeros([2, 2, 2, 2], np.float32),
        "weights": np.array([[1, 1], [1, 0]], np.float32),
        "silhouette": np.ones([2, 2, 2], np.float32),
        "has_silhouette": np.array([1.0, 0.0], np.float32),
    }
    out = losses.total(hm, sil, batch, heatmap_weight=100.0)
    # Stack 0: errors per (b, k): (0,0) = 1/4, (0,1) = 0, (1,0) = 0; mean
    # over the 3 labelled = 1/12. Stack 1: 0.
    self.assertAllClose(out["heatmap"], 1.0 / 12.0)
    # CE of p = 0.5 is ln 2 per pixel, example 0 only, two stacks.
    self.assertAllClose(out["silhouette"], 2 * np.log(2.0), atol=1e-6)
    self.assertAllClose(out["total"], 100.0 / 12.0 + 2 * np.log(2.0),
                        atol=1e-5)

  def test_no_labels_no_nan(self):
    out = losses.total(np.ones([1, 1, 2, 2, 1]), np.ones([1, 1, 2, 2, 2]),
                       {"heatmaps": np.zeros([1, 2, 2, 1]),
                        "weights": np.zeros([1, 1]),
                        "silhouette": np.zeros([1, 2, 2]),
                        "has_silhouette": np.zeros([1])})
    self.assertEqual(float(out["total"]), 0.0)

  def test_rank_check(self):
    with self.assertRaisesRegex(ValueError, "B, N, M, M"):
      losses.total(np.zeros([1, 2, 2, 1]), np.zeros([1, 1, 2, 2, 2]), {})


if __name__ == "__main__":
  testing.main()
