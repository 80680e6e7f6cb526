"""Tests for synth/sample.py: records and keypoint visibility on hand-built
scenes with the toy body."""

import numpy as np

from body import keypoints as keypoints_lib
from body import lbs
from body import toy
from synth import sample
from synth import rotation
from tests import testing

COCO = keypoints_lib.get("COCO_17").names


def _root_theta(root_matrix, n=1):
  theta = np.zeros((n, 72))
  theta[:, :3] = rotation.matrix_to_axis_angle(root_matrix)
  return theta.astype(np.float32)


class SampleTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.assets = toy.make_assets()
    # Margins for the toy body's 6 cm thick bones (the defaults are for
    # adults).
    cls.generator = sample.SampleGenerator(cls.assets, sample.SampleConfig(
        occlusion_margin=0.02, owned_margin=0.06, landmark_margin=0.04))

  def _render(self, root, scale=0.8, shift=(0.0, 0.0), arms_up=False):
    theta = _root_theta(root)
    if arms_up:    # Shoulders: arm up is L +z, R -z (SMPL_CONVENTIONS.md).
      theta[0, 16 * 3 + 2], theta[0, 17 * 3 + 2] = 1.4, -1.4
    betas = np.zeros((1, 10), np.float32)
    return self.generator.render(theta, betas, np.array([scale]),
                                 np.array([shift], np.float64))

  def _vis(self, batch):
    return dict(zip(COCO, batch.visibility[0].tolist()))

  def test_generate_shapes_and_determinism(self):
    a = self.generator.generate(np.random.default_rng(3), 20)
    b = self.generator.generate(np.random.default_rng(3), 20)
    k = len(COCO)
    self.assertEqual(a.theta.shape, (20, 72))
    self.assertEqual(a.keypoints2d.shape, (20, k, 2))
    self.assertEqual(a.visibility.shape, (20, k))
    self.assertEqual(a.silhouette.shape, (20, 64, 64))
    for field in ("theta", "betas", "keypoints2d", "visibility",
                  "silhouette", "transl"):
      np.testing.assert_array_equal(getattr(a, field), getattr(b, field))

  def test_keypoints_project_with_documented_camera(self):
    batch = self.generator.generate(np.random.default_rng(0), 8)
    f, c = batch.focal[:, None], batch.principal_point[:, None, :]
    kp3d = batch.keypoints3d.astype(np.float64)
    expected = f[..., None] * kp3d[..., :2] / kp3d[..., 2:] + c
    self.assertAllClose(batch.keypoints2d, expected, atol=1e-3)
    self.assertTrue(np.all(batch.keypoints3d[..., 2] > 0))

  def test_facing_camera_all_visible(self):
    # Camera frame: Rx(π) turns the y-up, +z-facing body to face the camera.
    batch = self._render(rotation.rot_x(np.pi)[None])
    vis = self._vis(batch)
    # The toy's "ears" are the back corners of its head box, 6 cm behind the
    # face: not checked here.
    del vis["left_ear"], vis["right_ear"]
    self.assertEqual(set(vis.values()), {sample.VISIBLE}, vis)

  def test_seen_from_behind_face_is_occluded(self):
    root = (rotation.rot_x(np.pi) @ rotation.rot_y(np.pi))[None]
    batch = self._render(root)
    vis = self._vis(batch)
    for name in ("nose", "left_eye", "right_eye"):
      self.assertEqual(vis[name], sample.OCCLUDED, name)
    for name in ("left_shoulder", "right_hip", "left_knee", "right_ankle"):
      self.assertEqual(vis[name], sample.VISIBLE, name)

  def test_profile_hides_far_side(self):
    # Left side to the camera: the body's +x axis points at the camera (-z);
    # arms up, so that the near arm covers the far one and neither hides the
    # legs.
    root = (rotation.rot_x(np.pi) @ rotation.rot_y(-np.pi / 2))[None]
    batch = self._render(root, arms_up=True)
    kp3d = dict(zip(COCO, batch.keypoints3d[0]))
    self.assertLess(kp3d["left_hip"][2], kp3d["right_hip"][2] - 0.1)
    vis = self._vis(batch)
    for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
      self.assertEqual(vis["left_" + part], sample.VISIBLE, part)
      self.assertEqual(vis["right_" + part], sample.OCCLUDED, part)

  def test_out_of_frame(self):
    # Shift the box centre by 70% of the crop: the body is partly outside.
    batch = self._render(rotation.rot_x(np.pi)[None], shift=(0.7, 0.0))
    kp = batch.keypoints2d[0]
    outside = np.any((kp < -0.5) | (kp >= 255.5), axis=-1)
    self.assertTrue(outside.any() and not outside.all())
    np.testing.assert_array_equal(batch.visibility[0] == sample.OUT_OF_FRAME,
                                  outside)

  def test_body_fills_crop(self):
    batch = self.generator.generate(np.random.default_rng(1), 32)
    size = 256
    # The silhouette's box side, in crop pixels, against the framing range.
    lo, hi = self.generator.config.camera.scale_range
    for mask in batch.silhouette:
      ys, xs = np.nonzero(mask)
      side = max(np.ptp(ys), np.ptp(xs)) + 1
      self.assertBetween(side * size / 64, lo * size - 12, hi * size + 12)

  def test_reduced_body_matches_full_model(self):
    # Posing only some vertices gives the same rows and the same joints as
    # posing the full model (the reference: body.lbs on the full model).
    rng = np.random.default_rng(3)
    betas = rng.normal(size=(4, 10)).astype(np.float32)
    theta = (0.4 * rng.normal(size=(4, 72))).astype(np.float32)
    ids = np.sort(rng.choice(self.assets.num_vertices, 50, replace=False))
    regressor = keypoints_lib.regressor(self.assets, keypoints_lib.COCO_21)
    for kp_regressor in (None, regressor):
      reduced = sample.reduced_body(self.assets, ids, kp_regressor)
      self.assertAllEqual(reduced.vertex_ids, ids)
      full = lbs.forward_axis_angle(self.assets, betas, theta)
      part = lbs.forward_axis_angle(reduced.assets, betas, theta)
      self.assertAllClose(part.vertices[:, :50],
                          full.vertices.numpy()[:, ids], atol=1e-5)
      self.assertAllClose(part.joints, full.joints, atol=1e-5)
    # The keypoints, from a few virtual vertices: the full model's exactly.
    self.assertAllClose(
        np.einsum("kv,bvc->bkc", reduced.keypoint_regressor,
                  part.vertices.numpy()),
        np.einsum("kv,bvc->bkc", regressor, full.vertices.numpy()),
        atol=1e-5)
    num_virtual = reduced.assets.num_vertices - 50 - self.assets.num_joints
    self.assertLess(num_virtual,
                    np.count_nonzero(np.any(regressor != 0, axis=0)))

  def test_keypoint_virtual_vertices_take_any_regressor(self):
    # Mixed signs (an H36M-style regressor) stay exact.
    rng = np.random.default_rng(5)
    regressor = np.zeros((3, self.assets.num_vertices))
    for k in range(3):
      ids = rng.choice(self.assets.num_vertices, 20, replace=False)
      regressor[k, ids] = rng.normal(size=20)
    betas = rng.normal(size=(2, 10)).astype(np.float32)
    theta = (0.4 * rng.normal(size=(2, 72))).astype(np.float32)
    reduced = sample.reduced_body(self.assets, np.arange(5), regressor)
    full = lbs.forward_axis_angle(self.assets, betas, theta).vertices.numpy()
    part = lbs.forward_axis_angle(reduced.assets, betas,
                                  theta).vertices.numpy()
    self.assertAllClose(
        np.einsum("kv,bvc->bkc", reduced.keypoint_regressor, part),
        np.einsum("kv,bvc->bkc", regressor, full), atol=1e-5)
    self.assertIsNone(
        sample.reduced_body(self.assets, np.arange(5)).keypoint_regressor)
    with self.assertRaisesRegex(ValueError, "shape"):
      sample.keypoint_virtual_vertices(self.assets, regressor[:, :5])

  def test_bad_config(self):
    with self.assertRaises(ValueError):
      sample.SampleConfig(silhouette_size=0)
    with self.assertRaisesRegex(ValueError, "NOPE"):
      sample.SampleConfig(keypoint_set="NOPE")


if __name__ == "__main__":
  testing.main()
