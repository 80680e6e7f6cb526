"""Tests for synth/plausibility.py: ordinary contact poses pass, real
interpenetration does not (poses built from the structured prior's controls
on the bundled body)."""

import numpy as np

from synth import plausibility
from synth import pose_prior
from tests import testing
from tests.synth import skeleton


def _pose(**controls):
  """θ `[1, 72]` from the neutral controls; `both_X` sets `l_X` and `r_X`."""
  c = pose_prior.neutral_controls(1)
  for name, value in controls.items():
    names = ([f"{s}_{name[5:]}" for s in "lr"] if name.startswith("both_")
             else [name])
    for n in names:
      c[n][:] = value
  return pose_prior.controls_to_theta(c)


_SITTING = dict(both_hip_flex=1.5, both_knee=1.5, spine_flex=1.0)
CONTACT_POSES = {
    "hands_on_hips": _pose(both_sh_alpha=np.radians(40), both_sh_beta=-0.8,
                           both_sh_twist=0.6, both_elbow=1.7),
    "arms_crossed": _pose(both_collar_prot=0.25, both_collar_elev=-0.1,
                          both_sh_alpha=np.radians(90), both_sh_beta=0.6,
                          both_sh_twist=-1.3, both_elbow=2.3),
    "hands_behind_head": _pose(both_sh_alpha=np.radians(50),
                               both_sh_beta=np.radians(225),
                               both_sh_twist=-2.1, both_elbow=2.3,
                               both_collar_elev=0.1),
    "forearm_on_thigh": _pose(l_sh_alpha=np.radians(90),
                              l_sh_beta=np.radians(60), l_sh_twist=-0.6,
                              l_elbow=1.4, **_SITTING),
    "hands_clasped_in_front": _pose(both_sh_alpha=np.radians(75),
                                    both_sh_beta=np.radians(40),
                                    both_sh_twist=-0.5, both_elbow=1.2),
}
INTERPENETRATING_POSES = {
    "thighs_through_each_other": _pose(l_hip_abd=-0.6, r_hip_abd=-0.6),
    "forearm_through_chest": _pose(l_sh_alpha=np.radians(140),
                                   l_sh_beta=np.radians(150), l_elbow=2.5,
                                   l_sh_twist=-1.0),
    "arms_through_the_belly": _pose(both_sh_alpha=np.radians(85),
                                    both_sh_beta=0.0, both_collar_elev=-0.45,
                                    both_elbow=0.1),
}


class PlausibilityTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.rest, cls.parents = skeleton.bundled_rest_skeleton()

  def _check(self, theta):
    return plausibility.is_plausible(theta, self.rest, self.parents)[0]

  @testing.parameters(*CONTACT_POSES)
  def test_contact_poses_pass(self, name):
    self.assertTrue(self._check(CONTACT_POSES[name]), name)

  @testing.parameters(*INTERPENETRATING_POSES)
  def test_interpenetration_is_rejected(self, name):
    self.assertFalse(self._check(INTERPENETRATING_POSES[name]), name)

  def test_the_contact_is_real(self):
    # The contact fixtures really touch: the hands reach the hips, the
    # head, the thigh (joint distances, metres).
    def joints(name):
      return plausibility.forward_kinematics(CONTACT_POSES[name], self.rest,
                                             self.parents)[0]
    j = joints("hands_behind_head")
    self.assertLess(np.linalg.norm(j[22] - j[15]), 0.15)
    self.assertLess(j[22, 2], j[15, 2])           # behind the head
    j = joints("forearm_on_thigh")
    self.assertLess(np.linalg.norm(j[20] - j[4]), 0.1)   # wrist at the knee
    j = joints("hands_on_hips")
    self.assertLess(np.linalg.norm(j[20] - j[1]), 0.25)   # wrist at the hip
    self.assertBetween(j[20, 1], 0.0, 0.2)

  def test_overlap_grows_as_thighs_cross(self):
    pair = plausibility.PAIRS.index(("l_thigh", "r_thigh"))
    overlaps = [plausibility.capsule_overlap(plausibility.forward_kinematics(
        _pose(l_hip_abd=-a, r_hip_abd=-a), self.rest, self.parents),
                                             self.rest)[0, pair]
                for a in (0.0, 0.15, 0.3)]
    self.assertEqual(overlaps[0], 0.0)
    self.assertLess(overlaps[1], overlaps[2])
    self.assertGreater(overlaps[2], 0.5)

  def test_shape_is_checked(self):
    with self.assertRaisesRegex(ValueError, "theta must have shape"):
      plausibility.is_plausible(np.zeros((2, 71)), self.rest, self.parents)


if __name__ == "__main__":
  testing.main()
