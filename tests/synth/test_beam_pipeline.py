"""Tests for synth/beam_pipeline.py (skipped without apache_beam; run with
/work/beam-venv/bin/python -m pytest tests/synth/test_beam_pipeline.py)."""

import argparse
import importlib.util
import os
import subprocess
import sys
import unittest

from synth import generation
from synth import record
from tests import testing

HAVE_BEAM = importlib.util.find_spec("apache_beam") is not None


def _read(directory):
  return {os.path.basename(p): open(p, "rb").read()
          for p in record.shard_paths(directory)}


@unittest.skipUnless(HAVE_BEAM, "apache_beam is not installed "
                     "(requirements-beam.txt)")
class BeamPipelineTest(testing.TestCase):

  def test_same_bytes_as_in_process_and_resume(self):
    from synth import beam_pipeline  # pylint: disable=g-import-not-at-top
    config = generation.GenerationConfig(
        num_samples=14, num_shards=3, seed=3, batch_size=4, body_model="toy")
    local = self.create_tempdir().full_path
    beam = self.create_tempdir().full_path
    generation.generate(config, local)
    # Shard 1 exists already: the pipeline must keep it and write the rest.
    generation.generate(config, beam, shards=[1])
    kept = os.path.join(beam, generation.shard_name(1, 3))
    mtime = os.stat(kept).st_mtime_ns
    with self.assertLogs(level="INFO") as logs:
      manifest = beam_pipeline.run(config, beam, ["--runner=DirectRunner"])
    self.assertEqual(manifest["status"], "complete")
    self.assertGreater(manifest["elapsed_s"], 0)
    text = "\n".join(logs.output)
    self.assertIn("beam metric shards_written: 2", text)   # 0 and 2
    self.assertIn("beam metric samples_written: 9", text)
    self.assertEqual(os.stat(kept).st_mtime_ns, mtime)
    self.assertEqual(_read(beam), _read(local))
    self.assertEqual([s["count"] for s in manifest["shards"]], [5, 5, 4])

  def test_beam_options_pass_and_others_are_refused(self):
    from synth import beam_pipeline  # pylint: disable=g-import-not-at-top
    names = beam_pipeline.beam_option_names()
    for name in ("runner", "project", "direct_num_workers",
                 "direct_running_mode", "extra_package"):
      self.assertIn(name, names)
    args = ["--runner=DirectRunner", "--direct_num_workers=2"]
    self.assertEqual(beam_pipeline.check_pipeline_args(args, ()), args)
    with self.assertRaisesRegex(ValueError, "--runer"):
      beam_pipeline.check_pipeline_args(["--runer=DirectRunner"], ())
    with self.assertRaises(ValueError):
      beam_pipeline.run(generation.GenerationConfig(body_model="toy"),
                        self.create_tempdir().full_path, ["--num_sample=5"])

  def test_binary_refuses_a_mistyped_flag_before_writing(self):
    output = os.path.join(self.create_tempdir().full_path, "out")
    out = subprocess.run(
        [sys.executable, "-m", "synth.beam_main", f"--output={output}",
         "--num_sample=5", "--body_model=toy", "--runner=DirectRunner"],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    self.assertNotEqual(out.returncode, 0)
    self.assertIn("did you mean --num_samples", out.stderr)
    self.assertFalse(os.path.exists(output))


def _parser(*options):
  """A parser of `options` taking one value each, as Beam's do."""
  parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False,
                                   exit_on_error=False)
  for option in options:
    parser.add_argument(f"--{option}")
  return parser


class CheckPipelineArgsTest(testing.TestCase):
  """`check_pipeline_args` with a parser of Beam-like options (runs without
  Beam)."""

  def test_mistyped_flag_is_refused_with_the_closest_name(self):
    from synth import beam_pipeline  # pylint: disable=g-import-not-at-top
    with self.assertRaisesRegex(ValueError,
                                r"'--num_sample=5' \(did you mean "
                                r"--num_samples\?\)"):
      beam_pipeline.check_pipeline_args(
          ["--runner=DirectRunner", "--num_sample=5"],
          ["num_samples", "num_shards", "seed"], _parser("runner"))

  def test_beam_options_and_nothing_else_pass(self):
    from synth import beam_pipeline  # pylint: disable=g-import-not-at-top
    parser = _parser("runner", "project")
    for args in (["--runner=DataflowRunner", "--project", "p"],
                 ["--runner=DataflowRunner", "--project=p"]):
      self.assertEqual(beam_pipeline.check_pipeline_args(args, [], parser),
                       args)
    with self.assertRaisesRegex(ValueError, "unknown arguments: 'extra'"):
      beam_pipeline.check_pipeline_args(["--runner=X", "extra"], [], parser)
    with self.assertRaisesRegex(ValueError, "'--runer=X'.*--runner"):
      beam_pipeline.check_pipeline_args(["--runer=X"], [], parser)


if __name__ == "__main__":
  testing.main()
