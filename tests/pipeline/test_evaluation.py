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

  def test_oracle_rows_feed_the_priors_the_truth(self):
    model = networks.tiny_model()
    held = evaluation.make_held_out(
        evaluation.EvaluateConfig(num_images=2), model.keypoint_set.name,
        model.crop_size, model.priors.assets)
    pred, _ = evaluation.run_model(model, held, batch_size=2)
    # The model's own path after Human2D is priors_from_2d.
    again = model.priors_from_2d(pred.keypoints_crop, pred.confidence,
                                 pred.silhouette)
    self.assertAllClose(again.vertices, pred.vertices, atol=1e-5)
    rows = evaluation.oracle_rows(model, pred, held, batch_size=1)
    self.assertEqual(tuple(rows), evaluation.ORACLE_ROWS)
    feed_forward = evaluation.mesh_row(model, pred, held)
    for row in rows.values():
      self.assertEqual(set(row), set(evaluation.MESH_COLUMNS))
      self.assertTrue(all(np.isfinite(v) for v in row.values()), row)
    # An untrained Human2D's keypoints are noise; the shipped PosePrior on
    # the true ones puts the mesh's keypoints near them.
    true_2d, true_kp, true_sil = (rows[n] for n in evaluation.ORACLE_ROWS)
    self.assertLess(true_2d["2D px"], 0.5 * feed_forward["2D px"])
    self.assertLess(true_kp["2D px"], 0.5 * feed_forward["2D px"])
    self.assertGreater(true_sil["2D px"], true_2d["2D px"])

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
    # feed-forward, + fit, three oracle rows, fine-tuned, + fit.
    self.assertLen(doc["mesh"], 7)
    self.assertIn(evaluation.ORACLE_ROWS[0], doc["mesh"])
    for row in doc["mesh"].values():
      self.assertTrue(all(np.isfinite(v) for v in row.values()), row)
      self.assertGreater(row["PVE"], 0.0)
    self.assertIn("| feed-forward + fit (2 steps) |", result.stdout)


if __name__ == "__main__":
  testing.main()
