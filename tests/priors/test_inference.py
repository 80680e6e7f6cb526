"""Tests for priors/inference.py's API (no silhouette, image pixels with a
person box) and per-sample metrics (priors/evaluation.py)."""

import numpy as np
import tensorflow as tf

from body import rotation
from body import toy
from priors import data
from priors import evaluation
from priors import inference
from priors import pose_prior
from priors import shape_prior
from tests import testing


class InferenceApiTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.assets = toy.make_assets()
    cls.arrays = data.generate_arrays(cls.assets, 4, seed=5, chunk=4)
    cls.priors = inference.Priors(
        pose_prior.PosePrior(pose_prior.PosePriorConfig(hidden_units=16)),
        shape_prior.ShapePrior(shape_prior.ShapePriorConfig(
            conv_channels=(4, 4, 4, 4, 4), hidden_units=8)), cls.assets)

  def test_without_silhouette_the_shape_is_the_mean(self):
    kp = self.arrays["keypoints"] * 128 + 127.5
    out = self.priors(kp, np.ones((4, 17), np.float32))
    self.assertAllEqual(out.betas.numpy(), np.zeros((4, 10)))
    self.assertEqual(out.vertices.shape, (4, self.assets.num_vertices, 3))
    with_mask = self.priors(kp, np.ones((4, 17), np.float32),
                            self.arrays["silhouette"].astype(np.float32))
    self.assertAllClose(out.theta, with_mask.theta)

  def test_image_pixels_with_a_box_equal_the_crop(self):
    kp_crop = self.arrays["keypoints"] * 128 + 127.5
    conf = np.ones((4, 17), np.float32)
    # The crop sits at (300, 100) in a larger image, 2.5 image pixels per
    # crop pixel: a box whose side is BOX_FILL of the crop's.
    side, origin = 640.0, np.array([300.0, 100.0])
    kp_img = kp_crop * (side / 256) + origin
    box_side = side * inference.BOX_FILL
    c = origin + side / 2
    box = np.tile(np.concatenate([c - box_side / 2, c + box_side / 2]),
                  (4, 1))
    box[:, 0] += 40.0          # a narrower box (same centre): its larger
    box[:, 2] -= 40.0          # side decides
    self.assertAllClose(self.priors(kp_img, conf, box=box).theta,
                        self.priors(kp_crop, conf).theta, atol=1e-5)
    o, s = inference.crop_from_box(box)
    self.assertAllClose(s, np.full(4, side))
    self.assertAllClose(o[0] + s[0] / 2, c)
    with self.assertRaisesRegex(ValueError, "box must have shape"):
      inference.crop_from_box(np.zeros((4, 3)))

  def test_per_sample_metrics(self):
    a = self.arrays
    rot = rotation.axis_angle_to_matrix(
        tf.reshape(a["theta"], [-1, 24, 3])).numpy()
    rot[0, 18] = rotation.axis_angle_to_matrix_np(np.array([0.0, 1.5, 0.0]))
    pred = evaluation.Predictions(rotmats=rot, camera=a["camera"],
                                  betas=a["betas"])
    per = evaluation.compute_metrics(self.assets, a, pred, per_sample=True)
    self.assertEqual(per["PA-MPJPE"].shape, (4,))
    self.assertGreater(per["PA-MPJPE"][0], 1.0)      # the bent elbow
    self.assertAllClose(per["PA-MPJPE"][1:], np.zeros(3), atol=1e-3)
    means = evaluation.compute_metrics(self.assets, a, pred)
    self.assertAllClose(means["PA-MPJPE"], per["PA-MPJPE"].mean(), rtol=1e-6)
    self.assertTrue(np.all(np.isnan(per["input PCKh@0.5"])))


if __name__ == "__main__":
  testing.main()
