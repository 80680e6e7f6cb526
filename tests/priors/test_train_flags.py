"""`python -m priors.train`'s flags → TrainConfig: the defaults are the
library's, and each flag reaches its field."""

import json

from absl.testing import flagsaver

from priors import config as config_lib
from priors import data
from priors import pose_prior
from priors import pose_sources
from priors import shape_prior
from priors import train
from synth import corruption
from tests import testing


class TrainFlagsTest(testing.TestCase):

  def test_defaults_are_the_librarys(self):
    with flagsaver.flagsaver(prior="pose", model_dir="/tmp/m"):
      config = train.config_from_flags()
    self.assertEqual(config.loss, config_lib.LossConfig())
    self.assertEqual(config.pose_model, pose_prior.PosePriorConfig())
    defaults = data.DataConfig()
    for name in ("num_examples", "seed", "keypoint_set", "clean_fraction",
                 "mirror", "noise"):
      self.assertEqual(getattr(config.data, name), getattr(defaults, name),
                       name)
    reference = config_lib.TrainConfig(prior="pose", model_dir="/tmp/m")
    for name in ("batch_size", "num_steps", "learning_rate", "seed",
                 "strategy", "jit_compile", "checkpoint_every"):
      self.assertEqual(getattr(config, name), getattr(reference, name), name)

  def test_flags_reach_the_config(self):
    with flagsaver.flagsaver(
        prior="shape", model_dir="/tmp/m", keypoint_set="COCO_21",
        reprojection_weight=10.0, camera_weight=5.0, joint_weight=30.0,
        vertex_weight=20.0, vertex_stride=8, mirror=0.5, clean_fraction=0.1,
        hidden_units=512, num_units=3, dropout=0.0, num_steps=80000,
        jit_compile=True):
      config = train.config_from_flags()
    self.assertEqual(config.prior, "shape")
    self.assertEqual(
        (config.loss.reprojection_weight, config.loss.camera_weight,
         config.loss.joint_weight, config.loss.vertex_weight,
         config.loss.vertex_stride), (10.0, 5.0, 30.0, 20.0, 8))
    self.assertEqual((config.data.keypoint_set, config.data.mirror,
                      config.data.clean_fraction), ("COCO_21", 0.5, 0.1))
    # The PosePrior's input size follows the keypoint set.
    self.assertEqual(config.pose_model.num_keypoints, 21)
    self.assertEqual(config.pose_model.hidden_units, 512)
    self.assertEqual(config.pose_model.num_units, 3)
    self.assertIsInstance(config.shape_model, shape_prior.ShapePriorConfig)
    self.assertEqual((config.num_steps, config.jit_compile), (80000, True))

  def test_part_mix_reaches_the_sampler(self):
    with flagsaver.flagsaver(prior="pose", model_dir="/tmp/m",
                             pose_mode="wide", part_mix=0.3):
      config = train.config_from_flags()
    self.assertEqual(config.data.poses.part_mix, 0.3)
    self.assertEqual(pose_sources.sample_config(
        config.data.poses, "COCO_21").part_mix, 0.3)
    with flagsaver.flagsaver(prior="pose", model_dir="/tmp/m"):
      self.assertEqual(train.config_from_flags().data.poses.part_mix, 0.0)

  def test_noise_preset_and_sigma(self):
    with flagsaver.flagsaver(prior="pose", model_dir="/tmp/m", noise="human2d"):
      config = train.config_from_flags()
    self.assertEqual(config.data.noise, corruption.HUMAN2D_LIKE)
    with flagsaver.flagsaver(prior="pose", model_dir="/tmp/m", noise="human2d",
                             noise_sigma=0.03):
      config = train.config_from_flags()
    self.assertEqual(config.data.noise.sigma, 0.03)
    self.assertEqual(config.data.noise.mirror_rate,
                     corruption.HUMAN2D_LIKE.mirror_rate)
    # The config round-trips through its JSON (the resume check compares it).
    self.assertEqual(config_lib.from_dict(
        json.loads(json.dumps(config_lib.to_dict(config)))), config)


if __name__ == "__main__":
  testing.main()
