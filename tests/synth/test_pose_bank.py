"""Tests for synth/pose_bank.py: AMASS, SPIN/HMR and plain files."""

import os

import numpy as np

from synth import pose_bank
from synth import rotation
from tests import testing


class PoseBankTest(testing.TestCase):

  def _save(self, name, **arrays):
    path = os.path.join(self.get_temp_dir(), name)
    np.savez(path, **arrays)
    return path

  def _upright_poses(self, n=4):
    rng = np.random.default_rng(testing.SEED)
    theta = rng.normal(0.0, 0.3, (n, 72))
    theta[:, :3] = rotation.matrix_to_axis_angle(rotation.rot_y(
        rng.uniform(-3, 3, n)))                  # upright, any heading
    return theta

  def _assert_upright(self, bank):
    up = rotation.axis_angle_to_matrix(bank.theta[:, :3])[:, :, 1]
    self.assertAllClose(up, np.tile([0.0, 1.0, 0.0], (len(bank), 1)),
                        atol=1e-6)

  def test_spin_style_pose_and_shape(self):
    theta = self._upright_poses()
    # Camera-frame fits (y down) carry 180° about x in the root.
    camera = theta.copy()
    camera[:, :3] = rotation.matrix_to_axis_angle(
        rotation.rot_x(np.pi) @ rotation.axis_angle_to_matrix(theta[:, :3]))
    path = self._save("spin.npz", pose=camera, shape=np.zeros((4, 10)),
                      imgname=np.array(["a.jpg"] * 4))
    bank = pose_bank.load(path, up_axis="-y")
    self.assertLen(bank, 4)
    self._assert_upright(bank)
    self.assertAllClose(bank.theta[:, 3:], theta[:, 3:])

  def test_amass_z_up_and_hands_zeroed(self):
    theta = self._upright_poses()
    z_up = np.concatenate([theta, np.ones((4, 84))], axis=1)     # SMPL-H
    z_up[:, :3] = rotation.matrix_to_axis_angle(
        rotation.rot_x(np.pi / 2) @ rotation.axis_angle_to_matrix(
            theta[:, :3]))
    bank = pose_bank.load(self._save("amass.npz", poses=z_up))
    self._assert_upright(bank)
    self.assertAllClose(bank.theta[:, 3 * 22:], np.zeros((4, 6)))

  def test_errors(self):
    with self.assertRaisesRegex(pose_bank.PoseBankError, "'pose' \\(SPIN"):
      pose_bank.load(self._save("two.npz", a=np.zeros((2, 72)),
                                b=np.zeros((2, 72))))
    with self.assertRaisesRegex(pose_bank.PoseBankError, "up_axis"):
      pose_bank.load(self._save("one.npz", poses=np.zeros((2, 72))), "x")


if __name__ == "__main__":
  testing.main()
