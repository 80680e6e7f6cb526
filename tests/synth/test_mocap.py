"""Tests for synth/mocap.py on tiny BVH and expmap fixtures written here."""

import os

import numpy as np

from synth import mocap
from synth import rotation
from tests import testing

# Root (6 channels) → "knee" 40 cm below → end site 40 cm further; the
# second joint rotates Z then X (degrees).
_BVH = """HIERARCHY
ROOT hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT knee
  {
    OFFSET 0 -40 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -40 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.05
0 0 0 0 0 0 0 0 0
10 90 0 0 0 0 90 0 0
0 100 0 0 90 0 0 90 0
"""


class BvhTest(testing.TestCase):

  def test_forward_kinematics_by_hand(self):
    m = mocap.parse_bvh(_BVH, "fixture")
    self.assertEqual(m.names, ("hips", "knee", "knee_end"))
    self.assertAllEqual(m.parents, [-1, 0, 1])
    self.assertAlmostEqual(m.frame_time, 0.05)
    p = m.positions
    self.assertEqual(p.shape, (3, 3, 3))
    # Rest: a straight leg down, metres.
    self.assertAllClose(p[0], [[0, 0, 0], [0, -0.4, 0], [0, -0.8, 0]])
    # Knee turned 90° about z: the shin swings from -y to +x.
    self.assertAllClose(p[1], [[0.1, 0.9, 0], [0.1, 0.5, 0],
                               [0.5, 0.5, 0]], atol=1e-9)
    # Knee 90° about x sends the shin from -y to -z, the root's 90° about y
    # then from -z to -x; the thigh stays vertical.
    self.assertAllClose(p[2, 1] - p[2, 0], [0, -0.4, 0], atol=1e-9)
    self.assertAllClose(p[2, 2] - p[2, 1], [-0.4, 0, 0], atol=1e-9)

  def test_z_up_files_turn_to_y_up(self):
    text = _BVH.replace("0 -40 0", "0 0 -40")     # the leg along -z
    m = mocap.parse_bvh(text, "fixture", up_axis="z")
    self.assertAllClose(m.positions[0, 2], [0, -0.8, 0], atol=1e-9)

  def test_read_drops_the_added_t_pose(self):
    path = os.path.join(self.get_temp_dir(), "clip.bvh")
    with open(path, "w") as f:
      f.write(_BVH)
    self.assertLen(mocap.read_bvh(path).positions, 3)
    self.assertLen(mocap.read_bvh(path, skip_first=True).positions, 2)

  def test_errors_name_the_problem(self):
    with self.assertRaisesRegex(mocap.MocapError, "expected 4 frames"):
      mocap.parse_bvh(_BVH.replace("Frames: 3", "Frames: 4"), "fixture")
    with self.assertRaisesRegex(mocap.MocapError, "HIERARCHY"):
      mocap.parse_bvh("MOTION\nFrames: 0\nFrame Time: 1\n")
    with self.assertRaisesRegex(mocap.MocapError, "does not exist"):
      mocap.read_bvh("/nonexistent/clip.bvh")


def _expmap_line(values):
  return ",".join(f"{v:.9g}" for v in values)


class ExpmapTest(testing.TestCase):

  def test_rest_pose_is_the_skeleton(self):
    p = mocap.expmap_forward(np.zeros((1, 117)))[0] * mocap.CMU_UNIT_METRES / 70
    names = mocap.CMU38_NAMES
    # Legs hang down (y up), the left side is +x, toes point +z.
    self.assertLess(p[names.index("lankle"), 1], -0.7)
    self.assertGreater(p[names.index("lhip"), 0], 0.05)
    self.assertLess(p[names.index("rhip"), 0], -0.05)
    self.assertGreater(p[names.index("ltoe"), 2], p[names.index("lankle"), 2])
    self.assertGreater(p[names.index("head"), 1], 0.4)
    # Thigh length ≈ 0.43 m for this CMU subject.
    thigh = np.linalg.norm(p[names.index("lknee")] - p[names.index("lhip")])
    self.assertAllClose(thigh, 0.4286, atol=1e-3)

  def test_root_rotation_turns_the_body_and_keeps_bones(self):
    rng = np.random.default_rng(testing.SEED)
    values = np.zeros((2, 117))
    values[1, 3:6] = [0.0, 0.7, 0.0]
    p = mocap.expmap_forward(values)
    # A rotation about y keeps heights and distances from the root.
    self.assertAllClose(p[1, :, 1], p[0, :, 1], atol=1e-9)
    self.assertAllClose(np.linalg.norm(p[1], axis=-1),
                        np.linalg.norm(p[0], axis=-1), atol=1e-9)
    self.assertGreater(np.abs(p[1] - p[0]).max(), 1.0)
    # Random joint rotations keep every bone's length.
    values = np.concatenate([np.zeros((3, 3)),
                             rng.normal(0, 0.5, (3, 114))], axis=1)
    q = mocap.expmap_forward(values)
    bones = q[:, 1:] - q[:, mocap.CMU38_PARENTS[1:]]
    self.assertAllClose(np.linalg.norm(bones, axis=-1),
                        np.broadcast_to(np.linalg.norm(
                            mocap.CMU38_OFFSETS[1:], axis=-1), (3, 37)))

  def test_knee_flexion_moves_the_shin_back(self):
    # The hip joint ("lhip") rotates the femur; the knee ("lknee") the shin.
    # Flexing the left knee (rotation about the x axis) takes the ankle
    # behind the knee (−z), whichever sign convention the file uses.
    names = mocap.CMU38_NAMES
    k = names.index("lknee")
    for angle in (1.0, -1.0):
      values = np.zeros((1, 117))
      values[0, 3 + 3 * k] = angle
      p = mocap.expmap_forward(values)[0]
      moved = p[names.index("lankle")] - p[k]
      self.assertGreater(np.abs(moved[2]), 50.0)
      self.assertAllClose(p[names.index("rankle")],
                          mocap.expmap_forward(np.zeros((1, 117)))[0][
                              names.index("rankle")])

  def test_read_scales_to_metres_and_skips_line_zero(self):
    path = os.path.join(self.get_temp_dir(), "walking_1.txt")
    values = np.zeros((3, 117))
    values[:, :3] = [10.0, 16.0, -30.0]     # root position: ignored
    values[2, 3 + 3 * 21:3 + 3 * 21 + 3] = rotation.matrix_to_axis_angle(
        rotation.rot_y(0.5))
    with open(path, "w") as f:
      f.write("\n".join(_expmap_line(v) for v in values) + "\n")
    m = mocap.read_expmap(path)
    self.assertEqual(m.positions.shape, (2, 38, 3))
    self.assertAllClose(m.positions[0, 0], [0, 0, 0])
    self.assertAllClose(m.frame_time, 1 / 30)
    ankle = m.positions[0, mocap.CMU38_NAMES.index("lankle")]
    self.assertBetween(ankle[1], -1.0, -0.7)

  def test_bad_lines_are_reported(self):
    with self.assertRaisesRegex(mocap.MocapError, "line 2 has 3 numbers"):
      mocap.parse_expmap(_expmap_line(np.zeros(117)) + "\n1,2,3\n", "x")


if __name__ == "__main__":
  testing.main()
