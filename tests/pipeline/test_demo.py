"""Tests for pipeline/demo.py: the demo runs end to end on the toy model."""

import json
import os

import cv2
import numpy as np

from body import model_file
from body import toy
from pipeline import demo
from pipeline import poses
from tests import testing


class DemoTest(testing.TestCase):

  def test_runs_on_toy_model_and_writes_pictures(self):
    tmp = self.create_tempdir().full_path
    path = os.path.join(tmp, "toy.pkl")
    model_file.save_pkl(toy.make_assets(), path)
    config = demo.DemoConfig(output_dir=os.path.join(tmp, "out"),
                             body_model=path, image_size=64, focal=150.0,
                             pose_names=("t_pose", "sitting"),
                             num_samples=2)
    report = demo.run(config)
    self.assertEqual(report["body_model"]["vertices"], 224)
    self.assertIn("synth", report["stages"])
    synth_sheet = cv2.imread(os.path.join(tmp, "out", "synth_samples.png"))
    self.assertEqual(synth_sheet.shape, (192, 384, 3))
    self.assertIn("synth_images", report["stages"])
    images_sheet = cv2.imread(os.path.join(tmp, "out", "synth_images.jpg"))
    self.assertEqual(images_sheet.shape, (192, 384, 3))
    self.assertTrue(report["soft_silhouette_grad_finite"])
    sheet = cv2.imread(report["files"][0])
    self.assertEqual(sheet.shape, (128, 128, 3))  # 2 views × 2 poses.
    # The body is drawn: some pixels differ from the background.
    self.assertGreater(np.mean(np.any(sheet != 40, axis=-1)), 0.02)
    with open(os.path.join(tmp, "out", "summary.json")) as f:
      self.assertEqual(json.load(f)["stages"][0], "body")
    self.assertTrue(any("wrote" in line for line in demo.describe(report)))
    leftovers = [f for f in os.listdir(os.path.join(tmp, "out"))
                 if "tmp" in f]
    self.assertEqual(leftovers, [])

  def test_rejects_bad_config(self):
    with self.assertRaisesRegex(ValueError, "unknown poses"):
      demo.DemoConfig(output_dir="x", pose_names=("moonwalk",))
    with self.assertRaisesRegex(ValueError, "image_size"):
      demo.DemoConfig(output_dir="x", image_size=4)
    with self.assertRaisesRegex(ValueError, "num_samples"):
      demo.DemoConfig(output_dir="x", num_samples=0)

  def test_named_poses_are_valid_theta(self):
    for name, theta in poses.POSES.items():
      self.assertEqual(theta.shape, (72,), name)
      self.assertAllEqual(theta[:3], np.zeros(3))
      self.assertLess(np.abs(theta).max(), 2.0, name)


if __name__ == "__main__":
  testing.main()
