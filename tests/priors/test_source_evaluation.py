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
             "detector-like PA-MPJPE": 65.0},
            {"source": "T-pose", "held out": False, "probe": True, "N": 1,
             "detector-like PA-MPJPE": 150.0}]
    s = source_evaluation.summary(rows)
    # The probe counts neither way.
    self.assertAllClose((s["held_out"], s["in_distribution"], s["ratio"]),
                        (65.0, 50.0, 1.3))
    self.assertIsNone(source_evaluation.summary(rows[:2]))
    table = source_evaluation.format_rows(rows)
    self.assertIn("| c | yes | 3 | 65.0 |", table)
    self.assertIn("| T-pose | probe | 1 | 150.0 |", table)

  def test_leave_out_cost(self):
    rows = [{"source": "a", "held out": False, "detector-like PA-MPJPE": 40.0},
            {"source": "c", "held out": True, "detector-like PA-MPJPE": 66.0},
            {"source": "d", "held out": True, "detector-like PA-MPJPE": 90.0}]
    reference = [{"source": "c", "held out": True,
                  "detector-like PA-MPJPE": 60.0},
                 {"source": "d", "held out": True,
                  "detector-like PA-MPJPE": 70.0}]
    cost = source_evaluation.leave_out_cost(rows, reference)
    self.assertAllClose((cost["reference_held_out"], cost["leave_out_cost"]),
                        (65.0, 78.0 / 65.0))
    with self.assertRaisesRegex(ValueError, "lack held-out sources"):
      source_evaluation.leave_out_cost(rows, reference[:1])
    with self.assertRaisesRegex(ValueError, "no held-out source"):
      source_evaluation.leave_out_cost(rows[:1], reference)


if __name__ == "__main__":
  testing.main()
