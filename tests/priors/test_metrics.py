"""Metrics against hand-worked cases and SciPy."""

import numpy as np
from scipy.spatial import procrustes
from scipy.spatial.transform import Rotation

from body import keypoints
from priors import metrics
from tests import testing


class MpjpeTest(testing.TestCase):

  def test_hand_case_root_aligned(self):
    gt = np.array([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    # Shifted by 5 m (removed by root alignment), second joint off by 3-4-5.
    pred = gt + 5.0
    pred[0, 1] += [0.003, 0.004, 0.0]
    np.testing.assert_allclose(metrics.mpjpe(pred, gt), [2.5])   # (0 + 5) / 2
    np.testing.assert_allclose(metrics.mpjpe(pred, gt, root=None),
                               [np.mean([np.sqrt(75) * 1000,
                                         np.linalg.norm([5.003, 5.004, 5]) *
                                         1000])])

  def test_mid_hip_root_for_coco(self):
    self.assertEqual(tuple(metrics.root_indices(keypoints.COCO_17)),
                     (11, 12))
    self.assertEqual(tuple(metrics.root_indices(keypoints.SMPL_24)), (0,))

  def test_pck_and_auc_hand_case(self):
    gt = np.zeros((1, 4, 3))
    pred = np.zeros((1, 4, 3))
    pred[0, :, 0] = [0.0, 0.0495, 0.1, 0.2]     # 0, 49.5, 100, 200 mm
    np.testing.assert_allclose(metrics.pck3d(pred, gt, 150.0, root=None),
                               [0.75])
    # PCK at t = 0,5,...,150: joint0 always (31), joint1 from 50 (21), joint2
    # from 100 (11), joint3 never.
    np.testing.assert_allclose(metrics.auc3d(pred, gt, root=None),
                               [(31 + 21 + 11) / (4 * 31)])

  @testing.parameters(((2, 5, 2),), ((2, 5),), ((5, 3),))
  def test_rejects_bad_shapes(self, shape):
    with self.assertRaisesRegex(ValueError, "pred"):
      metrics.mpjpe(np.zeros(shape), np.zeros(shape))

  def test_rejects_mismatched(self):
    with self.assertRaisesRegex(ValueError, "same shape"):
      metrics.mpjpe(np.zeros((2, 5, 3)), np.zeros((2, 4, 3)))


class ProcrustesTest(testing.TestCase):

  def test_similarity_recovered_exactly(self):
    gt = self.rng.normal(size=(3, 14, 3))
    rot = Rotation.random(3, random_state=1).as_matrix()
    pred = 1.7 * np.einsum("bij,bnj->bni", rot, gt) + [0.3, -2.0, 5.0]
    np.testing.assert_allclose(metrics.pa_mpjpe(pred, gt), np.zeros(3),
                               atol=1e-8)

  def test_matches_scipy_procrustes(self):
    gt = self.rng.normal(size=(4, 17, 3))
    pred = gt + 0.1 * self.rng.normal(size=gt.shape)
    aligned = metrics.similarity_align(pred, gt)
    for b in range(4):
      mtx1, mtx2, _ = procrustes(gt[b], pred[b])
      # SciPy standardises gt to unit Frobenius norm around its mean.
      centred = gt[b] - gt[b].mean(axis=0)
      norm = np.linalg.norm(centred)
      expected = mtx2 * norm + gt[b].mean(axis=0)
      np.testing.assert_allclose(aligned[b], expected, atol=1e-9)
      self.assertAllClose(mtx1 * norm, centred)

  def test_reflection_is_not_an_alignment(self):
    # A mirror image: SciPy's orthogonal Procrustes may reflect (disparity 0),
    # a proper similarity may not.
    gt = self.rng.normal(size=(1, 10, 3))
    pred = gt * np.array([-1.0, 1.0, 1.0])
    _, _, disparity = procrustes(gt[0], pred[0])
    self.assertLess(disparity, 1e-12)
    self.assertGreater(metrics.pa_mpjpe(pred, gt)[0], 10.0)
    aligned = metrics.similarity_align(pred, gt)[0]
    # The aligned set is a proper rotation (+scale) of pred: its signed
    # volume keeps pred's sign.
    def volume(p):
      c = p - p.mean(axis=0)
      return np.linalg.det(c[:3].T @ c[:3])
    self.assertGreater(volume(aligned) * volume(pred[0]), 0)

  def test_hand_case_scale_only(self):
    gt = np.array([[[1.0, 0, 0], [-1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0]]])
    pred = 0.5 * gt
    pred[0, 0, 2] = 0.001  # 1 mm out of plane, breaks nothing else much
    self.assertLess(metrics.pa_mpjpe(pred, gt)[0], 1.0)
    self.assertAllClose(metrics.pa_mpjpe(0.5 * gt, gt), [0.0], atol=1e-9)


class PveTest(testing.TestCase):

  def test_hand_case(self):
    gt = np.zeros((1, 3, 3))
    pred = np.array([[[0.0, 0.0, 0.01], [0.0, 0.0, 0.01], [0.0, 0.0, 0.04]]])
    self.assertAllClose(metrics.pve(pred, gt), [20.0])
    # Root alignment: pred's root at z = 0.01 cancels the common offset.
    self.assertAllClose(
        metrics.pve(pred, gt, pred_root=[[0, 0, 0.01]], gt_root=[[0, 0, 0]]),
        [10.0])


class TwoDTest(testing.TestCase):

  def test_pck2d_mask_and_empty(self):
    gt = np.zeros((2, 3, 2))
    pred = np.array([[[1, 0], [4, 0], [10, 0]], [[0, 0], [0, 0], [0, 0]]],
                    float)
    mask = np.array([[True, True, False], [False, False, False]])
    out = metrics.pck2d(pred, gt, 5.0, mask)
    self.assertAllClose(out[0], 1.0)
    self.assertTrue(np.isnan(out[1]))
    self.assertAllClose(metrics.pck2d(pred, gt, 5.0)[0], 2 / 3)

  def test_pck2d_per_sample_threshold(self):
    gt = np.zeros((2, 2, 2))
    pred = np.array([[[1, 0], [3, 0]], [[1, 0], [3, 0]]], float)
    self.assertAllClose(metrics.pck2d(pred, gt, [2.0, 4.0]), [0.5, 1.0])
    with self.assertRaisesRegex(ValueError, "threshold_px"):
      metrics.pck2d(pred, gt, [1.0, 2.0, 3.0])

  def test_pckh_hand_case(self):
    gt = np.zeros((1, 3, 2))
    pred = np.array([[[1, 0], [3, 0], [6, 0]]], float)
    # Head size 10: PCKh@0.5 counts points within 5, PCKh@0.1 within 1.
    self.assertAllClose(metrics.pckh(pred, gt, [10.0]), [2 / 3])
    self.assertAllClose(metrics.pckh(pred, gt, [10.0], alpha=0.1), [1 / 3])
    # A missed point is wrong however close its placeholder lies.
    found = np.array([[False, True, True]])
    self.assertAllClose(metrics.pckh(pred, gt, [10.0], found=found), [1 / 3])
    # Points outside the mask do not count at all.
    mask = np.array([[True, True, False]])
    self.assertAllClose(metrics.pckh(pred, gt, [10.0], mask=mask), [1.0])

  def test_silhouette_iou_hand_case(self):
    a = np.zeros((2, 4, 4), bool)
    b = np.zeros((2, 4, 4), bool)
    a[0, :2, :2] = True          # 4 pixels
    b[0, :2, 1:3] = True         # 4 pixels, 2 shared -> 2 / 6
    self.assertAllClose(metrics.silhouette_iou(a, b), [1 / 3, 1.0])


if __name__ == "__main__":
  testing.main()
