"""Evaluation: perfect predictions score perfectly; the table; inference."""

import numpy as np
import tensorflow as tf

from body import keypoints
from body import rotation
from body import toy
from priors import data
from priors import evaluation
from priors import inference
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
    self.assertEqual(len(table.splitlines()), 3)
    self.assertTrue(np.isfinite(rows[0]["PVE"]))

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


if __name__ == "__main__":
  testing.main()
