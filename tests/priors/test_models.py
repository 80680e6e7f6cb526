"""PosePrior / ShapePrior / BilinearUnit: shapes, bad inputs, conventions."""

import numpy as np
import tensorflow as tf

from body import bundled
from body import keypoints
from body import lbs
from priors import blocks
from priors import pose_prior
from priors import shape_prior
from render import camera as camera_lib
from tests import testing

_SMALL_POSE = pose_prior.PosePriorConfig(hidden_units=32)
_SMALL_SHAPE = shape_prior.ShapePriorConfig(conv_channels=(4, 4, 4, 4, 4),
                                            hidden_units=16)


class PosePriorTest(testing.TestCase):

  @testing.parameters(("6d", 6), ("axis_angle", 3))
  def test_output_shapes(self, head, width):
    model = pose_prior.PosePrior(
        pose_prior.PosePriorConfig(hidden_units=32, rotation_head=head))
    out = model(tf.zeros([5, 17, 2]), tf.ones([5, 17]))
    self.assertEqual(out.rotmats.shape, (5, 24, 3, 3))
    self.assertEqual(out.theta.shape, (5, 72))
    self.assertEqual(out.camera.shape, (5, 3))
    self.assertEqual(out.raw_rotation.shape, (5, 24, width))
    # Both heads start near the identity rotation and unit scale.
    self.assertAllClose(out.rotmats, np.broadcast_to(np.eye(3), (5, 24, 3, 3)),
                        atol=0.2)
    self.assertAllClose(out.theta, np.zeros((5, 72)), atol=0.2)

  def test_theta_matches_rotmats(self):
    model = pose_prior.PosePrior(_SMALL_POSE)
    out = model(tf.constant(self.rng.normal(size=(3, 17, 2)), tf.float32),
                tf.ones([3, 17]))
    from scipy.spatial.transform import Rotation
    expected = Rotation.from_rotvec(
        out.theta.numpy().reshape(-1, 3).astype(np.float64)).as_matrix()
    self.assertAllClose(out.rotmats.numpy().reshape(-1, 3, 3), expected,
                        atol=1e-4)

  def _trained_looking(self, config):
    # Heads with weights as large as a trained prior's, so that a change in
    # the units shows in θ (fresh heads start at ~0.01 scale).
    model = pose_prior.PosePrior(config)
    for head in (model.rotation_head, model.camera_head):
      head.kernel.assign(self.rng.normal(
          0, 0.3, head.kernel.shape).astype(np.float32))
    return model

  def test_deepen_starts_where_the_model_is(self):
    shallow = self._trained_looking(
        pose_prior.PosePriorConfig(hidden_units=32, num_units=1))
    kp = tf.constant(self.rng.uniform(-0.8, 0.8, (6, 17, 2)), tf.float32)
    conf = tf.constant(self.rng.uniform(0.3, 1.0, (6, 17)), tf.float32)
    before = shallow(kp, conf, training=False)
    exact = pose_prior.deepen(shallow, 3, new_unit_scale=0.0)
    self.assertEqual(exact.config.num_units, 3)
    self.assertEqual(exact.config.hidden_units, 32)
    for name in ("input_layer", "unit0", "rotation_head", "camera_head"):
      for a, b in zip(getattr(shallow, name).get_weights(),
                      getattr(exact, name).get_weights()):
        self.assertAllEqual(a, b)
    after = exact(kp, conf, training=False)
    self.assertAllClose(after.rotmats, before.rotmats, atol=1e-5)
    self.assertAllClose(after.camera, before.camera, atol=1e-5)
    # The default leaves the new units alive but moves the output little.
    near = pose_prior.deepen(shallow, 2)(kp, conf, training=False)
    moved = np.abs(near.rotmats.numpy() - before.rotmats.numpy()).max()
    self.assertGreater(moved, 0.0)
    self.assertLess(moved, 0.1)
    fresh = pose_prior.PosePrior(exact.config)
    self.assertGreater(np.abs(
        fresh(kp, conf, training=False).rotmats.numpy() -
        before.rotmats.numpy()).max(), 0.1)

  def test_deepen_refuses_fewer_units(self):
    model = pose_prior.PosePrior(
        pose_prior.PosePriorConfig(hidden_units=16, num_units=2))
    with self.assertRaisesRegex(ValueError, "it has 2 units, asked for 1"):
      pose_prior.deepen(model, 1)
    with self.assertRaisesRegex(ValueError, "new_unit_scale"):
      pose_prior.deepen(model, 3, new_unit_scale=-1.0)

  def test_zero_confidence_ignores_coordinates(self):
    model = pose_prior.PosePrior(_SMALL_POSE)
    conf = np.ones((1, 17), np.float32)
    conf[0, 3] = 0.0
    a = np.zeros((1, 17, 2), np.float32)
    b = a.copy()
    b[0, 3] = [0.7, -0.4]
    self.assertAllClose(model(a, conf).camera, model(b, conf).camera)

  def test_missing_keypoints_may_hold_nan(self):
    # Issue 19, defect 3: confidence 0 with NaN coordinates gave a NaN pose.
    model = pose_prior.PosePrior(_SMALL_POSE)
    conf = np.ones((2, 17), np.float32)
    conf[:, 3] = 0.0
    kp = self.rng.uniform(-0.5, 0.5, (2, 17, 2)).astype(np.float32)
    bad = kp.copy()
    bad[0, 3] = [np.nan, np.inf]
    bad[1, 3] = [1e30, -np.inf]
    expected = model(kp, conf)
    got = model(bad, conf)
    self.assertAllClose(got.rotmats, expected.rotmats)
    self.assertAllClose(got.camera, expected.camera)
    # A non-finite coordinate or NaN confidence counts as missing.
    nan_conf = conf.copy()
    nan_conf[:, 3] = np.nan
    self.assertAllClose(model(bad, nan_conf).camera, expected.camera)
    conf_one = np.ones((2, 17), np.float32)
    self.assertAllClose(model(bad, conf_one).rotmats[0], expected.rotmats[0])

  def test_flip_test_checks_k_first(self):
    # Issue 19, defect 9: K = 17 into a COCO_21 prior was a bare IndexError.
    model = pose_prior.PosePrior(
        pose_prior.PosePriorConfig(hidden_units=32, num_keypoints=21))
    with self.assertRaisesRegex(ValueError, r"keypoints must have shape "
                                r"\[B, 21, 2\], got \[1, 17, 2\]"):
      pose_prior.flip_averaged(model, np.zeros((1, 17, 2)),
                               np.ones((1, 17)), keypoints.COCO_21.flip_pairs)

  @testing.parameters(((2, 16, 2), (2, 17)), ((2, 17, 3), (2, 17)),
                      ((2, 17, 2), (2, 16)), ((34,), (17,)))
  def test_rejects_bad_shapes(self, kp_shape, conf_shape):
    model = pose_prior.PosePrior(_SMALL_POSE)
    with self.assertRaisesRegex(ValueError, "keypoints|confidence"):
      model(tf.zeros(kp_shape), tf.zeros(conf_shape))

  def test_rejects_bad_config(self):
    with self.assertRaisesRegex(ValueError, "rotation_head"):
      pose_prior.PosePriorConfig(rotation_head="quaternion")

  def test_normalisation_hand_case(self):
    # Crop of 256: pixel centres 0 and 255 are 0.5 px inside the edges ±1.
    out = pose_prior.normalize_keypoints(
        tf.constant([[[0.0, 127.5], [255.0, -0.5]]]), 256)
    self.assertAllClose(out, [[[-255 / 256, 0.0], [255 / 256, -1.0]]])
    self.assertAllClose(pose_prior.denormalize_keypoints(out, 256),
                        [[[0.0, 127.5], [255.0, -0.5]]])

  def test_weak_perspective_agrees_with_render_camera(self):
    points = self.rng.normal(size=(2, 5, 3)).astype(np.float32)
    camera = np.array([[0.9, 0.1, -0.2], [1.2, 0.0, 0.3]], np.float32)
    ours = pose_prior.denormalize_keypoints(
        pose_prior.project_weak_perspective(points, camera), 256)
    theirs = camera_lib.WeakPerspectiveCamera(
        scale=camera[:, 0], translation=camera[:, 1:],
        crop_size=256).project(points)
    self.assertAllClose(ours, theirs, atol=1e-4)


