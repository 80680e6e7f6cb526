"""Tests for synth/retarget.py: a round trip on the bundled body recovers θ
from its own joint positions."""

import numpy as np

from synth import joint_limits as jl
from synth import mocap
from synth import plausibility
from synth import pose_prior
from synth import retarget
from tests import testing
from tests.synth import skeleton


class RetargetTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.rest, cls.parents = skeleton.bundled_rest_skeleton()

  def _poses(self, n):
    """Prior poses whose rotations joint positions observe: leaves, spine,
    neck, collars, wrists and ankles at rest (their twist or split is
    unobservable), a random root."""
    theta, _ = pose_prior.sample_poses(np.random.default_rng(testing.SEED), n)
    theta = theta.reshape(n, 24, 3)
    theta[:, [jl.SPINE1, jl.SPINE2, jl.SPINE3, jl.NECK, jl.HEAD, jl.L_COLLAR,
              jl.R_COLLAR, jl.L_WRIST, jl.R_WRIST, jl.L_ANKLE, jl.R_ANKLE,
              jl.L_FOOT, jl.R_FOOT, jl.L_HAND, jl.R_HAND]] = 0.0
    theta[:, 0] = np.random.default_rng(1).normal(0.0, 1.0, (n, 3))
    return theta.reshape(n, 72)

  def test_round_trip_recovers_theta(self):
    theta = self._poses(24)
    points = plausibility.forward_kinematics(theta, self.rest, self.parents)
    fit = retarget.fit_theta(points, tuple(range(24)), self.rest,
                             self.parents)
    err = retarget.joint_angle_errors(theta, fit)
    refit = plausibility.forward_kinematics(fit, self.rest, self.parents)
    self.assertLess(np.abs(refit - points).max(), 0.005)
    t = theta.reshape(-1, 24, 3)
    # Observable: the root, the hinges, and the twist of a hip (shoulder)
    # whenever its knee (elbow) is bent by more than 0.8 rad (46°).
    self.assertLess(err[:, [jl.PELVIS, jl.L_KNEE, jl.R_KNEE, jl.L_ELBOW,
                            jl.R_ELBOW]].max(), 1.0)
    for hip, knee in ((jl.L_HIP, jl.L_KNEE), (jl.R_HIP, jl.R_KNEE)):
      bent = t[:, knee, 0] > 0.8
      self.assertTrue(bent.any())
      self.assertLess(err[bent, hip].max(), 1.0)
    for shoulder, elbow in ((jl.L_SHOULDER, jl.L_ELBOW),
                            (jl.R_SHOULDER, jl.R_ELBOW)):
      bent = np.abs(t[:, elbow, 1]) > 0.8
      self.assertTrue(bent.any())
      self.assertLess(err[bent, shoulder].max(), 1.0)

  def test_other_skeleton_scale_and_root(self):
    # A skeleton 30% larger, turned and shifted, gives the same θ.
    theta = self._poses(6)
    points = plausibility.forward_kinematics(theta, self.rest, self.parents)
    turn = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    joints = (0, 1, 2, 4, 5, 7, 8, 9, 12, 16, 17, 18, 19, 20, 21)
    moved = 1.3 * points[:, joints] @ turn.T + 5.0
    fit = retarget.fit_theta(moved, joints, self.rest, self.parents)
    refit = plausibility.forward_kinematics(fit, self.rest, self.parents)
    # The fitted root carries the turn: the refit body is the moved one,
    # scaled back.
    self.assertLess(np.abs(refit[:, joints] * 1.3 + 5.0 - moved).max(), 0.02)

  def test_segments_skip_unmapped_joints(self):
    segs = retarget.segments((0, 1, 2, 9, 16), self.parents)
    self.assertEqual(segs, ((jl.R_HIP, jl.L_HIP),
                            (retarget.MID_HIPS, jl.SPINE3),
                            (jl.SPINE3, jl.L_SHOULDER)))
    # Both shoulders without collars: the shoulder line.
    segs = retarget.segments((0, 1, 2, 9, 16, 17, 18), self.parents)
    self.assertEqual(segs, ((jl.R_HIP, jl.L_HIP),
                            (jl.R_SHOULDER, jl.L_SHOULDER),
                            (retarget.MID_HIPS, jl.SPINE3),
                            (jl.L_SHOULDER, jl.L_ELBOW)))
    with self.assertRaisesRegex(ValueError, "both hips"):
      retarget.segments((0, 1, 9), self.parents)

  def test_skeleton_maps_name_real_joints(self):
    pts = retarget.CMU38.positions(
        mocap.CMU38_NAMES, np.zeros((2, len(mocap.CMU38_NAMES), 3)))
    self.assertEqual(pts.shape, (2, len(retarget.CMU38.joints), 3))
    with self.assertRaisesRegex(ValueError, "CC_Base_Hip"):
      retarget.CC_RIG.positions(mocap.CMU38_NAMES, np.zeros((1, 38, 3)))


if __name__ == "__main__":
  testing.main()
