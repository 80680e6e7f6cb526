"""Tests for synth/part_mix.py: which joints move, where they come from, and
the sampler's `part_mix` setting."""

import numpy as np

from body import toy
from synth import part_mix
from synth import pose_prior
from synth import rotation
from synth import sample
from tests import testing


def _poses(n, seed=0):
  return np.random.default_rng(seed).normal(0.0, 0.4, (n, 72))


class PartMixTest(testing.TestCase):

  def test_parts_cover_every_joint_but_the_root_once(self):
    joints = [j for part in part_mix.PARTS.values() for j in part]
    self.assertCountEqual(joints, range(1, 24))
    for name, other in part_mix.MIRROR_PART.items():
      self.assertEqual(len(part_mix.PARTS[name]), len(part_mix.PARTS[other]))

  def test_fraction_zero_is_identity(self):
    theta = _poses(50)
    out, mixed = part_mix.mix_parts(np.random.default_rng(1), theta, 0.0)
    np.testing.assert_array_equal(out, theta)
    self.assertFalse(mixed.any())

  def test_every_part_comes_from_itself_or_another_pose(self):
    theta = _poses(40)
    joints = theta.reshape(40, 24, 3)
    out, mixed = part_mix.mix_parts(np.random.default_rng(2), theta, 1.0)
    self.assertTrue(mixed.all())
    out = out.reshape(40, 24, 3)
    np.testing.assert_array_equal(out[:, 0], joints[:, 0])   # the root
    replaced = 0
    for i in range(40):
      changed = 0
      for name, ids in part_mix.PARTS.items():
        got = out[i, list(ids)]
        if np.array_equal(got, joints[i, list(ids)]):
          continue
        changed += 1
        other = list(part_mix.PARTS[part_mix.MIRROR_PART[name]])
        direct = [j for j in range(40) if j != i
                  and np.array_equal(got, joints[j, list(ids)])]
        mirrored = [j for j in range(40) if j != i and np.allclose(
            got, rotation.mirror_axis_angle(joints[j, other]))]
        self.assertTrue(direct or mirrored, (i, name))
      self.assertGreaterEqual(changed, 1)
      replaced += changed
    # part_probability 0.5 of five parts, at least one: about 2.6 per pose.
    self.assertGreater(replaced / 40, 2.0)
    self.assertLess(replaced / 40, 3.3)

  def test_mirrored_donor_parts(self):
    theta = _poses(30)
    joints = theta.reshape(30, 24, 3)
    out, _ = part_mix.mix_parts(np.random.default_rng(3), theta, 1.0,
                                part_probability=1.0,
                                mirror_probability=1.0)
    out = out.reshape(30, 24, 3)
    left = list(part_mix.PARTS["left_leg"])
    right = list(part_mix.PARTS["right_leg"])
    for i in range(30):
      sources = [j for j in range(30) if j != i and np.allclose(
          out[i, left], rotation.mirror_axis_angle(joints[j, right]))]
      self.assertTrue(sources, i)

  def test_deterministic_and_checked(self):
    theta = _poses(20)
    a = part_mix.mix_parts(np.random.default_rng(4), theta, 0.5)
    b = part_mix.mix_parts(np.random.default_rng(4), theta, 0.5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    with self.assertRaisesRegex(ValueError, "fraction"):
      part_mix.mix_parts(np.random.default_rng(0), theta, 1.5)
    with self.assertRaisesRegex(ValueError, "72"):
      part_mix.mix_parts(np.random.default_rng(0), theta[:, :60], 0.5)

  def test_sampler_mixes_after_drawing(self):
    assets = toy.make_assets()
    # Without the plausibility test both samplers draw the same poses and
    # roots; mixing only replaces parts afterwards.
    plain = sample.SampleGenerator(assets, sample.SampleConfig(
        plausibility_overlap=1.0))
    mixed = sample.SampleGenerator(assets, sample.SampleConfig(
        plausibility_overlap=1.0, part_mix=1.0))
    a, fa = plain.sample_poses(np.random.default_rng(5), 64)
    b, fb = mixed.sample_poses(np.random.default_rng(5), 64)
    np.testing.assert_array_equal(a[:, :3], b[:, :3])
    np.testing.assert_array_equal(fa, fb)
    self.assertGreater(np.mean(np.any(a != b, axis=1)), 0.9)
    with self.assertRaisesRegex(ValueError, "part_mix"):
      sample.SampleConfig(part_mix=-0.1)

  def test_without_mixing_the_draws_are_unchanged(self):
    # part_mix = 0 must not touch the random stream: earlier data sets are
    # redrawn byte for byte. The sampler's poses are then the structured
    # prior's first draw, and the generator is left in the same state.
    assets = toy.make_assets()
    plain = sample.SampleGenerator(assets, sample.SampleConfig(
        plausibility_overlap=1.0))
    rng, ref_rng = np.random.default_rng(6), np.random.default_rng(6)
    theta, _ = plain.sample_poses(rng, 40)
    ref, _ = pose_prior.sample_poses(ref_rng, int(np.ceil(40 * 1.15)) + 4,
                                     plain.config.pose)
    np.testing.assert_array_equal(theta, ref[:40])
    self.assertEqual(rng.integers(1 << 62), ref_rng.integers(1 << 62))


if __name__ == "__main__":
  testing.main()