class FlipTest(testing.TestCase):

  def _random_rotmats(self, n, j=24):
    from scipy.spatial.transform import Rotation
    return Rotation.random(n * j, random_state=3).as_matrix().reshape(
        n, j, 3, 3).astype(np.float32)

  def test_mirror_rotations_is_spins_axis_angle_flip(self):
    from scipy.spatial.transform import Rotation
    rotmats = self._random_rotmats(4)
    mirrored = pose_prior.mirror_rotations(rotmats).numpy()
    aa = Rotation.from_matrix(rotmats.reshape(-1, 3, 3)).as_rotvec().reshape(
        4, 24, 3)
    # SPIN's flip_pose: swap left/right joints, negate the y and z parts.
    perm = list(range(24))
    for a, b in keypoints.SMPL_24.flip_pairs:
      perm[a], perm[b] = b, a
    expected = Rotation.from_rotvec(
        (aa[:, perm] * [1.0, -1.0, -1.0]).reshape(-1, 3)).as_matrix()
    self.assertAllClose(mirrored.reshape(-1, 3, 3), expected, atol=1e-5)
    self.assertAllClose(pose_prior.mirror_rotations(mirrored), rotmats,
                        atol=1e-6)

  def test_mirrored_pose_mirrors_the_body(self):
    # The bundled body is left/right symmetric: the mirrored rotations pose
    # the mirror image of the joints (x ↦ −x, left ↔ right).
    assets = bundled.load()
    from scipy.spatial.transform import Rotation
    rotmats = Rotation.from_rotvec(
        self.rng.normal(0.0, 0.4, (3 * 24, 3))).as_matrix().reshape(
            3, 24, 3, 3).astype(np.float32)
    joints = lbs.forward(assets, tf.zeros([3, 10]), rotmats).joints.numpy()
    mirrored = lbs.forward(assets, tf.zeros([3, 10]),
                           pose_prior.mirror_rotations(rotmats)).joints.numpy()
    perm = list(range(24))
    for a, b in keypoints.SMPL_24.flip_pairs:
      perm[a], perm[b] = b, a
    expected = joints[:, perm] * [-1.0, 1.0, 1.0]
    self.assertLess(np.abs(mirrored - expected).max(), 0.01)

  def test_project_to_rotation(self):
    rotmats = self._random_rotmats(2)
    noisy = rotmats + 0.05 * self.rng.normal(size=rotmats.shape)
    projected = pose_prior.project_to_rotation(
        tf.constant(noisy, tf.float32)).numpy()
    eye = np.broadcast_to(np.eye(3), projected.shape)
    self.assertAllClose(projected @ np.swapaxes(projected, -1, -2), eye,
                        atol=1e-5)
    self.assertAllClose(np.linalg.det(projected), np.ones((2, 24)), atol=1e-5)
    self.assertAllClose(pose_prior.project_to_rotation(rotmats), rotmats,
                        atol=1e-5)

  def test_project_to_rotation_matches_svd(self):
    # The nearest rotation by SVD in float64 (R = U diag(1, 1, det) Vᵀ), for
    # sums of two rotations as the flip test makes and for scaled ones.
    from scipy.spatial.transform import Rotation
    a = self._random_rotmats(3).astype(np.float64)
    turn = Rotation.from_rotvec(0.8 * self.rng.normal(size=(72, 3)))
    b = a @ turn.as_matrix().reshape(3, 24, 3, 3)   # up to ~2 rad away
    for scale in (1.0, 1e3, 1e-3):
      m = scale * (a + b)
      u, _, vt = np.linalg.svd(m)
      fix = np.ones(m.shape[:-1])
      fix[..., 2] = np.linalg.det(u @ vt)
      expected = (u * fix[..., None, :]) @ vt
      got = pose_prior.project_to_rotation(tf.constant(m, tf.float32))
      self.assertAllClose(got, expected, atol=2e-6)

  def test_project_to_rotation_rejects_bad_shapes(self):
    with self.assertRaisesRegex(ValueError, "matrices"):
      pose_prior.project_to_rotation(tf.zeros([2, 3, 4]))

  def test_flip_averaged_is_mirror_equivariant(self):
    model = pose_prior.PosePrior(pose_prior.PosePriorConfig(hidden_units=64))
    kp = self.rng.uniform(-0.8, 0.8, (5, 17, 2)).astype(np.float32)
    conf = self.rng.uniform(0.2, 1.0, (5, 17)).astype(np.float32)
    pairs = keypoints.COCO_17.flip_pairs
    perm = list(range(17))
    for a, b in pairs:
      perm[a], perm[b] = b, a
    out = pose_prior.flip_averaged(model, kp, conf, pairs)
    mirror = pose_prior.flip_averaged(model, kp[:, perm] * [-1.0, 1.0],
                                      conf[:, perm], pairs)
    self.assertAllClose(pose_prior.mirror_rotations(mirror.rotmats),
                        out.rotmats, atol=1e-4)
    self.assertAllClose(mirror.camera * [1.0, -1.0, 1.0], out.camera,
                        atol=1e-5)
    self.assertEqual(out.theta.shape, (5, 72))


