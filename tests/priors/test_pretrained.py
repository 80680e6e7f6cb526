"""The shipped weights: they load, with the recorded architecture, and give
sane bodies on a few held-out samples of the bundled model."""

import os

import numpy as np

from body import bundled
from body import keypoints
from priors import data
from priors import evaluation
from priors import pretrained
from synth import corruption
from tests import testing


class PretrainedTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    if not os.path.isfile(bundled.PATH):
      self.skipTest("the bundled body model is not installed")

  def test_shipped_files_exist(self):
    for path in (pretrained.POSE_WEIGHTS, pretrained.POSE_WEIGHTS_COCO_17,
                 pretrained.POSE_WEIGHTS_HUMAN2D, pretrained.SHAPE_WEIGHTS):
      self.assertTrue(os.path.isfile(path), path)
      self.assertTrue(os.path.isfile(pretrained.config_path(path)), path)
      # "Small": a few MB each.
      self.assertLess(os.path.getsize(path), 12e6)

  @testing.parameters((None, "COCO_21"),
                      (pretrained.POSE_WEIGHTS_COCO_17, "COCO_17"),
                      (pretrained.POSE_WEIGHTS_HUMAN2D, "COCO_21"))
  def test_shipped_priors_recover_bodies(self, pose_weights, expected_set):
    assets = bundled.load()
    pose = pretrained.load_pose_prior(pose_weights)
    shape = pretrained.load_shape_prior()
    kset = pretrained.keypoint_set(pose_weights)
    self.assertEqual(kset, expected_set)
    self.assertEqual(pose.config.num_keypoints, keypoints.get(kset).size)
    arrays = data.generate_arrays(assets, 32, seed=13579, keypoint_set=kset)
    pred = evaluation.predict(arrays, pose, shape, corruption.CLEAN,
                              keypoint_set=kset)
    m = evaluation.compute_metrics(assets, arrays, pred, kset)
    # Loose bounds (the eval binary measures the real figures): an untrained
    # network is at ~200 mm PA-MPJPE and ~40% 2D PCK.
    self.assertLess(m["PA-MPJPE"], 90.0)
    self.assertLess(m["PVE"], 150.0)
    self.assertGreater(m["PCK2D"], 0.7)
    self.assertTrue(np.isfinite(pred.betas).all())

  def test_missing_weights_error_says_what_to_do(self):
    with self.assertRaisesRegex(FileNotFoundError, "priors.train"):
      pretrained.load_pose_prior("/nonexistent/pose_prior.weights.h5")


if __name__ == "__main__":
  testing.main()
