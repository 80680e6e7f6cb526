"""Tests of the human2d.evaluate binary on a two-image LSP folder in LSP's
own format with one UPi-S1h mask (tiny untrained Human2D)."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np

from human2d import config
from human2d import hourglass
from tests import testing
from tests.human2d import test_lsp
from tests.human2d import test_up3d

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class EvaluateTest(testing.TestCase):

  def run_binary(self, *args):
    result = subprocess.run(
        [sys.executable, "-m", "human2d.evaluate", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    return result

  def test_lsp_with_upi_s1h_masks(self):
    d = self.create_tempdir().full_path
    cfg = config.preset("tiny")
    weights = os.path.join(d, "tiny.weights.h5")
    hourglass.build(cfg).save_weights(weights)
    with open(os.path.join(d, "tiny.config.json"), "w") as f:
      json.dump(dataclasses.asdict(cfg), f)
    lsp_root = os.path.join(d, "lsp")
    test_lsp.write_fixture(lsp_root, "lsp",
                           self.rng.uniform(5, 35, size=[2, 14, 2]),
                           np.zeros([2, 14]))
    mask = np.zeros([60, 40], bool)
    mask[10:50, 12:30] = True
    s1h = os.path.join(d, "upi-s1h")
    test_up3d.write_s1h(s1h, "lsp", {2: mask})   # None for im0001.
    common = [f"--weights={weights}", f"--lsp={lsp_root}",
              "--lsp_split=all", "--batch_size=2", "--flip_test=false"]

    result = self.run_binary(*common, f"--lsp_masks={s1h}")
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    row = json.loads(result.stdout.strip().splitlines()[-1])["lsp all"]
    self.assertEqual((row["images"], row["with silhouette"]), (2, 1))
    for column in ("IoU", "fg acc", "fg F1", "body F1"):
      self.assertBetween(row[column], 0.0, 100.0)
    self.assertIn("lsp all: 2 images, 1 with a person mask", result.stdout)
    header = result.stdout.splitlines()[0]
    self.assertIn("| IoU | fg acc | fg F1 | body F1 |", header)

    # Without masks: keypoints only, the silhouette columns empty.
    result = self.run_binary(*common)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    row = json.loads(result.stdout.strip().splitlines()[-1])["lsp all"]
    self.assertEqual(row["with silhouette"], 0)
    self.assertNotIn("fg acc", row)
    self.assertIn("PCK12@0.2", row)

    result = self.run_binary(f"--weights={weights}", f"--lsp_masks={s1h}",
                             "--rendered=1")
    self.assertNotEqual(result.returncode, 0)
    self.assertIn("--lsp_masks needs --lsp", result.stderr)


if __name__ == "__main__":
  testing.main()