# TensorFlow ops that tf2onnx converts to nothing onnxruntime runs (or does
# not convert): the exported PosePrior must do without them.
_ONNX_HOSTILE_OPS = {"Cross", "Svd", "MatrixInverse", "MatrixDeterminant",
                     "SelfAdjointEigV2", "Qr"}


def _op_types(concrete):
  """Every op type of a concrete function, its nested functions included."""
  graph_def = concrete.graph.as_graph_def()
  types = {node.op for node in graph_def.node}
  for function in graph_def.library.function:
    types |= {node.op for node in function.node_def}
  return types


class ExportableOpsTest(testing.TestCase):

  @testing.parameters((False,), (True,))
  def test_pose_prior_inference_graph_has_no_onnx_hostile_ops(self, flip):
    model = pose_prior.PosePrior(_SMALL_POSE)
    pairs = keypoints.COCO_17.flip_pairs

    @tf.function(input_signature=[tf.TensorSpec([None, 17, 2], tf.float32),
                                  tf.TensorSpec([None, 17], tf.float32)])
    def infer(kp, conf):
      if flip:
        return pose_prior.flip_averaged(model, kp, conf, pairs)
      return model(kp, conf, training=False)

    types = _op_types(infer.get_concrete_function())
    self.assertIn("MatMul", types)          # the graph was found
    self.assertEqual(types & _ONNX_HOSTILE_OPS, set())

  def test_checker_sees_a_cross_product(self):
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def hostile(v):
      return tf.linalg.cross(v, v)
    self.assertIn("Cross", _op_types(hostile.get_concrete_function()))


