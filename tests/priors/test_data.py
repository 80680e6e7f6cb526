"""Training arrays from synth samples, the weak-perspective camera, caching,
and the tf.data pipeline."""

import os

import numpy as np

from body import keypoints
from body import lbs
from body import toy
from priors import data
from priors import pose_prior
from synth import corruption
from synth import generation
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

  def test_config_validation(self):
    with self.assertRaises(ValueError):
      data.DataConfig(num_examples=0)
    with self.assertRaises(ValueError):
      data.DataConfig(clean_fraction=1.5)


if __name__ == "__main__":
  testing.main()
