"""Tests for priors/source_evaluation.py on the toy body."""

import numpy as np

from body import toy
from priors import source_evaluation
from synth import rotation
from tests import testing


class SourceEvaluationTest(testing.TestCase):

  def test_tpose_is_the_rest_pose_turned(self):
    arrays = source_evaluation.tpose_arrays(toy.make_assets(), (0.0, 90.0))
    self.assertEqual(arrays["theta"].shape, (2, 72))
    self.assertAllClose(arrays["theta"][:, 3:], np.zeros((2, 69)))
    root = rotation.axis_angle_to_matrix(arrays["theta"][:, :3])
    # Camera frame (y down): the body's up is −y; at 90° its forward (+z)
    # turns to the camera's ±x.
    self.assertAllClose(root[:, :, 1], [[0, -1, 0], [0, -1, 0]], atol=1e-5)
    self.assertAllClose(np.abs(root[1, :, 2]), [1, 0, 0], atol=1e-5)
    # Framed inside the crop.
    self.assertLess(np.abs(arrays["keypoints"]).max(), 1.0)

  def test_summary_ratio_and_table(self):
    rows = [{"source": "a", "held out": False, "N": 3,
             "detector-like PA-MPJPE": 40.0},
            {"source": "b", "held out": False, "N": 3,
             "detector-like PA-MPJPE": 60.0},
            {"source": "c", "held out": True, "N": 3,
             "detector-like PA-MPJPE": 65.0}]
    s = source_evaluation.summary(rows)
    self.assertAllClose((s["held_out"], s["in_distribution"], s["ratio"]),
                        (65.0, 50.0, 1.3))
    self.assertIsNone(source_evaluation.summary(rows[:2]))
    table = source_evaluation.format_rows(rows)
    self.assertIn("| c | yes | 3 | 65.0 |", table)


if __name__ == "__main__":
  testing.main()
