"""Tests for synth/pose_families.py: the wide mode's families stay inside
the joint limits, produce what they name, and keep common poses common."""

import numpy as np

from synth import joint_limits as jl
from synth import pose_families
from synth import pose_prior
from synth import rotation
from tests import testing


def _family(name, n=400, seed=testing.SEED):
  config = pose_prior.only_family(pose_prior.PosePriorConfig(
      mirror_probability=0.0), name)
  theta, families = pose_prior.sample_poses(np.random.default_rng(seed), n,
                                            config)
  return theta.reshape(n, 24, 3), families


class PoseFamiliesTest(testing.TestCase):

  @testing.parameters(*pose_families.WIDE_FAMILIES)
  def test_inside_the_joint_limits(self, name):
    theta, families = _family(name)
    self.assertEqual(set(families), {pose_prior.FAMILIES.index(name)})
    report = jl.check(theta, tolerance=1e-6)
    self.assertTrue(report.all_ok.all(),
                    f"{name}: limits broken at {np.argwhere(~report.ok)[:5]}")

  def test_inverted_bodies_are_upside_down(self):
    theta, _ = _family("inverted")
    up = rotation.axis_angle_to_matrix(theta[:, 0])[:, 1, 1]
    self.assertLess(np.median(up), -0.8)

  def test_arms_out_reaches_the_t_pose(self):
    theta, _ = _family("arms_out")
    # Some left arms within 20° of the rest (T-pose) direction.
    arm = rotation.axis_angle_to_matrix(theta[:, jl.L_SHOULDER])[:, :, 0]
    self.assertGreater(np.mean(arm[:, 0] > np.cos(np.radians(20))), 0.1)

  def test_wide_mode_keeps_the_original_mix(self):
    config = pose_prior.wide_config()
    weights = dict(config.family_weights)
    self.assertEqual(set(weights), set(pose_prior.FAMILIES))
    original = sum(weights[f] for f in pose_prior.ORIGINAL_FAMILIES)
    self.assertAllClose(original / sum(weights.values()), 0.75, atol=0.01)
    # Relative weights of the original families are the default's.
    default = dict(pose_prior.PosePriorConfig().family_weights)
    ratio = [weights[f] / default[f] for f in pose_prior.ORIGINAL_FAMILIES]
    self.assertAllClose(ratio, np.full(10, ratio[0]))
    # The default still draws only the original ten.
    _, fam = pose_prior.sample_poses(np.random.default_rng(0), 2000)
    self.assertLess(fam.max(), len(pose_prior.ORIGINAL_FAMILIES))

  def test_leave_out_and_only(self):
    config = pose_prior.without_families(pose_prior.wide_config(),
                                         ["kicks", "lying"])
    names = [f for f, _ in config.family_weights]
    self.assertNotIn("kicks", names)
    self.assertLen(names, len(pose_prior.FAMILIES) - 2)
    with self.assertRaisesRegex(ValueError, "unknown pose families"):
      pose_prior.without_families(config, ["dancing"])
    with self.assertRaisesRegex(ValueError, "unknown pose family"):
      pose_prior.only_family(config, "dancing")


if __name__ == "__main__":
  testing.main()