class ShapePriorTest(testing.TestCase):

  @testing.parameters(((3, 64, 64),), ((3, 64, 64, 1),))
  def test_output_shape(self, shape):
    model = shape_prior.ShapePrior(_SMALL_SHAPE)
    self.assertEqual(model(tf.zeros(shape)).shape, (3, 10))

  @testing.parameters(((3, 32, 32),), ((3, 64, 64, 3),), ((64, 64),))
  def test_rejects_bad_shapes(self, shape):
    model = shape_prior.ShapePrior(_SMALL_SHAPE)
    with self.assertRaisesRegex(ValueError, "silhouette"):
      model(tf.zeros(shape))

  def test_rejects_bad_config(self):
    with self.assertRaisesRegex(ValueError, "multiple of 32"):
      shape_prior.ShapePriorConfig(silhouette_size=48)
    with self.assertRaisesRegex(ValueError, "5 widths"):
      shape_prior.ShapePriorConfig(conv_channels=(8, 8))


class BilinearUnitTest(testing.TestCase):

  def test_identity_when_branch_is_zero(self):
    unit = blocks.BilinearUnit(8, dropout=0.0)
    x = tf.constant(self.rng.normal(size=(4, 8)), tf.float32)
    unit(x)
    for dense, _, _ in unit.stages:
      dense.kernel.assign(tf.zeros_like(dense.kernel))
      dense.bias.assign(tf.zeros_like(dense.bias))
    # BN(0) = beta = 0 and ReLU(0) = 0: the skip alone remains.
    self.assertAllClose(unit(x, training=False), x)

  def test_rejects_width_mismatch(self):
    with self.assertRaisesRegex(ValueError, "BilinearUnit"):
      blocks.BilinearUnit(8)(tf.zeros([2, 5]))


if __name__ == "__main__":
  testing.main()
