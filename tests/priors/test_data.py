"""Training arrays from synth samples, the weak-perspective camera, caching,
and the tf.data pipeline."""

import json
import os

import numpy as np
import tensorflow as tf

from body import keypoints
from body import lbs
from body import rotation
from body import toy
from priors import data
from priors import pose_prior
from synth import corruption
from synth import generation
from synth import record
from tests import testing


class DataTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.arrays = data.generate_arrays(toy.make_assets(), 24, seed=5, chunk=10)

  def test_shapes_and_dtypes(self):
    a = self.arrays
    self.assertEqual(a["keypoints"].shape, (24, 17, 2))
    self.assertEqual(a["visibility"].shape, (24, 17))
    self.assertEqual(a["theta"].shape, (24, 72))
    self.assertEqual(a["betas"].shape, (24, 10))
    self.assertEqual(a["camera"].shape, (24, 3))
    self.assertEqual(a["silhouette"].shape, (24, 64, 64))
    self.assertEqual(a["silhouette"].dtype, np.uint8)
    # Framed bodies: keypoints mostly inside the crop.
    self.assertGreater(np.mean(np.abs(a["keypoints"]) < 1.0), 0.9)

  def test_weak_perspective_reproduces_keypoints(self):
    # s · (X + t) of the model's keypoints is close to the perspective
    # projection (the difference is the body's depth extent / distance).
    assets = toy.make_assets()
    a = self.arrays
    body = lbs.forward_axis_angle(assets, a["betas"], a["theta"])
    kp3d = keypoints.regress(assets, body.vertices, keypoints.COCO_17)
    projected = pose_prior.project_weak_perspective(kp3d, a["camera"]).numpy()
    err_px = 128 * np.linalg.norm(projected - a["keypoints"], axis=-1)
    self.assertLess(np.median(err_px), 4.0)
    self.assertGreater(a["camera"][:, 0].min(), 0.3)

  def test_save_load_round_trip(self):
    path = os.path.join(self.create_tempdir().full_path, "set.npz")
    data.save_arrays(path, self.arrays)
    back = data.load_arrays(path)
    for k in data.ARRAY_KEYS:
      self.assertAllEqual(back[k], self.arrays[k])

  def test_load_rejects_incomplete_file(self):
    path = os.path.join(self.create_tempdir().full_path, "bad.npz")
    np.savez(path, theta=np.zeros((1, 72)))
    with self.assertRaisesRegex(ValueError, "lacks"):
      data.load_arrays(path)

  def test_dataset_batches(self):
    ds = data.make_dataset(self.arrays, 8, corruption.CorruptionConfig(), 0.0,
                           seed=1)
    batch = next(iter(ds))
    self.assertEqual(batch["inputs"].shape, (8, 17, 2))
    self.assertEqual(batch["confidence"].shape, (8, 17))
    self.assertEqual(batch["rotmats"].shape, (8, 24, 3, 3))
    self.assertEqual(batch["silhouette"].dtype.name, "float32")
    # Corrupted inputs differ from the clean keypoints; the targets do not.
    inside = batch["confidence"].numpy() > 0
    self.assertGreater(np.abs(batch["inputs"].numpy() -
                              batch["keypoints"].numpy())[inside].mean(), 0.0)

  def test_arrays_from_records_match_the_samples(self):
    # A synth.generate dataset read back gives the arrays of the same
    # samples drawn in memory (keypoints, camera and silhouettes included).
    assets = toy.make_assets()
    config = generation.GenerationConfig(num_samples=12, num_shards=2,
                                         batch_size=4, body_model="toy")
    directory = self.create_tempdir().full_path
    generation.generate(config, directory, assets=assets)
    back = data.arrays_from_records(directory, "COCO_17", batch_size=5)
    generator = generation.make_generator(config, assets)
    expected = [data.arrays_from_samples(b, config.sample.camera.image_size)
                for i in range(2)
                for b in generation.generate_shard_batches(generator, config,
                                                           i)]
    for k in data.ARRAY_KEYS:
      want = np.concatenate([e[k] for e in expected])
      self.assertEqual(back[k].dtype, want.dtype, k)
      self.assertAllClose(back[k], want, atol=1e-6, msg=k)
    loaded = data.load_or_generate(data.DataConfig(source=directory), assets)
    self.assertAllEqual(loaded["silhouette"], back["silhouette"])
    with self.assertRaisesRegex(ValueError, "COCO_17 keypoints, not LSP_14"):
      data.arrays_from_records(directory, "LSP_14")

  @testing.parameters("incomplete", "deleted", "empty", "flipped_byte",
                      "old_manifest_corrupt", "bad_json")
  def test_damaged_datasets_are_refused_naming_the_file(self, damage):
    # Issue 19, defect 4: these trained on part of the data with exit 0.
    config = generation.GenerationConfig(num_samples=6, num_shards=2,
                                         batch_size=3, body_model="toy")
    directory = self.create_tempdir().full_path
    generation.generate(config, directory, assets=toy.make_assets())
    manifest_path = os.path.join(directory, record.MANIFEST)
    with open(manifest_path) as f:
      manifest = json.load(f)
    shard = os.path.join(directory, generation.shard_name(1, 2))
    if damage == "incomplete":
      manifest["status"] = "incomplete"
      expected = "manifest.json.*'incomplete'"
    elif damage == "deleted":
      os.remove(shard)
      expected = f"{shard}.*missing"
    elif damage == "empty":
      open(shard, "wb").close()
      expected = f"{shard}.* 0 bytes"
    else:
      with open(shard, "r+b") as f:
        f.seek(40)
        byte = f.read(1)
        f.seek(40)
        f.write(bytes([byte[0] ^ 0xFF]))
      expected = f"{shard}.*(sha256|damaged)"
    if damage == "old_manifest_corrupt":
      for entry in manifest["shards"]:  # Written before checksums.
        del entry["bytes"], entry["sha256"]
    with open(manifest_path, "w") as f:
      if damage == "bad_json":
        f.write(json.dumps(manifest)[:-9])
        expected = "manifest.json.*not valid JSON"
      else:
        json.dump(manifest, f)
    with self.assertRaisesRegex(record.DatasetError, expected):
      data.arrays_from_records(directory)

  def test_mirror_example(self):
    a = {k: tf.constant(v) for k, v in self.arrays.items()}
    m = data.mirror_example(a)
    # Twice is the identity.
    twice = data.mirror_example(m)
    for k in data.ARRAY_KEYS:
      self.assertAllClose(twice[k], a[k], msg=k)
    # θ as the flip test mirrors rotations; left and right keypoints swap.
    rotmats = rotation.axis_angle_to_matrix(tf.reshape(a["theta"], [-1, 24, 3]))
    self.assertAllClose(
        rotation.axis_angle_to_matrix(tf.reshape(m["theta"], [-1, 24, 3])),
        pose_prior.mirror_rotations(rotmats), atol=1e-5)
    names = keypoints.COCO_17.names
    left_eye, right_eye = names.index("left_eye"), names.index("right_eye")
    self.assertAllClose(m["keypoints"][:, left_eye, 0],
                        -a["keypoints"][:, right_eye, 0])
    self.assertAllEqual(m["silhouette"][:, :, 0], a["silhouette"][:, :, -1])
    self.assertAllEqual(m["betas"], a["betas"])
    # The mirrored parameters pose the mirrored keypoints (the toy body is
    # symmetric), as the originals pose theirs.
    assets = toy.make_assets()
    body = lbs.forward_axis_angle(assets, m["betas"], m["theta"])
    kp3d = keypoints.regress(assets, body.vertices, keypoints.COCO_17)
    projected = pose_prior.project_weak_perspective(kp3d, m["camera"]).numpy()
    err_px = 128 * np.linalg.norm(projected - m["keypoints"].numpy(), axis=-1)
    self.assertLess(np.median(err_px), 4.0)

  def test_to_batch_mirrors_a_fraction(self):
    a = {k: tf.constant(v) for k, v in self.arrays.items()}
    none = data.to_batch(a, corruption.CLEAN, 1.0, [3, 0], mirror=0.0)
    every = data.to_batch(a, corruption.CLEAN, 1.0, [3, 0], mirror=1.0)
    some = data.to_batch(a, corruption.CLEAN, 1.0, [3, 0], mirror=0.5)
    self.assertAllClose(none["keypoints"], a["keypoints"])
    self.assertAllClose(every["keypoints"],
                        data.mirror_example(a)["keypoints"])
    flipped = np.any(some["theta"].numpy() != a["theta"].numpy(), axis=1)
    self.assertGreater(flipped.mean(), 0.1)
    self.assertLess(flipped.mean(), 0.9)
    # Inputs, targets and rotations stay together.
    self.assertAllClose(some["inputs"], some["keypoints"] * some[
        "confidence"][..., None])
    self.assertAllClose(some["rotmats"], rotation.axis_angle_to_matrix(
        tf.reshape(some["theta"], [-1, 24, 3])), atol=1e-6)

  def test_config_validation(self):
    with self.assertRaises(ValueError):
      data.DataConfig(num_examples=0)
    with self.assertRaises(ValueError):
      data.DataConfig(clean_fraction=1.5)
    with self.assertRaises(ValueError):
      data.DataConfig(mirror=-0.1)


if __name__ == "__main__":
  testing.main()
