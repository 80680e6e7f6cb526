"""Evaluation: perfect predictions score perfectly; the table; inference."""

import numpy as np
import tensorflow as tf

from body import bundled
from body import keypoints
from body import lbs
from body import rotation
from body import toy
from priors import data
from priors import evaluation
from priors import inference
from priors import metrics
from priors import pose_prior
from priors import shape_prior
from synth import corruption
from tests import testing


class EvaluationTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.assets = toy.make_assets()
    cls.arrays = data.generate_arrays(cls.assets, 12, seed=3, chunk=12)

  def test_ground_truth_scores_perfectly(self):
    a = self.arrays
    rot = rotation.axis_angle_to_matrix(
        tf.reshape(a["theta"], [-1, 24, 3])).numpy()
    pred = evaluation.Predictions(rotmats=rot, camera=a["camera"],
                                  betas=a["betas"])
    m = evaluation.compute_metrics(self.assets, a, pred)
    for name in ("MPJPE", "PA-MPJPE", "PA-MPJPE14", "PVE", "PVE-gtβ",
                 "PVE-T"):
      self.assertLess(m[name], 0.05, name)
    self.assertLess(m["Root°"], 0.1)
    self.assertEqual(m["PCK3D"], 1.0)
    self.assertEqual(m["AUC"], 1.0)
    # Weak vs full perspective: a few pixels at most.
    self.assertGreater(m["PCK2D"], 0.95)
    self.assertGreater(m["IoU"], 0.6)
    # Inputs not given: their PCKh is unknown, and the table says so.
    self.assertTrue(np.isnan(m["input PCKh@0.5"]))
    m["inputs"] = "x"
    self.assertIn("| – | – |", evaluation.format_table([m]))
    # Exact inputs score 1, the missed one counts against.
    conf = np.ones(a["visibility"].shape, np.float32)
    conf[0, a["visibility"][0] > 0] = 0.0     # sample 0 missed everything
    pred = evaluation.Predictions(rotmats=rot, camera=a["camera"],
                                  betas=a["betas"], keypoints=a["keypoints"],
                                  confidence=conf)
    m = evaluation.compute_metrics(self.assets, a, pred)
    n = len(a["theta"])
    self.assertAllClose(m["input PCKh@0.1"], (n - 1) / n)
    self.assertAllClose(m["input PCKh@0.5"], (n - 1) / n)

  def test_wrong_betas_show_in_shape_metrics_only(self):
    a = self.arrays
    rot = rotation.axis_angle_to_matrix(
        tf.reshape(a["theta"], [-1, 24, 3])).numpy()
    pred = evaluation.Predictions(rotmats=rot, camera=a["camera"],
                                  betas=a["betas"] + 1.0)
    m = evaluation.compute_metrics(self.assets, a, pred)
    self.assertGreater(m["PVE-T"], 1.0)
    self.assertLess(m["PVE-gtβ"], 0.05)

  def test_root_angle_hand_case(self):
    a = self.arrays
    rot = rotation.axis_angle_to_matrix(
        tf.reshape(a["theta"], [-1, 24, 3])).numpy()
    quarter = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]], np.float32)
    rot[:, 0] = quarter @ rot[:, 0]               # 90° about the camera z
    pred = evaluation.Predictions(rotmats=rot, camera=a["camera"],
                                  betas=a["betas"])
    m = evaluation.compute_metrics(self.assets, a, pred)
    self.assertAllClose(m["Root°"], 90.0, atol=0.05)
    self.assertLess(m["PA-MPJPE"], 0.05)          # the rest is untouched

  def test_predict_and_table(self):
    pose = pose_prior.PosePrior(pose_prior.PosePriorConfig(hidden_units=16))
    shape = shape_prior.ShapePrior(shape_prior.ShapePriorConfig(
        conv_channels=(4, 4, 4, 4, 4), hidden_units=8))
    rows = evaluation.evaluate(self.assets, self.arrays, pose, shape,
                               {"noisy": corruption.CorruptionConfig()})
    table = evaluation.format_table(rows)
    self.assertIn("| noisy |", table)
    self.assertIn("| input PCKh@0.1 (%) |", table)
    self.assertEqual(len(table.splitlines()), 3)
    self.assertTrue(np.isfinite(rows[0]["PVE"]))
    self.assertLess(rows[0]["input PCKh@0.1"], rows[0]["input PCKh@0.5"])

  def test_inference_stage(self):
    pose = pose_prior.PosePrior(pose_prior.PosePriorConfig(hidden_units=16))
    shape = shape_prior.ShapePrior(shape_prior.ShapePriorConfig(
        conv_channels=(4, 4, 4, 4, 4), hidden_units=8))
    priors = inference.Priors(pose, shape, self.assets)
    a = self.arrays
    kp_px = a["keypoints"][:2] * 128 + 127.5
    out = priors(kp_px, np.ones((2, 17), np.float32),
                 a["silhouette"][:2].astype(np.float32))
    self.assertEqual(out.vertices.shape, (2, self.assets.num_vertices, 3))
    self.assertEqual(out.theta.shape, (2, 72))
    self.assertEqual(out.betas.shape, (2, 10))
    # The flip test: same shapes, proper rotations, and not the plain output.
    flipped = inference.Priors(
        pose, shape, self.assets,
        keypoint_flip_pairs=keypoints.COCO_17.flip_pairs)(
            kp_px, np.ones((2, 17), np.float32),
            a["silhouette"][:2].astype(np.float32))
    r = flipped.rotmats.numpy()
    self.assertAllClose(np.linalg.det(r), np.ones((2, 24)), atol=1e-4)
    self.assertNotAllClose(r, out.rotmats.numpy())
    self.assertEqual(flipped.vertices.shape, out.vertices.shape)

  def test_inference_non_finite_inputs(self):
    # Issue 19, defect 3: missing keypoints may hold NaN; a NaN silhouette
    # is an error rather than NaN betas.
    pose = pose_prior.PosePrior(pose_prior.PosePriorConfig(hidden_units=16))
    shape = shape_prior.ShapePrior(shape_prior.ShapePriorConfig(
        conv_channels=(4, 4, 4, 4, 4), hidden_units=8))
    priors = inference.Priors(pose, shape, self.assets,
                              keypoint_flip_pairs=keypoints.COCO_17.flip_pairs)
    kp_px = self.arrays["keypoints"][:2] * 128 + 127.5
    conf = np.ones((2, 17), np.float32)
    conf[:, 5] = 0.0
    sil = self.arrays["silhouette"][:2].astype(np.float32)
    out = priors(kp_px, conf, sil)
    kp_px[:, 5] = np.nan
    out_nan = priors(kp_px, conf, sil)
    self.assertTrue(np.isfinite(out_nan.vertices.numpy()).all())
    self.assertAllClose(out_nan.theta, out.theta, atol=1e-5)
    sil[1, 3, 3] = np.nan
    with self.assertRaisesRegex(ValueError, "silhouette must be finite.*1 "):
      priors(kp_px, conf, sil)


