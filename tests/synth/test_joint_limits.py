"""Tests for synth/joint_limits.py: hand-built poses inside and outside the
anatomical limits, with the signs of SMPL_CONVENTIONS.md."""

import numpy as np

from synth import joint_limits as jl
from synth import pose_prior
from tests import testing


def _pose(**joints):
  """θ `[1, 72]` with the given joint axis-angles (by joint id)."""
  theta = np.zeros((1, 24, 3))
  for name, value in joints.items():
    theta[0, int(name[1:])] = value
  return theta.reshape(1, 72)


def _ok(theta, joint):
  return bool(jl.check(theta).ok[0, joint])


class JointLimitsTest(testing.TestCase):

  def test_rest_pose_inside(self):
    self.assertTrue(jl.check(np.zeros((1, 72))).all_ok[0])

  @testing.named_parameters(
      ("knee_flexion_left", jl.L_KNEE, [1.5, 0, 0], True),
      ("knee_flexion_right", jl.R_KNEE, [1.5, 0, 0], True),
      ("knee_hyperextension", jl.L_KNEE, [-0.4, 0, 0], False),
      ("knee_sideways", jl.R_KNEE, [0.5, 0, 0.6], False),
      ("elbow_flexion_left", jl.L_ELBOW, [0, -2.0, 0], True),
      ("elbow_flexion_right", jl.R_ELBOW, [0, 2.0, 0], True),
      ("elbow_backwards_left", jl.L_ELBOW, [0, 0.5, 0], False),
      ("elbow_backwards_right", jl.R_ELBOW, [0, -0.5, 0], False),
      ("hip_flexion", jl.L_HIP, [-1.5, 0, 0], True),
      ("hip_hyperextension", jl.R_HIP, [1.2, 0, 0], False),
      ("hip_abduction_left", jl.L_HIP, [0, 0, 0.6], True),
      ("hip_abduction_right", jl.R_HIP, [0, 0, -0.6], True),
      ("hip_adduction_extreme", jl.L_HIP, [0, 0, -0.9], False),
      ("arm_down_left", jl.L_SHOULDER, [0, 0, -1.2], True),
      ("arm_down_right", jl.R_SHOULDER, [0, 0, 1.2], True),
      ("arm_up_left", jl.L_SHOULDER, [0, 0, 1.5], True),
      ("arm_forward_right", jl.R_SHOULDER, [0, 1.4, 0], True),
      ("arm_far_back_left", jl.L_SHOULDER, [0, 1.6, 0], False),
      ("spine_flexion", jl.SPINE2, [0.5, 0, 0], True),
      ("spine_backbend", jl.SPINE2, [-0.6, 0, 0], False),
      ("neck_turn_extreme", jl.NECK, [0, 1.2, 0], False),
  )
  def test_hand_built(self, joint, axis_angle, inside):
    self.assertEqual(_ok(_pose(**{f"j{joint}": axis_angle}), joint), inside)

  def test_prior_samples_inside_limits(self):
    theta, _ = pose_prior.sample_poses(self.rng, 2000)
    report = jl.check(theta, tolerance=1e-6)
    bad = np.argwhere(~report.ok)
    self.assertEmpty(bad, f"joint limits broken at {bad[:5]} by "
                     f"{report.worst[~report.ok][:5]}")
    self.assertTrue(np.all(jl.check(
        pose_prior.mirror_poses(theta), tolerance=1e-6).all_ok))

  def test_bad_shape(self):
    with self.assertRaises(ValueError):
      jl.check(np.zeros((3, 70)))


if __name__ == "__main__":
  testing.main()
