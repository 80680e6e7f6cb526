"""Tests for synth/image_generation.py, synth/image_record.py and the
synth.generate_images binary: determinism, resume after a kill, the reader,
the contact sheet, bad flags (toy body, 64² crops)."""

import importlib.util
import json
import os
import subprocess
import sys
import unittest
from unittest import mock

import cv2
import numpy as np

from body import toy
from synth import contact_sheet
from synth import image_generation
from synth import image_record
from synth import images
from tests import testing


def _config(**kwargs):
  image_kwargs = kwargs.pop("images", {})
  base = dict(num_images=10, num_shards=3, seed=7)
  base.update(kwargs)
  return image_generation.ImageGenerationConfig(
      images=images.ImageConfig(image_size=64, silhouette_size=16,
                                batch_size=2, body_model="toy",
                                **image_kwargs), **base)


def _read_bytes(directory):
  return {os.path.basename(p): open(p, "rb").read()
          for p in image_record.shard_paths(directory)}


class ImageGenerationTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.renderer = images.ImageRenderer(_config().images, toy.make_assets())

  def _generate(self, config, out, **kwargs):
    return image_generation.generate(config, out, renderer=self.renderer,
                                     **kwargs)

  def test_deterministic_complete_and_resumes_after_kill(self):
    a, b = self.create_tempdir().full_path, self.create_tempdir().full_path
    manifest = self._generate(_config(), a)
    self.assertEqual(manifest["status"], "complete")
    self.assertEqual([s["count"] for s in manifest["shards"]], [4, 3, 3])
    # Killed in shard 1: shard 0 stays, no partial file, manifest says so.
    real = images.ImageRenderer.render
    calls = []

    def dying(self_, rng, n):
      calls.append(n)
      if len(calls) == 4:        # shard 0 = 2 batches; die in shard 1's 2nd
        raise KeyboardInterrupt("killed")
      return real(self_, rng, n)

    with mock.patch.object(images.ImageRenderer, "render", dying):
      with self.assertRaises(KeyboardInterrupt):
        self._generate(_config(), b)
    self.assertEqual(sorted(os.listdir(b)), [
        "images-00000-of-00003.tfrecord", image_record.MANIFEST])
    with open(os.path.join(b, image_record.MANIFEST)) as f:
      self.assertEqual(json.load(f)["status"], "incomplete")
    manifest = self._generate(_config(), b)
    self.assertEqual(manifest["status"], "complete")
    self.assertEqual(_read_bytes(a), _read_bytes(b))
    # Another seed: other bytes; another config in the same folder: refused.
    c = self.create_tempdir().full_path
    self._generate(_config(seed=8), c)
    self.assertNotEqual(_read_bytes(c), _read_bytes(a))
    with self.assertRaisesRegex(ValueError, "another config"):
      self._generate(_config(num_images=11), a)

  def test_reader_returns_the_rendered_examples(self):
    out = self.create_tempdir().full_path
    config = _config(image_format="png", num_shards=1, num_images=3)
    self._generate(config, out)
    rows = list(image_record.read_image_dataset(out).as_numpy_iterator())
    self.assertLen(rows, 3)
    want = self.renderer.render(
        image_generation.generation.shard_rng(7, 0), 2)
    spec = self.renderer.output_signature()
    for key, value in rows[1].items():
      self.assertEqual(value.dtype, spec[key].dtype.as_numpy_dtype, key)
      self.assertEqual(value.shape, tuple(spec[key].shape), key)
      np.testing.assert_array_equal(value, want[key][1], err_msg=key)

  def test_jpeg_records_decode(self):
    out = self.create_tempdir().full_path
    self._generate(_config(num_shards=1, num_images=2), out)
    rows = list(image_record.read_image_dataset(out).as_numpy_iterator())
    want = self.renderer.render(
        image_generation.generation.shard_rng(7, 0), 2)
    error = np.abs(rows[0]["image"].astype(float) - want["image"][0])
    self.assertLess(error.mean(), 6)
    np.testing.assert_array_equal(rows[0]["parts"], want["parts"][0])

  def test_contact_sheet(self):
    path = os.path.join(self.create_tempdir().full_path, "sheet.jpg")
    image_generation.write_contact_sheet(_config(), path, num=2,
                                         renderer=self.renderer, cell=64)
    sheet = cv2.imread(path)
    self.assertEqual(sheet.shape, (64, 8 * 64, 3))
    self.assertGreater(np.std(sheet[:, :2 * 64]), 10)
    # Labels are drawn: the labelled tile differs from the plain one.
    batch = self.renderer.render(
        image_generation.generation.shard_rng(7, 0), 2)
    kset = self.renderer.keypoint_set
    plain = contact_sheet.contact_sheet(batch, kset, cell=64, labels=False)
    drawn = contact_sheet.contact_sheet(batch, kset, cell=64, labels=True)
    self.assertGreater(np.sum(plain != drawn), 20)

  @testing.parameters(dict(num_images=0), dict(num_shards=0),
                      dict(num_images=2, num_shards=3), dict(seed=-1),
                      dict(image_format="gif"), dict(jpeg_quality=0))
  def test_bad_config(self, **kwargs):
    with self.assertRaises(ValueError):
      _config(**kwargs)

  def _run_binary(self, **flag_values):
    """Runs `python -m synth.generate_images` in a child process (its absl
    flags would clash with other binaries' in this one)."""
    args = [sys.executable, "-m", "synth.generate_images"] + [
        f"--{k}={','.join(v) if isinstance(v, list) else v}"
        for k, v in flag_values.items()]
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.getcwd())
    return subprocess.run(args, capture_output=True, text=True, env=env,
                          timeout=600)

  def test_binary_bad_flags_and_folders(self):
    out = self.create_tempdir().full_path
    for extra, message in (
        (dict(occluder_probability=2.0), "occluder_probability"),
        (dict(background_dirs=["/nonexistent/folder"]), "does not exist"),
        (dict(num_images=0), "num_images")):
      done = self._run_binary(output=out, body_model="toy", image_size=64,
                              **extra)
      self.assertNotEqual(done.returncode, 0)
      self.assertIn(message, done.stderr + done.stdout)
    self.assertEqual(os.listdir(out), [])

  def test_binary_runs(self):
    out = self.create_tempdir().full_path
    done = self._run_binary(output=out, body_model="toy", image_size=64,
                            num_images=3, num_shards=2, batch_size=2,
                            contact_sheet=2)
    self.assertEqual(done.returncode, 0, done.stderr[-3000:])
    self.assertEqual(sorted(os.listdir(out)), [
        image_generation.CONTACT_SHEET, "images-00000-of-00002.tfrecord",
        "images-00001-of-00002.tfrecord", image_record.MANIFEST])
    self.assertLen(list(image_record.read_image_dataset(out)), 3)


@unittest.skipUnless(importlib.util.find_spec("apache_beam") is not None,
                     "apache_beam is not installed (requirements-beam.txt)")
class ImageBeamTest(testing.TestCase):

  def test_same_bytes_as_in_process(self):
    config = _config(num_images=5, num_shards=2)
    local, beam = (self.create_tempdir().full_path,
                   self.create_tempdir().full_path)
    image_generation.generate(config, local)
    manifest = image_generation.run_beam(config, beam)
    self.assertEqual(manifest["status"], "complete")
    self.assertEqual(_read_bytes(local), _read_bytes(beam))


if __name__ == "__main__":
  testing.main()
