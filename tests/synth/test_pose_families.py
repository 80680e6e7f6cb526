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

  def test_family_weights_change_the_mix(self):
    wide = pose_prior.wide_config()
    config = pose_prior.with_family_weights(
        wide, pose_prior.parse_family_weights(["uniform:0.5", "kicks:0"]))
    weights = dict(config.family_weights)
    self.assertNotIn("kicks", weights)                 # 0 removes a family
    others = sum(w for f, w in weights.items() if f != "uniform")
    self.assertAllClose(others, sum(w for f, w in wide.family_weights
                                    if f not in ("uniform", "kicks")))
    share = 0.5 / (0.5 + others)
    _, fam = pose_prior.sample_poses(np.random.default_rng(0), 4000, config)
    drawn = np.mean(fam == pose_prior.FAMILIES.index("uniform"))
    self.assertAllClose(drawn, share, atol=0.03)
    self.assertNotIn(pose_prior.FAMILIES.index("kicks"), set(fam))
    # A family the structured mode lacks is added.
    added = pose_prior.with_family_weights(pose_prior.PosePriorConfig(),
                                           [("arms_out", 0.2)])
    self.assertEqual(added.family_weights[-1], ("arms_out", 0.2))
    for bad in ("uniform", "uniform:-1", "uniform:x", "dancing:0.1"):
      with self.assertRaisesRegex(ValueError, "family"):
        pose_prior.parse_family_weights([bad])


if __name__ == "__main__":
  testing.main()
