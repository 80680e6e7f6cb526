"""Tests for synth/record.py: schema and serialize → parse round trip."""

import numpy as np
import tensorflow as tf

from body import toy
from synth import record
from synth import sample
from tests import testing


class RecordTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.config = sample.SampleConfig()
    cls.generator = sample.SampleGenerator(toy.make_assets(), cls.config)
    cls.batch = cls.generator.generate(np.random.default_rng(5), 12)

  def test_round_trip(self):
    schema = record.schema_for(self.config)
    self.assertEqual((schema.num_keypoints, schema.num_betas,
                      schema.silhouette_size), (17, 10, 64))
    serialized = record.serialize(self.batch)
    self.assertLen(serialized, 12)
    parsed = record.parse_fn(schema)(tf.constant(serialized))
    b = self.batch
    expected = {
        "theta": b.theta, "betas": b.betas, "family": b.family,
        "focal": b.focal, "principal_point": b.principal_point,
        "transl": b.transl, "joints3d": b.joints3d,
        "keypoints3d": b.keypoints3d, "keypoints2d": b.keypoints2d,
        "visibility": b.visibility.astype(np.int32),
        "silhouette": b.silhouette.astype(np.uint8),
    }
    self.assertCountEqual(parsed, expected)
    for key, value in expected.items():
      self.assertAllEqual(parsed[key], value, msg=key)
    self.assertEqual(parsed["silhouette"].dtype, tf.uint8)

  def test_silhouette_bits_hand_built(self):
    # One pixel set per row at column = row: the packed bytes are known.
    mask = np.eye(64, dtype=bool)[None]
    batch = sample.SampleBatch(**{
        **{k: getattr(self.batch, k)[:1] for k in (
            "theta", "betas", "family", "focal", "principal_point", "transl",
            "joints3d", "keypoints3d", "keypoints2d", "visibility")},
        "silhouette": mask})
    example = tf.train.Example.FromString(record.serialize(batch)[0])
    packed = example.features.feature["silhouette"].bytes_list.value[0]
    self.assertLen(packed, 64 * 64 // 8)
    # Row 0 is byte 0..7; its first pixel is the MSB of byte 0.
    self.assertEqual(packed[0], 0b10000000)
    self.assertEqual(packed[8], 0b01000000)      # row 1, column 1
    schema = record.schema_for(self.config)
    parsed = record.parse_fn(schema)(tf.constant([packed and
                                                  record.serialize(batch)[0]]))
    self.assertAllEqual(parsed["silhouette"][0], mask[0].astype(np.uint8))

  def _reference_bytes(self, batch):
    """The same records built as protos by TensorFlow (the reference)."""
    def floats(x):
      return tf.train.Feature(float_list=tf.train.FloatList(
          value=np.asarray(x, np.float32).ravel()))

    def ints(x):
      return tf.train.Feature(int64_list=tf.train.Int64List(
          value=np.asarray(x, np.int64).ravel()))

    out = []
    for i in range(len(batch)):
      feature = {k: floats(getattr(batch, k)[i]) for k in (
          "theta", "betas", "focal", "principal_point", "transl", "joints3d",
          "keypoints3d", "keypoints2d")}
      feature["family"] = ints(batch.family[i])
      feature["visibility"] = ints(batch.visibility[i])
      feature["silhouette"] = tf.train.Feature(bytes_list=tf.train.BytesList(
          value=[np.packbits(batch.silhouette[i].ravel()).tobytes()]))
      example = tf.train.Example(features=tf.train.Features(feature=feature))
      out.append(example.SerializeToString(deterministic=True))
    return out

  def test_bytes_match_tensorflow_protos(self):
    self.assertEqual(record.serialize(self.batch),
                     self._reference_bytes(self.batch))
    # Negative and multi-byte varints, an empty silhouette, NaN floats.
    b = self.batch
    odd = sample.SampleBatch(**{
        **{k: getattr(b, k)[:3].copy() for k in (
            "theta", "betas", "focal", "principal_point", "transl",
            "joints3d", "keypoints3d", "keypoints2d")},
        "family": np.array([-1, 300, 0], np.int32),
        "visibility": np.array([[0] * 16 + [200]] * 3, np.int64),
        "silhouette": np.zeros((3, 64, 64), bool)})
    odd.theta[0, 0] = np.nan
    self.assertEqual(record.serialize(odd), self._reference_bytes(odd))

  def test_deterministic_bytes(self):
    again = self.generator.generate(np.random.default_rng(5), 12)
    self.assertEqual(record.serialize(self.batch), record.serialize(again))

  @testing.parameters(
      dict(num_keypoints=0, num_betas=10, silhouette_size=64),
      dict(num_keypoints=17, num_betas=-1, silhouette_size=64),
      dict(num_keypoints=17, num_betas=10, silhouette_size=3))
  def test_bad_schema(self, **kwargs):
    with self.assertRaises(ValueError):
      record.RecordSchema(**kwargs)


if __name__ == "__main__":
  testing.main()
