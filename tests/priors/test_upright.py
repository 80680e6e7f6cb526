"""Tests of priors.upright: which inputs count as upside down, the exact
way back from a rolled prediction, and `inference.Priors` with the test."""

import math

import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from body import lbs
from body import rotation
from body import toy
from priors import data
from priors import evaluation
from priors import inference
from priors import pose_prior
from priors import roll
from priors import shape_prior
from priors import upright
from synth import corruption
from tests import testing

COCO_21 = keypoints_lib.get("COCO_21")
INDICES = upright.upright_indices(COCO_21.names)


def _figure(shoulders, hips, ankles):
  """COCO_21 keypoints `[1, 21, 2]` with both shoulders, hips and ankles at
  the given points (y down) and everything else at the origin."""
  kp = np.zeros((1, 21, 2), np.float32)
  for name, point in (("shoulder", shoulders), ("hip", hips),
                      ("ankle", ankles)):
    for side in ("left", "right"):
      kp[0, COCO_21.names.index(f"{side}_{name}")] = point
  return kp


class UprightTest(testing.TestCase):

  def test_indices(self):
    self.assertEqual(len(INDICES), 6)
    self.assertEqual(COCO_21.names[INDICES[4]], "left_ankle")
    self.assertIsNone(upright.upright_indices(["left_shoulder", "nose"]))

  def test_which_inputs_are_upside_down(self):
    conf = np.ones((1, 21), np.float32)
    cases = {
        # name: (shoulders, hips, ankles), upside down?
        "standing": (((0, -0.5), (0, 0), (0, 0.7)), False),
        "handstand": (((0, 0.5), (0, 0), (0, -0.7)), True),
        "tilted handstand": (((0.4, 0.4), (0, 0), (-0.5, -0.5)), True),
        "forward bend": (((0.1, 0.4), (0, 0), (0, 0.7)), False),
        "lying": (((0.5, 0.05), (0, 0), (-0.7, -0.1)), False),
        "cartwheel": (((0.5, 0.0), (0, 0), (-0.7, 0.0)), False),
    }
    for name, (points, expected) in cases.items():
      got = upright.upside_down(_figure(*points), conf, INDICES)
      self.assertEqual(bool(got[0]), expected, name)
    handstand = _figure((0, 0.5), (0, 0), (0, -0.7))
    angle = upright.roll_angles(handstand, conf, INDICES)
    self.assertAllClose(angle, [math.pi])
    self.assertAllClose(upright.roll_angles(handstand, conf, None), [0.0])

  def test_missing_keypoints_never_flip(self):
    handstand = _figure((0, 0.5), (0, 0), (0, -0.7))
    conf = np.ones((1, 21), np.float32)
    no_ankles = conf.copy()
    no_ankles[0, list(INDICES[4:])] = 0.0
    self.assertFalse(bool(upright.upside_down(handstand, no_ankles,
                                              INDICES)[0]))
    nan = handstand.copy()
    nan[0, list(INDICES[4:])] = np.nan
    self.assertFalse(bool(upright.upside_down(nan, conf, INDICES)[0]))
    # One NaN ankle counts as missing: the other one still decides.
    one = handstand.copy()
    one[0, INDICES[4]] = np.nan
    one_conf = conf.copy()
    one_conf[0, INDICES[0]] = np.nan     # and a NaN confidence: a shoulder
    self.assertTrue(bool(upright.upside_down(one, one_conf, INDICES)[0]))
    # Segments of no length have no direction.
    self.assertFalse(bool(upright.upside_down(
        np.zeros((1, 21, 2), np.float32), conf, INDICES)[0]))
    flat_legs = _figure((0, 0.5), (0, 0), (0, 0))
    self.assertFalse(bool(upright.upside_down(flat_legs, conf, INDICES)[0]))
    with self.assertRaisesRegex(ValueError, "threshold"):
      upright.upside_down(handstand, conf, INDICES, threshold_deg=200.0)

  def test_unroll_inverts_the_roll_exactly(self):
    assets = toy.make_assets()
    arrays = {k: tf.constant(v) for k, v in data.generate_arrays(
        assets, 4, seed=2, chunk=4).items()}
    arrays["betas"] = arrays["betas"] + 1.5        # the pelvis term matters
    pelvis = roll.rest_pelvis(assets)
    angle = tf.constant([math.pi, math.pi, 0.0, math.pi])
    rolled = roll.roll_example(arrays, angle, pelvis)
    self.assertAllClose(upright.roll_keypoints(arrays["keypoints"], angle),
                        rolled["keypoints"], atol=1e-6)
    rotmats = rotation.axis_angle_to_matrix(
        tf.reshape(rolled["theta"], [-1, 24, 3]))
    back, theta, camera = upright.unroll(
        rotmats, rolled["camera"], angle,
        roll.pelvis_xy(pelvis, arrays["betas"]))
    true = rotation.axis_angle_to_matrix(
        tf.reshape(arrays["theta"], [-1, 24, 3]))
    self.assertAllClose(back, true, atol=1e-5)
    self.assertAllClose(camera, arrays["camera"], atol=1e-5)
    self.assertAllClose(rotation.axis_angle_to_matrix(
        tf.reshape(theta, [-1, 24, 3])), true, atol=1e-5)
    # Unrolled examples come back bit for bit.
    self.assertAllEqual(back[2], rotmats[2])
    self.assertAllEqual(camera[2], rolled["camera"][2])

  def test_priors_turn_a_handstand_and_back(self):
    assets = toy.make_assets()
    config = pose_prior.PosePriorConfig(num_keypoints=21, hidden_units=16)
    pose_model = pose_prior.PosePrior(config)
    shapes = shape_prior.ShapePrior(shape_prior.ShapePriorConfig(
        conv_channels=(4, 4, 4, 4, 4), hidden_units=8))
    plain = inference.Priors(pose_model, shapes, assets)
    with_test = inference.Priors(pose_model, shapes, assets,
                                 upright_keypoints=INDICES)
    rng = np.random.default_rng(0)
    standing = _figure((0, -0.5), (0, 0), (0, 0.7)) + rng.normal(
        0, 0.05, (1, 21, 2)).astype(np.float32)
    standing[0, :5] = [0.0, -0.8]                 # head up
    handstand = -standing                         # the same turned by π
    kp = np.concatenate([standing, handstand]) * 128 + 127.5
    conf = np.ones((2, 21), np.float32)
    silhouette = rng.uniform(size=(2, 64, 64)).astype(np.float32)
    out = with_test(kp, conf, silhouette)
    ref = plain(kp, conf, silhouette)
    # The standing person is untouched.
    self.assertAllEqual(out.theta[0], ref.theta[0])
    self.assertAllEqual(out.camera[0], ref.camera[0])
    # The handstand gets the standing prediction turned by π: the same
    # local pose, and its mesh projects to the turned image.
    self.assertAllClose(out.theta[1, 3:], ref.theta[0, 3:], atol=1e-5)
    project = lambda o, i: pose_prior.project_weak_perspective(
        o.joints[i:i + 1], o.camera[i:i + 1])
    # (float32: sin π is not 0, and the network amplifies such rounding;
    # 5e-4 of the half crop is 0.06 px.)
    self.assertAllClose(project(out, 1), -project(ref, 0), atol=5e-4)
    self.assertNotAllClose(out.theta[1], ref.theta[1])

  def test_evaluation_predict_runs_the_test(self):
    assets = toy.make_assets()
    arrays = data.generate_arrays(assets, 6, seed=3, chunk=6)
    rolled = {k: np.asarray(v) for k, v in roll.roll_example(
        {k: tf.constant(v) for k, v in arrays.items()},
        tf.fill([6], math.pi), roll.rest_pelvis(assets)).items()}
    model = pose_prior.PosePrior(pose_prior.PosePriorConfig(hidden_units=16))
    conf = (arrays["visibility"] > 0).astype(np.float32)
    indices = upright.upright_indices(keypoints_lib.get("COCO_17").names)
    turned = upright.upside_down(rolled["keypoints"], conf, indices).numpy()
    plain = upright.upside_down(arrays["keypoints"], conf, indices).numpy()
    both = turned & ~plain
    self.assertTrue(both.any())
    clean = corruption.CLEAN
    ref = evaluation.predict(arrays, model, None, clean)
    got = evaluation.predict(rolled, model, None, clean, upright_assets=assets)
    off = evaluation.predict(rolled, model, None, clean)
    # Turned back upright, the rolled inputs get the upright prediction...
    self.assertAllClose(got.rotmats[both][:, 1:], ref.rotmats[both][:, 1:],
                        atol=1e-4)
    self.assertNotAllClose(off.rotmats[both][:, 1:], ref.rotmats[both][:, 1:])

    # ...turned back by π: the mesh (true β, as compute_metrics poses it)
    # projects to the turned image of the upright prediction's.
    def projected(pred):
      body = lbs.forward(assets, arrays["betas"][both], pred.rotmats[both])
      return pose_prior.project_weak_perspective(body.joints,
                                                 pred.camera[both])
    self.assertAllClose(projected(got), -projected(ref), atol=5e-4)

  def test_from_pretrained_runs_the_test_by_default(self):
    # The shipped PosePrior reads COCO_21.
    self.assertEqual(inference.Priors.from_pretrained().upright_keypoints,
                     INDICES)
    self.assertIsNone(inference.Priors.from_pretrained(
        upright=False).upright_keypoints)


if __name__ == "__main__":
  testing.main()
