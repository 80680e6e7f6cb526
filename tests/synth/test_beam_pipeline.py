"""Tests for synth/beam_pipeline.py (skipped without apache_beam; run with
/work/beam-venv/bin/python -m pytest tests/synth/test_beam_pipeline.py)."""

import importlib.util
import os
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
    manifest = beam_pipeline.run(config, beam, ["--runner=DirectRunner"])
    self.assertEqual(manifest["status"], "complete")
    self.assertEqual(os.stat(kept).st_mtime_ns, mtime)
    self.assertEqual(_read(beam), _read(local))
    self.assertEqual([s["count"] for s in manifest["shards"]], [5, 5, 4])


if __name__ == "__main__":
  testing.main()
