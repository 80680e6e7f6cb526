"""TrainConfig: validation and the JSON round trip."""

import dataclasses
import os

from priors import config as config_lib
from priors import data
from priors import pose_prior
from synth import corruption
from tests import testing


class ConfigTest(testing.TestCase):

  def test_json_round_trip(self):
    cfg = config_lib.TrainConfig(
        prior="pose", model_dir="/tmp/x",
        data=data.DataConfig(noise=corruption.CorruptionConfig(sigma=0.1)),
        pose_model=pose_prior.PosePriorConfig(rotation_head="axis_angle"),
        loss=config_lib.LossConfig(parameter="axis_angle"))
    path = os.path.join(self.create_tempdir().full_path, "config.json")
    config_lib.write_json(cfg, path)
    self.assertEqual(config_lib.load_json(path), cfg)

  @testing.named_parameters(
      ("prior", dict(prior="both")),
      ("model_dir", dict(model_dir="")),
      ("strategy", dict(strategy="tpu")),
      ("steps", dict(num_steps=0)),
      ("lr", dict(learning_rate=0.0)))
  def test_rejects(self, override):
    kwargs = dict(prior="pose", model_dir="/tmp/x")
    kwargs.update(override)
    with self.assertRaises(ValueError):
      config_lib.TrainConfig(**kwargs)

  def test_keypoint_count_must_match_the_keypoint_set(self):
    with self.assertRaisesRegex(ValueError, "COCO_21 has 21"):
      config_lib.TrainConfig(
          prior="pose", model_dir="/tmp/x",
          data=data.DataConfig(keypoint_set="COCO_21"))
    cfg = config_lib.TrainConfig(
        prior="pose", model_dir="/tmp/x",
        data=data.DataConfig(keypoint_set="COCO_21"),
        pose_model=pose_prior.PosePriorConfig(num_keypoints=21))
    self.assertEqual(cfg.pose_model.num_keypoints, 21)
    # The ShapePrior reads silhouettes only.
    config_lib.TrainConfig(prior="shape", model_dir="/tmp/x",
                           data=data.DataConfig(keypoint_set="COCO_21"))

  def test_loss_config_rejects(self):
    with self.assertRaisesRegex(ValueError, "parameter"):
      config_lib.LossConfig(parameter="quaternion")
    with self.assertRaisesRegex(ValueError, "vertex_start"):
      config_lib.LossConfig(vertex_start=1.5)
    with self.assertRaisesRegex(ValueError, "vertex_weight"):
      config_lib.LossConfig(vertex_weight=-1.0)

  def test_uses_render(self):
    self.assertFalse(config_lib.LossConfig().uses_render)      # start 1: never
    self.assertTrue(config_lib.LossConfig(render_start=0.9).uses_render)
    # A property, not a field: the JSON round trip does not carry it.
    self.assertNotIn("uses_render", dataclasses.asdict(config_lib.LossConfig()))


if __name__ == "__main__":
  testing.main()
