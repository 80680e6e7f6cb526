"""Tests for priors/pose_sources.py: modes, banks and the leave-out split."""

import os

from absl.testing import flagsaver
import numpy as np

from priors import config as config_lib
from priors import data
from priors import pose_sources
from priors import train
from synth import pose_prior
from tests import testing


class PoseSourcesTest(testing.TestCase):

  def _bank(self):
    path = os.path.join(self.get_temp_dir(), "bank.npz")
    rng = np.random.default_rng(testing.SEED)
    poses = rng.normal(0.0, 0.2, (30, 72))
    poses[:, 3] = np.arange(30)              # tells the rows apart
    np.savez(path, poses=poses, activity=np.repeat([0, 1, 2], 10),
             activities=np.array(["walking", "jumping", "soccer"]))
    return path

  def test_left_out_families_are_never_drawn(self):
    source = pose_sources.PoseSourceConfig(mode="wide",
                                           leave_out=("lying", "kicks"))
    config = pose_sources.family_config(source)
    _, families = pose_prior.sample_poses(np.random.default_rng(0), 3000,
                                          config)
    drawn = {pose_prior.FAMILIES[f] for f in families}
    self.assertNotIn("lying", drawn)
    self.assertNotIn("kicks", drawn)
    self.assertIn("stretches", drawn)        # the wide families are there
    held, _ = pose_sources.source_config("lying", "COCO_17")
    _, families = pose_prior.sample_poses(np.random.default_rng(1), 200,
                                          held.pose)
    self.assertEqual(set(families), {pose_prior.FAMILIES.index("lying")})

  def test_family_weights_apply_before_the_leave_out(self):
    source = pose_sources.PoseSourceConfig(
        mode="wide", family_weights=[["uniform", 0.4], ["kicks", 0.3]],
        leave_out=("kicks",))
    self.assertEqual(source.family_weights,
                     (("uniform", 0.4), ("kicks", 0.3)))
    weights = dict(pose_sources.family_config(source).family_weights)
    self.assertEqual(weights["uniform"], 0.4)
    self.assertNotIn("kicks", weights)
    self.assertEqual(weights["standing"],
                     dict(pose_prior.wide_config().family_weights)["standing"])
    with self.assertRaisesRegex(ValueError, "unknown pose families"):
      pose_sources.PoseSourceConfig(family_weights=[("dancing", 1.0)])

  def test_bank_leave_out_split_is_disjoint(self):
    path = self._bank()
    source = pose_sources.PoseSourceConfig(pose_bank=path,
                                           leave_out=("jumping",))
    train_bank = pose_sources.load_bank(source)
    _, held_bank = pose_sources.source_config("bank:jumping", "COCO_17",
                                              path)
    train_rows = set(np.round(train_bank.theta[:, 3]).astype(int))
    held_rows = set(np.round(held_bank.theta[:, 3]).astype(int))
    self.assertEqual(train_rows & held_rows, set())
    self.assertEqual(train_rows | held_rows, set(range(30)))
    self.assertEqual(held_rows, set(range(10, 20)))
    self.assertEqual(pose_sources.sources(
        pose_sources.PoseSourceConfig(pose_bank=path))[-3:],
                     ["bank:walking", "bank:jumping", "bank:soccer"])
    with self.assertRaisesRegex(ValueError, "neither pose families"):
      pose_sources.load_bank(pose_sources.PoseSourceConfig(
          pose_bank=path, leave_out=("dancing",)))

  def test_default_is_the_original_prior(self):
    config = pose_sources.sample_config(pose_sources.PoseSourceConfig(),
                                        "COCO_17")
    self.assertEqual(config.pose, pose_prior.PosePriorConfig())
    self.assertEqual(config.bank_fraction, 1.0)

  def test_config_round_trip_and_flags(self):
    with flagsaver.flagsaver(prior="pose", model_dir="/tmp/m",
                             pose_mode="wide", pose_bank="/x.npz",
                             bank_fraction=0.3, leave_out=["lying", "jumping"],
                             family_weights=["uniform:0.15"]):
      config = train.config_from_flags()
    self.assertEqual(config.data.poses, pose_sources.PoseSourceConfig(
        mode="wide", pose_bank="/x.npz", bank_fraction=0.3,
        leave_out=("lying", "jumping"), family_weights=(("uniform", 0.15),)))
    back = config_lib.from_dict(config_lib.to_dict(config))
    self.assertEqual(back.data, config.data)
    with flagsaver.flagsaver(prior="pose", model_dir="/tmp/m"):
      self.assertEqual(train.config_from_flags().data.poses,
                       data.DataConfig().poses)
    with self.assertRaisesRegex(ValueError, "pose mode"):
      pose_sources.PoseSourceConfig(mode="mocap")
    with self.assertRaisesRegex(ValueError, "generated examples only"):
      data.DataConfig(source="/data/dir", poses=pose_sources.PoseSourceConfig(
          leave_out=("lying",)))


if __name__ == "__main__":
  testing.main()
