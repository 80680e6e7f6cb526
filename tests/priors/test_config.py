"""TrainConfig: validation and the JSON round trip."""

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

  def test_loss_config_rejects(self):
    with self.assertRaisesRegex(ValueError, "parameter"):
      config_lib.LossConfig(parameter="quaternion")
    with self.assertRaisesRegex(ValueError, "vertex_start"):
      config_lib.LossConfig(vertex_start=1.5)
    with self.assertRaisesRegex(ValueError, "vertex_weight"):
      config_lib.LossConfig(vertex_weight=-1.0)


if __name__ == "__main__":
  testing.main()
