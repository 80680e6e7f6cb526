"""Tests of pipeline.evaluation and the pipeline.evaluate binary on a couple
of rendered images (tiny untrained Human2D, shipped priors)."""

import json
import os
import subprocess
import sys

import numpy as np

from pipeline import evaluation
from tests import testing
from tests.pipeline import networks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class EvaluationTest(testing.TestCase):

  def test_config_refuses_bad_values(self):
    with self.assertRaisesRegex(ValueError, "num_images"):
      evaluation.EvaluateConfig(num_images=0)
    with self.assertRaisesRegex(ValueError, "fit_steps"):
      evaluation.EvaluateConfig(fit_steps=-1)
    with self.assertRaisesRegex(ValueError, "tuple"):
      evaluation.EvaluateConfig(background_dirs="/a")

  def test_held_out_truth_and_a_perfect_prediction(self):
    model = networks.tiny_model()
    held = evaluation.make_held_out(
        evaluation.EvaluateConfig(num_images=2), model.keypoint_set.name,
        model.crop_size, model.priors.assets)
    self.assertLen(held.crops, 2)
    self.assertEqual(held.keypoints.shape, (2, model.keypoint_set.size, 2))
    self.assertEqual(held.silhouette.shape, (2, 16, 16))
    # The crop frames the labelled keypoints with a margin, the person
    # fills part of it.
    inside = held.keypoints[held.labelled > 0]
    self.assertTrue(np.all((inside >= 0) & (inside <= model.crop_size - 1)))
    self.assertBetween(float(held.silhouette.mean()), 0.05, 0.9)
    pred, seconds = evaluation.run_model(model, held, batch_size=2)
    self.assertGreater(seconds, 0.0)
    # The truth as a prediction scores 100 % PCK and IoU on Human2D's table.
    perfect = pred._replace(keypoints_crop=held.keypoints,
                            silhouette=held.silhouette)
    row = evaluation.human2d_row(perfect, held)
    self.assertAllClose([row["PCK@0.2"], row["mean px"], row["IoU"]],
                        [100.0, 0.0, 100.0])
    # Every stage's row, and the tables the binary prints.
    h2d_row, mesh_rows = evaluation.evaluate_model(
        model, held, "ff", evaluation.EvaluateConfig(batch_size=2,
                                                     fit_steps=2))
    self.assertEqual(list(mesh_rows), ["ff", "ff + fit (2 steps)"])
    for mesh in mesh_rows.values():
      self.assertEqual(set(mesh), set(evaluation.MESH_COLUMNS))
      self.assertTrue(all(np.isfinite(v) for v in mesh.values()), mesh)
      self.assertGreater(mesh["PVE"], mesh["PA-MPJPE"] * 0.5)
    table = evaluation.format_table(mesh_rows, evaluation.MESH_COLUMNS)
    self.assertIn(f"{mesh_rows['ff']['s/image']:.3f} |", table)
    self.assertLen(table.splitlines(), 4)
    self.assertIn("| ff |", evaluation.format_table(
        {"ff": h2d_row}, evaluation.HUMAN2D_COLUMNS))

  def test_binary_runs_on_two_images(self):
    d = self.create_tempdir().full_path
    h2d, _, _ = networks.write_tiny_weights(d, body_model="")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.evaluate", "--num_images=2",
         "--batch_size=2", "--fit_steps=2", f"--human2d_weights={h2d}",
         f"--finetuned={d}"], capture_output=True, text=True, cwd=ROOT,
        timeout=1200, check=False)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    self.assertEqual(doc["num_images"], 2)
    self.assertEqual(set(doc["human2d"]), {"feed-forward", "fine-tuned"})
    self.assertLen(doc["mesh"], 4)
    for row in doc["mesh"].values():
      self.assertTrue(all(np.isfinite(v) for v in row.values()), row)
      self.assertGreater(row["PVE"], 0.0)
    self.assertIn("| feed-forward + fit (2 steps) |", result.stdout)


if __name__ == "__main__":
  testing.main()
