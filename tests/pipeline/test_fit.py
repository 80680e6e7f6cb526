"""Tests of pipeline.fit on the toy body."""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from body import lbs
from body import rotation
from body import toy
from pipeline import fit as fit_lib
from render import camera as camera_lib
from render import soft_silhouette
from synth import joint_limits
from tests import testing

KSET = "COCO_17"
CROP = 256
SIL = 32
B = 3


class Prediction(NamedTuple):
  theta: tf.Tensor
  betas: tf.Tensor
  camera: tf.Tensor


def config(**overrides):
  base = dict(steps=12, keypoint_set=KSET, crop_size=CROP, proxy_cell=0.0,
              render_jit_compile=False, jit_compile=False,
              learning_rate=0.02)
  base.update(overrides)
  return fit_lib.FitConfig(**base)


def prediction(rng, batch=B) -> Prediction:
  """Poses within the joint limits: the root turned to face the camera
  (OpenCV axes), knees and elbows bent, the rest small."""
  theta = np.zeros((batch, 24, 3))
  theta[:, 0] = [np.pi, 0.0, 0.0]
  theta[:, joint_limits.L_KNEE, 0] = rng.uniform(0.2, 1.0, batch)
  theta[:, joint_limits.R_KNEE, 0] = rng.uniform(0.2, 1.0, batch)
  theta[:, joint_limits.L_ELBOW, 1] = -rng.uniform(0.2, 1.0, batch)
  theta[:, joint_limits.R_ELBOW, 1] = rng.uniform(0.2, 1.0, batch)
  theta[:, joint_limits.SPINE1] = rng.uniform(-0.1, 0.1, (batch, 3))
  camera = np.stack([rng.uniform(0.9, 1.1, batch),
                     rng.uniform(-0.05, 0.05, batch),
                     rng.uniform(0.0, 0.1, batch)], -1)
  return Prediction(tf.constant(theta.reshape(batch, 72), tf.float32),
                    tf.constant(rng.normal(size=(batch, 10)) * 0.5,
                                tf.float32),
                    tf.constant(camera, tf.float32))


def evidence(pred: Prediction):
  """Keypoints (NumPy float64, pixels) and a soft silhouette of `pred`."""
  assets = toy.make_assets()
  theta = pred.theta.numpy().astype(np.float64).reshape(-1, 24, 3)
  betas = pred.betas.numpy().astype(np.float64)
  body = lbs.forward(assets, tf.constant(betas),
                     tf.constant(rotation.axis_angle_to_matrix_np(theta)))
  vertices = body.vertices.numpy()
  reg = keypoints_lib.regressor(assets, keypoints_lib.get(KSET))
  kp3d = np.einsum("kv,bvc->bkc", reg, vertices)
  cam = pred.camera.numpy().astype(np.float64)
  half = 0.5 * CROP
  kp = cam[:, None, :1] * (kp3d[..., :2] + cam[:, None, 1:]) * half + (
      half - 0.5)
  screen = camera_lib.WeakPerspectiveCamera(
      pred.camera[:, 0], pred.camera[:, 1:], SIL).transform_points_screen(
          tf.constant(vertices, tf.float32))
  silhouette = soft_silhouette.soft_silhouette(
      screen, tf.constant(assets.faces, tf.int32),
      soft_silhouette.SoftSilhouetteSettings(
          (SIL, SIL), sigma=fit_lib.FitConfig.silhouette_blur, z_near=None,
          jit_compile=False))
  return kp.astype(np.float32), silhouette


class FitTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.assets = toy.make_assets()

  def test_reduces_objective_towards_the_evidence(self):
    truth = prediction(self.rng)
    keypoints, silhouette = evidence(truth)
    start = Prediction(
        truth.theta + tf.constant(self.rng.normal(size=(B, 72)) * 0.05,
                                  tf.float32) * np.r_[np.zeros(3),
                                                      np.ones(69)],
        truth.betas, truth.camera * [1.08, 1.0, 1.0] + [0.0, 0.03, -0.02])
    fitter = fit_lib.Fitter(config(steps=25), self.assets)
    result = fitter(start, keypoints, tf.ones([B, 17]), silhouette)
    losses = result.losses.numpy()
    self.assertEqual(losses.shape, (26, B))
    self.assertTrue(np.all(losses[-1] < 0.5 * losses[0]), losses)
    self.assertAllClose(sum(result.terms.values()), result.losses)
    before = np.abs(start.camera - truth.camera).sum(-1)
    after = np.abs(result.camera - truth.camera).sum(-1)
    self.assertTrue(np.all(after < before), (before, after))

  def test_moves_nothing_when_the_prediction_explains_the_evidence(self):
    pred = prediction(self.rng)
    keypoints, silhouette = evidence(pred)
    result = fit_lib.Fitter(config(), self.assets)(
        pred, keypoints, tf.ones([B, 17]), silhouette)
    self.assertAllClose(result.theta, pred.theta, atol=2e-3)
    self.assertAllClose(result.betas, pred.betas, atol=2e-3)
    self.assertAllClose(result.camera, pred.camera, atol=2e-4)
    self.assertLess(float(tf.reduce_max(result.losses)), 1e-3)

  def test_anchor_holds_the_prediction_without_evidence(self):
    pred = prediction(self.rng)
    theta = pred.theta.numpy()
    theta[:, 3 * joint_limits.L_KNEE] = -0.3          # hyperextended knee
    pred = pred._replace(theta=tf.constant(theta))
    keypoints = np.zeros((B, 17, 2), np.float32)

    def moved(anchor_weight):
      result = fit_lib.Fitter(
          config(steps=30, anchor_weight=anchor_weight, anchor_sigma=0.1,
                 limit_weight=100.0, learning_rate=0.05), self.assets)(
                     pred, keypoints, tf.zeros([B, 17]), None)
      self.assertAllClose(result.betas, pred.betas, atol=1e-6)
      self.assertAllClose(result.camera, pred.camera, atol=1e-6)
      return np.abs(result.theta.numpy() - theta)

    anchored, free = moved(10.0), moved(0.0)
    knee = 3 * joint_limits.L_KNEE
    self.assertGreater(free[:, knee].min(), 0.2)       # limits pull it in
    self.assertLess(anchored[:, knee].max(), 0.05)     # the anchor holds it
    others = np.delete(anchored, knee, axis=1)
    self.assertLess(others.max(), 1e-4)

  def test_outlier_keypoint_is_bounded(self):
    pred = prediction(self.rng, batch=1)
    keypoints, silhouette = evidence(pred)
    keypoints[:, 9] += 200.0                           # a wild left wrist
    result = fit_lib.Fitter(config(), self.assets)(
        pred, keypoints, tf.ones([1, 17]), silhouette)
    # Geman–McClure: the outlier costs at most its confidence (1).
    self.assertLess(float(result.terms["keypoints"][0, 0]), 1.0)
    self.assertAllClose(result.camera, pred.camera, atol=0.02)

  def test_outputs_and_gradients_finite_from_the_rest_pose(self):
    pred = Prediction(tf.zeros([2, 72]), tf.zeros([2, 10]),
                      tf.constant([[1.0, 0.0, 0.0]] * 2))
    keypoints = self.rng.uniform(0, CROP, (2, 17, 2)).astype(np.float32)
    keypoints[1, 3] = np.nan                            # ignored
    silhouette = (self.rng.uniform(size=(2, SIL, SIL)) > 0.5).astype(
        np.float32)
    result = fit_lib.Fitter(config(steps=3), self.assets)(
        pred, keypoints, tf.ones([2, 17]), silhouette)
    for name in ("theta", "betas", "camera", "vertices", "joints", "losses"):
      value = getattr(result, name).numpy()
      self.assertTrue(np.all(np.isfinite(value)), name)
    self.assertGreater(float(tf.reduce_max(tf.abs(result.theta))), 0.0)

  def test_xla_loop_matches_the_plain_loop(self):
    truth = prediction(self.rng)
    keypoints, _ = evidence(truth)
    start = truth._replace(camera=truth.camera * [1.05, 1.0, 1.0])
    results = [fit_lib.Fitter(config(steps=5, jit_compile=jit),
                              self.assets)(start, keypoints, tf.ones([B, 17]))
               for jit in (False, True)]
    self.assertAllClose(results[0].theta, results[1].theta, atol=1e-4)
    self.assertAllClose(results[0].camera, results[1].camera, atol=1e-5)
    self.assertAllClose(results[0].losses, results[1].losses, rtol=1e-3)

  def test_zero_steps_returns_the_prediction(self):
    pred = prediction(self.rng)
    result = fit_lib.fit(pred, np.zeros((B, 17, 2)), np.ones((B, 17)), None,
                         config(steps=0), self.assets)
    self.assertAllEqual(result.theta, pred.theta)
    self.assertAllEqual(result.camera, pred.camera)
    self.assertEqual(result.losses.shape, (0, B))
    self.assertEqual(result.vertices.shape, (B, self.assets.num_vertices, 3))

  @testing.parameters(
      (dict(steps=-1), "steps"), (dict(keypoint_sigma=0.0), "keypoint_sigma"),
      (dict(anchor_weight=-1.0), "anchor_weight"),
      (dict(shape_prior="mean"), "shape_prior"))
  def test_config_rejects(self, overrides, message):
    with self.assertRaisesRegex(ValueError, message):
      config(**overrides)

  def test_rejects_wrong_keypoint_shape(self):
    pred = prediction(self.rng)
    fitter = fit_lib.Fitter(config(), self.assets)
    with self.assertRaisesRegex(ValueError, r"keypoints_px.*COCO_17"):
      fitter(pred, np.zeros((B, 21, 2)), np.ones((B, 21)))
    with self.assertRaisesRegex(ValueError, "silhouette must be square"):
      fitter(pred, np.zeros((B, 17, 2)), np.ones((B, 17)),
             np.zeros((B, 32, 16)))


if __name__ == "__main__":
  testing.main()
