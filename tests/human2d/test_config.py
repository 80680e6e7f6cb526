"""Tests for human2d/config.py."""

import dataclasses
import os

from human2d import config
from tests import testing


class ConfigTest(testing.TestCase):

  def test_presets(self):
    paper = config.PRESETS["paper"]
    self.assertEqual((paper.num_stacks, paper.channels, paper.input_size),
                     (2, 256, 256))
    self.assertEqual(paper.heatmap_size, 64)
    self.assertEqual(paper.num_keypoints, 23)
    self.assertEqual(config.preset("small", channels=32).channels, 32)
    with self.assertRaisesRegex(ValueError, "unknown preset 'huge'"):
      config.preset("huge")

  @testing.parameters(
      (dict(num_stacks=0), "num_stacks"), (dict(channels=7), "even"),
      (dict(keypoint_set="MPII_16"), "unknown keypoint set"),
      (dict(input_size=100), "multiple of 64"))
  def test_bad_model_configs(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      config.ModelConfig(**kwargs)

  @testing.parameters(
      (dict(learning_rate=float("nan")), "learning_rate"),
      (dict(batch_size=0), "batch_size"), (dict(sources=()), "source"),
      (dict(optimizer="sgd"), "optimizer"), (dict(model_dir=""), "model_dir"),
      (dict(precision="float16"), "precision"))
  def test_bad_train_configs(self, kwargs, message):
    base = dict(model_dir="/tmp/x",
                sources=(config.SourceConfig("records", "a.tfrecord"),))
    base.update(kwargs)
    with self.assertRaisesRegex(ValueError, message):
      config.TrainConfig(**base)

  def test_bad_sources(self):
    with self.assertRaisesRegex(ValueError, "kind"):
      config.SourceConfig("photos", "x")
    with self.assertRaisesRegex(ValueError, "needs a path"):
      config.SourceConfig("records")
    with self.assertRaisesRegex(ValueError, "weight"):
      config.SourceConfig("rendered", weight=0)

  def test_data_sources(self):
    self.assertEqual(
        config.data_sources(["a", "b"], 0.5, ["/bg1", "/bg2"], ["2", "3"]),
        (config.SourceConfig("records", "a", 2.0),
         config.SourceConfig("records", "b", 3.0),
         config.SourceConfig("rendered", "/bg1,/bg2", 0.5)))
    self.assertEqual(config.data_sources(["a"]),
                     (config.SourceConfig("records", "a", 1.0),))
    self.assertEqual(config.data_sources(rendered_weight=1.0),
                     (config.SourceConfig("rendered", "", 1.0),))
    with self.assertRaisesRegex(ValueError, "give --records"):
      config.data_sources([], 0.0, ["/bg"])
    with self.assertRaisesRegex(ValueError,
                                "--record_weights has 1 values for 2"):
      config.data_sources(["a", "b"], record_weights=["1"])

  def test_json_round_trip(self):
    cfg = config.TrainConfig(
        model_dir="/tmp/x", model=config.preset("tiny"),
        sources=(config.SourceConfig("records", "a", 0.7),
                 config.SourceConfig("rendered", "", 0.3)),
        augment=config.AugmentConfig(rotation_deg=10.0))
    path = os.path.join(self.create_tempdir().full_path, "config.json")
    with open(path, "w") as f:
      f.write(cfg.to_json())
    self.assertEqual(config.load_json(path), cfg)
    self.assertEqual(config.model_from_json(path), cfg.model)
    with open(path, "w") as f:
      f.write("{not json")
    with self.assertRaisesRegex(ValueError, path):
      config.load_json(path)
    self.assertTrue(dataclasses.is_dataclass(cfg))


if __name__ == "__main__":
  testing.main()