class HeadSizeTest(testing.TestCase):
  """MPII head sizes of the bundled body and the calibration of the default
  keypoint corruption against a stacked hourglass's PCKh."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.assets = bundled.load()

  def test_rest_pose_head_size_and_scaling(self):
    rest = np.broadcast_to(np.eye(3, dtype=np.float32), (1, 24, 3, 3))
    v = lbs.forward(self.assets, tf.zeros([1, 10]), rest).vertices.numpy()
    stature = v[0, :, 1].max() - v[0, :, 1].min()
    size = evaluation.head_sizes(self.assets, v, np.array([[1.0, 0, 0]]))
    # A head box ≈ 20 × 25 cm: 0.6 × its diagonal ≈ 10 % of the stature.
    self.assertBetween(size[0] / stature, 0.08, 0.13)
    twice = evaluation.head_sizes(self.assets, v, np.array([[2.0, 0.3, 0]]))
    self.assertAllClose(twice, 2 * size)

  def test_default_noise_matches_a_stacked_hourglass(self):
    arrays = data.generate_arrays(self.assets, 400, seed=11, chunk=200)
    rot = rotation.axis_angle_to_matrix(
        tf.reshape(arrays["theta"], [-1, 24, 3]))
    v = lbs.forward(self.assets, tf.constant(arrays["betas"][:, :10]),
                    rot).vertices.numpy()
    head = evaluation.head_sizes(self.assets, v, arrays["camera"])
    pairs = keypoints.COCO_17.flip_pairs

    def pckh(noise, alpha):
      kp, conf, _ = corruption.corrupt(arrays["keypoints"],
                                       arrays["visibility"], noise, pairs,
                                       [5, 0])
      return np.mean(metrics.pckh(kp.numpy(), arrays["keypoints"], head,
                                  alpha, found=conf.numpy() > 0,
                                  mask=arrays["visibility"] > 0))

    # mmpose's one-stack hourglass, 256², MPII val: 88.9 % and 31.7 %.
    default = corruption.CorruptionConfig()
    self.assertAllClose(pckh(default, 0.5), 0.889, atol=0.02)
    self.assertAllClose(pckh(default, 0.1), 0.317, atol=0.03)
    self.assertLess(pckh(corruption.HEAVY, 0.1), 0.15)
    self.assertEqual(pckh(corruption.CLEAN, 0.1), 1.0)


if __name__ == "__main__":
  testing.main()
