"""Tests for pipeline/model.py with an untrained tiny Human2D and the shipped
priors: shapes, the crop round trip, what reaches the priors, the camera."""

from unittest import mock

import numpy as np
import tensorflow as tf

from human2d import data as h2d_data
from pipeline import crop as crop_lib
from pipeline import model as model_lib
from priors import pose_prior
from priors import pretrained
from tests import testing
from tests.pipeline import networks


class ModelTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    tf.keras.utils.set_random_seed(testing.SEED)
    cls.model = networks.tiny_model()
    cls.priors = cls.model.priors
    rng = np.random.default_rng(0)
    cls.image = rng.integers(0, 255, (90, 140, 3), dtype=np.uint8)
    cls.boxes = [[10, 5, 60, 85], [70, 20, 130, 80]]
    cls.out = cls.model.predict_image(cls.image, cls.boxes)

  def test_shapes(self):
    out, v = self.out, self.priors.assets.num_vertices
    expected = {"theta": (2, 72), "rotmats": (2, 24, 3, 3), "betas": (2, 10),
                "camera": (2, 3), "translation": (2, 3), "focal": (2,),
                "vertices": (2, v, 3), "joints": (2, 24, 3),
                "keypoints_crop": (2, 23, 2), "keypoints_image": (2, 23, 2),
                "confidence": (2, 23), "silhouette": (2, 16, 16),
                "heatmaps": (2, 16, 16, 23), "crop_transform": (2, 2, 3)}
    for name, shape in expected.items():
      self.assertEqual(getattr(out, name).shape, shape, name)
    self.assertEqual(out.keypoint_set, "COCO_21_LSP")
    self.assertAllEqual(out.focal, [140.0, 140.0])  # The larger side.
    self.assertEqual(out.person(1).theta.shape, (1, 72))
    self.assertAllClose(out.person(1).theta, out.theta[1:])

  def test_image_keypoints_map_back_into_the_crops(self):
    for i, box in enumerate(self.boxes):
      c = crop_lib.crop_from_box(self.image, box, self.model.crop_size)
      self.assertAllClose(self.out.crop_transform[i], c.transform)
      back = crop_lib.to_crop(self.out.keypoints_image[i], c.transform)
      self.assertAllClose(back, self.out.keypoints_crop[i], atol=1e-3)

  def test_priors_get_the_coco21_points_in_their_crop_pixels(self):
    out = self.out
    # Tiny crops are 64 px, the priors' 256 px: pixel centres scale by 4.
    xy = (out.keypoints_crop[:, :21] + 0.5) * 4.0 - 0.5
    sil = tf.image.resize(out.silhouette[..., None], [64, 64])[..., 0]
    direct = self.priors(xy, np.clip(out.confidence[:, :21], 0, 1), sil)
    self.assertAllClose(direct.theta, out.theta, atol=1e-4)
    self.assertAllClose(direct.betas, out.betas, atol=1e-4)

  def test_missing_prior_keypoints_are_named(self):
    with self.assertRaisesRegex(ValueError, "left_foot"):
      model_lib.BodyFromImage(networks.tiny_human2d("LSP_14"), self.priors)

  def test_translation_reproduces_the_weak_perspective_on_the_body_plane(self):
    rng = np.random.default_rng(1)
    b = 4
    camera = np.stack([rng.uniform(0.5, 2.0, b), rng.normal(0, 0.2, b),
                       rng.normal(0, 0.2, b)], axis=1)
    centre = rng.uniform(100, 400, (b, 2))
    side = rng.uniform(50, 300, b)
    image_size = np.array([[480, 640]] * b)
    focal = rng.uniform(300, 2000, b)
    t = model_lib.perspective_translation(camera, centre, side, image_size,
                                          focal)
    points = np.concatenate([rng.normal(0, 0.5, (b, 30, 2)),
                             np.zeros((b, 30, 1))], axis=-1)
    # Through the weak-perspective camera and the crop (independently of
    # model.py: the priors' projection and Human2D's crop transform).
    size = 256
    crop_px = pose_prior.denormalize_keypoints(
        pose_prior.project_weak_perspective(points, camera), size).numpy()
    expected = np.stack([
        crop_lib.to_image(crop_px[i], h2d_data.crop_transform(
            centre[i], side[i], size).numpy()) for i in range(b)])
    got = model_lib.project(points, t, focal, image_size)
    self.assertAllClose(got, expected, rtol=1e-4, atol=1e-3)
    self.assertTrue(np.all(t[:, 2] > 0))

  def test_load_defaults_to_the_pose_prior_matched_to_human2d(self):
    seen = {}

    def from_pretrained(pose_weights=None, shape_weights=None, **kwargs):
      seen["pose"], seen["shape"] = pose_weights, shape_weights
      seen["upright"] = kwargs.get("upright", True)
      return self.priors

    with mock.patch.object(model_lib.h2d_inference.Human2D, "load",
                           return_value=self.model.human2d), \
         mock.patch.object(model_lib.priors_inference.Priors,
                           "from_pretrained", side_effect=from_pretrained):
      model_lib.BodyFromImage.load(flip_test=False)
      self.assertEqual(seen, {"pose": pretrained.POSE_WEIGHTS_HUMAN2D,
                              "shape": None, "upright": True})
      model_lib.BodyFromImage.load(pose_weights=pretrained.POSE_WEIGHTS,
                                   flip_test=False, upright_test=False)
      self.assertEqual(seen["pose"], pretrained.POSE_WEIGHTS)
      self.assertFalse(seen["upright"])


if __name__ == "__main__":
  testing.main()
