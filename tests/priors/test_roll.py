"""Tests of priors.roll: a rolled example is the same body seen by a rolled
camera (the body model agrees), and the silhouette turns with the points."""

import math

import numpy as np
import tensorflow as tf

from body import lbs
from body import toy
from priors import data
from priors import pose_prior
from priors import roll
from tests import testing


def _projected(assets, arrays):
  """The weak-perspective image of the posed joints, `[B, J, 2]`."""
  body = lbs.forward_axis_angle(assets, arrays["betas"], arrays["theta"])
  return pose_prior.project_weak_perspective(body.joints, arrays["camera"])


class RollTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.assets = toy.make_assets()
    cls.arrays = {k: tf.constant(v) for k, v in data.generate_arrays(
        cls.assets, 6, seed=4, chunk=6).items()}
    # Shapes far from the mean, so the pelvis term matters.
    cls.arrays["betas"] = cls.arrays["betas"] + 1.5
    cls.pelvis = roll.rest_pelvis(cls.assets)

  def test_rest_pelvis_matches_the_body_model(self):
    betas = np.random.default_rng(0).normal(
        size=(3, self.assets.num_betas)).astype(np.float32)
    body = lbs.forward_axis_angle(self.assets, betas, tf.zeros([3, 72]))
    expected = self.pelvis[0] + betas @ self.pelvis[1:]
    self.assertAllClose(body.joints[:, 0], expected, atol=1e-5)

  def test_the_body_model_sees_the_rolled_view(self):
    angles = tf.constant([0.3, -1.2, 2.0, math.pi - 1e-3, -2.9, 1.0])
    rolled = roll.roll_example(self.arrays, angles, self.pelvis)
    before = _projected(self.assets, self.arrays)
    after = _projected(self.assets, rolled)
    c, s = np.cos(angles.numpy()), np.sin(angles.numpy())
    r2 = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    self.assertAllClose(after, np.einsum("bij,bkj->bki", r2, before),
                        atol=2e-4)
    self.assertAllClose(rolled["keypoints"], np.einsum(
        "bij,bkj->bki", r2, self.arrays["keypoints"]), atol=1e-5)
    # Local rotations, shape and scale are untouched.
    self.assertAllEqual(rolled["theta"][:, 3:], self.arrays["theta"][:, 3:])
    self.assertAllEqual(rolled["betas"], self.arrays["betas"])
    self.assertAllEqual(rolled["camera"][:, 0], self.arrays["camera"][:, 0])

  def test_zero_roll_changes_nothing_and_a_full_turn_comes_back(self):
    for angle in (0.0, 2.0 * math.pi):
      rolled = roll.roll_example(self.arrays, tf.fill([6], angle),
                                 self.pelvis)
      for key in ("keypoints", "camera", "silhouette"):
        self.assertAllClose(rolled[key], self.arrays[key], atol=1e-4,
                            msg=f"{angle}: {key}")
      self.assertAllClose(
          _projected(self.assets, rolled),
          _projected(self.assets, self.arrays), atol=1e-4)

  def test_points_leaving_the_frame_become_out_of_frame(self):
    arrays = dict(self.arrays)
    keypoints = np.zeros(arrays["keypoints"].shape, np.float32)
    keypoints[:, 0] = (0.95, 0.95)  # Turned by 45°: (0, 1.34), outside.
    keypoints[:, 1] = (0.1, 0.0)    # Stays inside.
    arrays["keypoints"] = tf.constant(keypoints)
    vis = np.full(keypoints.shape[:2], 2, np.uint8)
    vis[:, 1] = 0                   # Was out of frame (e.g. cropped).
    arrays["visibility"] = tf.constant(vis)
    rolled = roll.roll_example(arrays, tf.fill([6], math.pi / 4), self.pelvis)
    self.assertAllEqual(rolled["visibility"][:, 0], np.zeros(6))
    self.assertAllEqual(rolled["visibility"][:, 1], np.full(6, 2))

  def test_the_silhouette_turns_with_the_keypoints(self):
    size = self.arrays["silhouette"].shape[1]
    sil = np.zeros((1, size, size), np.uint8)
    row, col = 10, 40
    sil[0, row, col] = 1
    angle = 0.7
    rolled = roll.roll_example(
        {**{k: v[:1] for k, v in self.arrays.items()},
         "silhouette": tf.constant(sil)}, tf.constant([angle]), self.pelvis)
    # The pixel's centre in normalised crop coordinates, turned as a point.
    half = size / 2.0
    point = np.array([(col + 0.5 - half) / half, (row + 0.5 - half) / half])
    c, s = math.cos(angle), math.sin(angle)
    turned = np.array([[c, -s], [s, c]]) @ point
    where = np.argwhere(rolled["silhouette"][0].numpy() > 0)
    self.assertLen(where, 1)
    self.assertAllClose(where[0], [turned[1] * half + half - 0.5,
                                   turned[0] * half + half - 0.5], atol=0.71)

  def test_to_batch_rolls_the_asked_fraction(self):
    noise = data.corruption.CorruptionConfig()
    seed = tf.constant([1, 2], tf.int64)
    plain = data.to_batch(self.arrays, noise, 1.0, seed, "COCO_17")
    none = data.to_batch(self.arrays, noise, 1.0, seed, "COCO_17", roll=0.0,
                         pelvis=self.pelvis)
    every = data.to_batch(self.arrays, noise, 1.0, seed, "COCO_17", roll=1.0,
                          pelvis=self.pelvis)
    self.assertAllEqual(none["camera"], plain["camera"])
    moved = np.abs(every["camera"] - plain["camera"]).max(axis=1) > 1e-6
    self.assertTrue(moved.all())
    with self.assertRaisesRegex(ValueError, "rest pelvis"):
      data.to_batch(self.arrays, noise, 1.0, seed, "COCO_17", roll=0.5)
    with self.assertRaisesRegex(ValueError, "roll"):
      data.DataConfig(roll=1.5)


if __name__ == "__main__":
  testing.main()
