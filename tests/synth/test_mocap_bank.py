"""Tests for synth/mocap_bank.py on a tiny mocap folder written here."""

import os

import numpy as np

from body import bundled
from synth import mocap
from synth import mocap_bank
from synth import pose_bank
from synth import retarget
from synth import rotation
from tests import testing


def _write_expmap(path, frames):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w") as f:
    for row in frames:
      f.write(",".join(f"{v:.6g}" for v in row) + "\n")


class MocapBankTest(testing.TestCase):

  def test_deduplicate_keeps_one_of_each_cluster(self):
    base = np.repeat(np.eye(3), 2, axis=1)            # [3, 6]: 2 segments
    feats = np.concatenate([base, base + 0.001, base[:1] + 0.002])
    self.assertAllEqual(mocap_bank.deduplicate(feats, 0.05), [0, 1, 2])
    self.assertAllEqual(mocap_bank.deduplicate(feats, 0.05, base[:1]),
                        [1, 2])
    self.assertLen(mocap_bank.deduplicate(feats, 0.0), len(feats))

  def test_descriptor_ignores_heading_and_scale(self):
    rng = np.random.default_rng(testing.SEED)
    values = np.concatenate([np.zeros((2, 3)), rng.normal(0, 0.3, (2, 114))],
                            axis=1)
    points = retarget.CMU38.positions(mocap.CMU38_NAMES,
                                      mocap.expmap_forward(values))
    parents = bundled.load_model().parents
    d = mocap_bank.descriptors(points, retarget.CMU38.joints, parents)
    turned = 2.0 * points @ rotation.rot_y(1.1).T
    self.assertAllClose(
        mocap_bank.descriptors(turned, retarget.CMU38.joints, parents), d,
        atol=1e-9)
    self.assertGreater(np.abs(d[0] - d[1]).max(), 0.1)

  def test_build_balance_and_save(self):
    root = self.get_temp_dir()
    rng = np.random.default_rng(testing.SEED)
    for action, n in (("walking", 40), ("jumping", 6)):
      frames = np.concatenate([np.zeros((n, 3)),
                               rng.normal(0, 0.25, (n, 114))], axis=1)
      _write_expmap(os.path.join(root, mocap_bank.EXPMAP_DIR, "train",
                                 action, f"{action}_1.txt"), frames)
    clips = mocap_bank.find_clips(root)
    self.assertEqual([c.activity for c in clips], ["jumping", "walking"])
    assets = bundled.load_model()
    config = mocap_bank.BankConfig(min_distance=0.05, per_activity=10,
                                   fit=retarget.FitConfig(steps=30))
    bank = mocap_bank.build_bank(clips, assets, config)
    counts = np.bincount(bank.activity)
    # Line 0 of each file (a T-pose) dropped; walking capped at 10.
    self.assertAllEqual(counts, [5, 10])
    path = os.path.join(root, "bank.npz")
    mocap_bank.save_bank(path, bank)
    loaded = pose_bank.load(path)              # z-up, as AMASS
    self.assertAllClose(loaded.theta[:, 3:], bank.theta[:, 3:], atol=2e-2)
    up = rotation.axis_angle_to_matrix(loaded.theta[:, :3])[:, 1, 1]
    self.assertAllClose(
        up, rotation.axis_angle_to_matrix(bank.theta[:, :3])[:, 1, 1],
        atol=2e-2)

  def test_missing_folder(self):
    with self.assertRaisesRegex(FileNotFoundError, "cmu_iclone_20fps"):
      mocap_bank.find_clips(self.get_temp_dir())


if __name__ == "__main__":
  testing.main()
