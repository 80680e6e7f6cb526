"""Tests for synth/generation.py and the synth.generate binary: shards,
determinism, resume after a kill, manifest, reader."""

import hashlib
import json
import os
import socket
from unittest import mock

import numpy as np

from body import toy
from synth import framing
from synth import generation
from synth import record
from synth import sample
from synth import shape_prior
from tests import testing


def _config(**kwargs):
  base = dict(num_samples=23, num_shards=3, seed=7, batch_size=5,
              body_model="toy")
  base.update(kwargs)
  return generation.GenerationConfig(**base)


def _read_bytes(directory):
  return {os.path.basename(p): open(p, "rb").read()
          for p in record.shard_paths(directory)}


class GenerationTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.assets = toy.make_assets()

  def test_shard_sizes(self):
    self.assertEqual(generation.shard_sizes(23, 3), [8, 8, 7])
    self.assertEqual(generation.shard_sizes(4, 4), [1, 1, 1, 1])

  def test_deterministic_and_complete(self):
    a, b = self.create_tempdir().full_path, self.create_tempdir().full_path
    manifest = generation.generate(_config(), a, assets=self.assets)
    generation.generate(_config(), b, assets=self.assets)
    bytes_a, bytes_b = _read_bytes(a), _read_bytes(b)
    self.assertEqual(sorted(bytes_a), [
        "samples-00000-of-00003.tfrecord", "samples-00001-of-00003.tfrecord",
        "samples-00002-of-00003.tfrecord"])
    self.assertEqual(bytes_a, bytes_b)
    self.assertEqual(manifest["status"], "complete")
    self.assertEqual([s["count"] for s in manifest["shards"]], [8, 8, 7])
    self.assertEqual(generation.shard_counts(a), {
        s["file"]: s["count"] for s in manifest["shards"]})
    with open(os.path.join(a, record.MANIFEST)) as f:
      on_disk = json.load(f)
    self.assertEqual(on_disk["seed"], 7)
    self.assertEqual(on_disk["config"], _config().to_json())
    self.assertEqual(on_disk["schema"]["num_keypoints"], 17)
    # Another seed gives other bytes.
    c = self.create_tempdir().full_path
    generation.generate(_config(seed=8), c, assets=self.assets)
    self.assertNotEqual(_read_bytes(c), bytes_a)

  def test_shard_independent_of_others(self):
    # Shard 2 alone equals shard 2 of the full job.
    a, b = self.create_tempdir().full_path, self.create_tempdir().full_path
    generation.generate(_config(), a, assets=self.assets)
    manifest = generation.generate(_config(), b, shards=[2],
                                   assets=self.assets)
    self.assertEqual(manifest["status"], "incomplete")
    name = generation.shard_name(2, 3)
    self.assertEqual(_read_bytes(b), {name: _read_bytes(a)[name]})

  def test_killed_job_leaves_no_partial_shard_and_resumes(self):
    out = self.create_tempdir().full_path
    reference = self.create_tempdir().full_path
    generation.generate(_config(), reference, assets=self.assets)
    real = sample.SampleGenerator.generate
    calls = []

    def dying(self_, rng, n):
      calls.append(n)
      if len(calls) == 4:      # 2 chunks per shard: die in shard 1's 2nd.
        raise KeyboardInterrupt("killed")
      return real(self_, rng, n)

    with mock.patch.object(sample.SampleGenerator, "generate", dying):
      with self.assertRaises(KeyboardInterrupt):
        generation.generate(_config(), out, assets=self.assets)
    self.assertEqual(sorted(os.listdir(out)),
                     [record.MANIFEST, generation.shard_name(0, 3)])
    with open(os.path.join(out, record.MANIFEST)) as f:
      self.assertEqual(json.load(f)["status"], "incomplete")
    first = os.path.join(out, generation.shard_name(0, 3))
    mtime = os.stat(first).st_mtime_ns
    written = []
    real_write = generation.write_shard

    def spy(generator, config, index, directory, overwrite=False):
      written.append(index)
      return real_write(generator, config, index, directory, overwrite)

    with mock.patch.object(generation, "write_shard", spy):
      manifest = generation.generate(_config(), out, assets=self.assets)
    self.assertEqual(written, [1, 2])
    self.assertEqual(os.stat(first).st_mtime_ns, mtime)
    self.assertEqual(manifest["status"], "complete")
    self.assertEqual(_read_bytes(out), _read_bytes(reference))

  def test_rerun_rewrites_damaged_shards_and_records_checksums(self):
    # Issue 19, defect 4: a truncated shard was kept and the set marked
    # "complete"; killed runs' temp files were never removed.
    out = self.create_tempdir().full_path
    manifest = generation.generate(_config(), out, assets=self.assets)
    reference = _read_bytes(out)
    for entry in manifest["shards"]:
      data = reference[entry["file"]]
      self.assertEqual(entry["bytes"], len(data))
      self.assertEqual(entry["sha256"], hashlib.sha256(data).hexdigest())
    truncated = os.path.join(out, generation.shard_name(1, 3))
    with open(truncated, "r+b") as f:
      f.truncate(len(reference[generation.shard_name(1, 3)]) // 2)
    open(os.path.join(out, generation.shard_name(2, 3)), "wb").close()
    stale = os.path.join(out, "." + generation.shard_name(0, 3) +
                         f".tmp-{socket.gethostname()}-{2**22 + 12345}")
    old_style = os.path.join(out, f".{record.MANIFEST}.tmp-{2**22 + 1}")
    live = os.path.join(out, "." + generation.shard_name(0, 3) +
                        f".tmp-{socket.gethostname()}-{os.getpid()}")
    other_host = os.path.join(out, "." + generation.shard_name(0, 3) +
                              ".tmp-elsewhere-1")
    for path in (stale, old_style, live, other_host):
      open(path, "wb").close()
    manifest_path = os.path.join(out, record.MANIFEST)
    with self.assertRaisesRegex(record.DatasetError,
                                "00001-of-00003.tfrecord' has .* bytes"):
      record.verify_dataset(out)
    manifest = generation.generate(_config(), out, assets=self.assets)
    self.assertEqual(manifest["status"], "complete")
    self.assertEqual(_read_bytes(out), reference)
    self.assertEqual(record.verify_dataset(out), manifest)
    for path in (stale, old_style):
      self.assertFalse(os.path.exists(path), path)
    for path in (live, other_host):
      self.assertTrue(os.path.exists(path), path)
    # A corrupt manifest is named, not a bare JSONDecodeError.
    with open(manifest_path, "w") as f:
      f.write("{")
    with self.assertRaisesRegex(record.DatasetError, "manifest.json"):
      generation.generate(_config(), out, assets=self.assets)

  def test_other_config_refused(self):
    out = self.create_tempdir().full_path
    generation.generate(_config(num_samples=6), out, assets=self.assets)
    with self.assertRaisesRegex(ValueError, "another config"):
      generation.generate(_config(num_samples=7), out, assets=self.assets)

  def test_reader(self):
    out = self.create_tempdir().full_path
    generation.generate(_config(), out, assets=self.assets)
    rows = list(record.read_dataset(out).as_numpy_iterator())
    self.assertLen(rows, 23)
    self.assertEqual(rows[0]["keypoints2d"].shape, (17, 2))
    self.assertEqual(rows[0]["silhouette"].shape, (64, 64))
    # The first record is the first sample of shard 0's stream.
    generator = sample.SampleGenerator(self.assets, _config().sample)
    first = generator.generate(generation.shard_rng(7, 0), 5)
    self.assertAllEqual(rows[0]["theta"], first.theta[0])
    self.assertAllEqual(rows[4]["silhouette"], first.silhouette[4])
    batches = list(record.read_dataset(out, batch_size=10))
    self.assertEqual([len(b["theta"]) for b in batches], [10, 10, 3])

  @testing.parameters(dict(num_samples=0), dict(num_shards=0),
                      dict(num_samples=2, num_shards=3), dict(seed=-1),
                      dict(batch_size=0))
  def test_bad_config(self, **kwargs):
    with self.assertRaises(ValueError):
      _config(**kwargs)

  def test_non_finite_settings_refused(self):
    # Issue 19, defect 3: --focal_length=nan wrote a "complete" dataset of
    # NaN keypoints.
    with self.assertRaisesRegex(ValueError,
                                "CameraConfig.focal_length must be finite"):
      framing.CameraConfig(focal_length=float("nan"))
    with self.assertRaisesRegex(ValueError, "sigma must be finite"):
      shape_prior.ShapePriorConfig(sigma=float("inf"))

  def test_preview(self):
    out = os.path.join(self.create_tempdir().full_path, "sheet.png")
    generation.write_preview(_config(), out, num=6, columns=3)
    import cv2  # pylint: disable=g-import-not-at-top
    image = cv2.imread(out)
    self.assertEqual(image.shape, (2 * 192, 3 * 192, 3))
    self.assertGreater(np.std(image), 10)


if __name__ == "__main__":
  testing.main()
