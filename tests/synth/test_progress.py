"""Tests for synth/progress.py: rate and ETA without the first step, the
provenance record, and a binary's start (argv, config errors)."""

import hashlib
import json
import os

from absl import app

from synth import progress as progress_lib
from tests import testing


class _Clock:

  def __init__(self):
    self.now = 100.0

  def __call__(self):
    return self.now


class ProgressTest(testing.TestCase):

  def test_rate_and_eta_leave_out_the_first_step(self):
    clock = _Clock()
    progress = progress_lib.Progress(1000, start=100, unit="samples",
                                     clock=clock)
    clock.now += 30.0   # The first step traces: 100 samples in 30 s.
    progress.update(200)
    self.assertIsNone(progress.rate)
    self.assertIn("200 / 1000 samples, rate after the first step",
                  progress.summary())
    clock.now += 4.0    # Then 50 samples/s.
    progress.update(400)
    self.assertAlmostEqual(progress.rate, 50.0)
    self.assertAlmostEqual(progress.eta_s, 12.0)
    self.assertEqual(progress.summary(), "400 / 1000 samples, 50 samples/s, "
                     "ETA 12s")
    self.assertAlmostEqual(progress.elapsed_s, 34.0)

  @testing.parameters((12.3, "12s"), (230, "3m50s"), (3725, "1h02m"),
                      (-1, "0s"))
  def test_format_seconds(self, seconds, text):
    self.assertEqual(progress_lib.format_seconds(seconds), text)

  def test_rejects_total_below_start(self):
    with self.assertRaisesRegex(ValueError, "total"):
      progress_lib.Progress(5, start=6)

  def test_provenance(self):
    directory = self.create_tempdir().full_path
    path = os.path.join(directory, "arrays.npz")
    with open(path, "wb") as f:
      f.write(b"abc")
    record = progress_lib.provenance(path)
    self.assertEqual(record["data"]["fingerprint"],
                     "sha256:" + hashlib.sha256(b"abc").hexdigest())
    self.assertIn("tensorflow", record["versions"])
    self.assertIsNotNone(record["versions"]["numpy"])
    self.assertIn("commit", record["code"])
    json.dumps(record)  # JSON-compatible.
    # A dataset directory: its manifest's shard checksums.
    shards = [{"file": "a", "count": 1, "bytes": 3, "sha256": "00"}]
    with open(os.path.join(directory, "manifest.json"), "w") as f:
      json.dump({"shards": shards}, f)
    expected = hashlib.sha256(
        json.dumps(shards, sort_keys=True).encode()).hexdigest()
    self.assertEqual(progress_lib.data_fingerprint(directory),
                     "sha256:" + expected)
    self.assertIsNone(progress_lib.provenance("generate")["data"]
                      ["fingerprint"])
    out = os.path.join(directory, "run", "provenance.json")
    written = progress_lib.write_provenance(out, path)
    with open(out) as f:
      self.assertEqual(json.load(f), written)
    self.assertEqual(os.listdir(os.path.dirname(out)), ["provenance.json"])

  def test_write_run_provenance_goes_into_the_model_dir(self):
    model_dir = os.path.join(self.create_tempdir().full_path, "new", "run")
    written = progress_lib.write_run_provenance(model_dir, "generate")
    with open(os.path.join(model_dir, "provenance.json")) as f:
      self.assertEqual(json.load(f), written)
    self.assertEqual(written["data"]["source"], "generate")
    self.assertEqual(os.listdir(model_dir), ["provenance.json"])


class ConfigFromArgvTest(testing.TestCase):

  def test_returns_the_config(self):
    self.assertEqual(progress_lib.config_from_argv(["prog"], lambda: 7), 7)

  def test_stray_arguments_are_a_usage_error(self):
    calls = []
    with self.assertRaisesRegex(app.UsageError,
                                r"unexpected arguments: \['extra'\]"):
      progress_lib.config_from_argv(["prog", "extra"],
                                    lambda: calls.append(1))
    self.assertEqual(calls, [])   # The flags are not read.

  def test_a_value_error_becomes_a_usage_error(self):
    def bad_config():
      raise ValueError("batch_size must be positive, got 0.")
    with self.assertRaisesRegex(app.UsageError,
                                "batch_size must be positive, got 0") as e:
      progress_lib.config_from_argv(["prog"], bad_config)
    self.assertIsInstance(e.exception.__cause__, ValueError)

  def test_other_errors_pass_through(self):
    def broken():
      raise KeyError("x")
    with self.assertRaises(KeyError):
      progress_lib.config_from_argv(["prog"], broken)


if __name__ == "__main__":
  testing.main()
