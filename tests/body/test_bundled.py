"""The bundled open model follows SMPL's conventions (shared/SMPL_CONVENTIONS.md)."""

import numpy as np

from body import bundled
from body import keypoints
from body import lbs
from tests import testing


def winding_numbers(points, vertices, faces):
  """Generalised winding number of each point w.r.t. a closed triangle mesh
  (Jacobson et al. 2013): ≈1 inside, ≈0 outside. NumPy float64."""
  tri = vertices[faces][None] - points[:, None, None, :]    # [P, F, 3, 3]
  a, b, c = tri[..., 0, :], tri[..., 1, :], tri[..., 2, :]
  la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
  numerator = np.einsum("pfi,pfi->pf", a, np.cross(b, c))
  denominator = (la * lb * lc + np.einsum("pfi,pfi->pf", a, b) * lc +
                 np.einsum("pfi,pfi->pf", b, c) * la +
                 np.einsum("pfi,pfi->pf", c, a) * lb)
  return (2.0 * np.arctan2(numerator, denominator)).sum(axis=1) / (4 * np.pi)


class BundledModelTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.model = bundled.load()
    cls.joints = cls.model.j_regressor @ cls.model.v_template

  def test_sizes_and_tree(self):
    m = self.model
    self.assertBetween(m.num_vertices, 5000, 8000)
    self.assertEqual(m.num_joints, 24)
    self.assertEqual(m.num_betas, 10)
    self.assertAllEqual(m.parents, keypoints.SMPL_PARENTS)
    self.assertIs(bundled.load(), m)  # Cached: loaded once per process.

  def test_closed_surface(self):
    faces = self.model.faces
    edges = np.sort(np.concatenate(
        [faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    self.assertTrue(np.all(counts == 2), "every edge has two faces")

  def test_t_pose_axes_and_sides(self):
    j = dict(zip(keypoints.SMPL_JOINT_NAMES, self.joints))
    self.assertGreater(j["head"][1], j["pelvis"][1])            # y up
    self.assertGreater(j["pelvis"][1], j["left_ankle"][1])
    self.assertGreater(j["left_wrist"][0], 0.5)                 # left is +x
    self.assertLess(j["right_wrist"][0], -0.5)
    for side in ("left", "right"):                              # T-pose
      self.assertLess(abs(j[f"{side}_wrist"][1] - j[f"{side}_shoulder"][1]),
                      0.1)
    v = self.model.v_template
    landmarks = self.model.landmarks
    self.assertGreater(v[landmarks["nose"]][2], j["head"][2])    # faces +z
    self.assertGreater(v[landmarks["left_eye"]][0], 0.0)
    self.assertLess(v[landmarks["right_eye"]][0], 0.0)
    self.assertLess(np.linalg.norm(j["pelvis"]), 0.35)          # near origin
    height = v[:, 1].max() - v[:, 1].min()
    self.assertBetween(height, 1.5, 1.9)                        # metres

  def test_faces_point_outward(self):
    v, f = self.model.v_template, self.model.faces
    # Signed volume of a closed outward-oriented surface is positive.
    volume = np.einsum("fi,fi->f", v[f[:, 0]],
                       np.cross(v[f[:, 1]], v[f[:, 2]])).sum() / 6.0
    self.assertBetween(volume, 0.03, 0.15)                      # m³

  def test_joints_inside_body_for_shapes_and_poses(self):
    rng = np.random.default_rng(0)
    betas = np.concatenate([np.zeros((1, 10)),
                            rng.normal(size=(2, 10)) * 1.5])
    theta = np.zeros((3, 72))
    theta[2, 3 * 18 + 1] = -1.5   # left elbow flexed ~90°
    theta[2, 3 * 4] = 1.5         # left knee flexed ~90°
    out = lbs.forward_axis_angle(self.model, betas, theta)
    faces = self.model.faces
    # Hands/feet/head tips are thin or near the surface; test the body core.
    core = [0, 1, 2, 3, 4, 5, 6, 9, 12, 16, 17, 18, 19]
    for b in range(3):
      w = winding_numbers(out.joints.numpy()[b, core],
                          out.vertices.numpy()[b], faces)
      self.assertAllGreater(w, 0.5)

  def test_beta0_is_height(self):
    betas = np.zeros((2, 10))
    betas[0, 0], betas[1, 0] = -2.0, 2.0
    out = lbs.forward_axis_angle(self.model, betas, np.zeros((2, 72)))
    heights = np.ptp(out.vertices.numpy()[..., 1], axis=1)
    self.assertGreater(heights[1] - heights[0], 0.1)


if __name__ == "__main__":
  testing.main()
