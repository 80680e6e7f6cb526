"""The on-disk sample record: one `tf.train.Example` per sample, and a reader.

Dimensions: K keypoints, S shape components, J = 24 joints, R×R silhouette.
They are fixed per dataset and stored in `manifest.json` beside the shards
(`RecordSchema`), so every feature has a fixed length:

  feature             type    length   meaning
  theta               float   72       camera-frame axis-angle θ (root first)
  betas               float   S        shape coefficients β
  family              int64   1        `pose_prior.FAMILIES` index, -1 = bank
  focal               float   1        focal length f, pixels (crop of side
                                       `image_size`)
  principal_point     float   2        (c_x, c_y), pixels
  transl              float   3        body translation t, metres (the body
                                       model's output + t is in the camera
                                       frame)
  joints3d            float   J·3      model joints, camera frame, metres
  keypoints3d         float   K·3      keypoints, camera frame, metres
  keypoints2d         float   K·2      keypoints, crop pixels (x right, y
                                       down, origin at the centre of the
                                       top-left pixel)
  visibility          int64   K        0 out of frame, 1 occluded, 2 visible
  silhouette          bytes   1        R·R/8 bytes: `np.packbits` of the
                                       row-major R×R mask (MSB first)

The camera is a pinhole in OpenCV axes: u = f·X/Z + c_x, v = f·Y/Z + c_y.

`read_dataset(directory)` returns a `tf.data.Dataset` of dicts with those keys
reshaped (`keypoints2d` `[K, 2]`, `silhouette` `[R, R]` uint8 0/1, ...).
"""

import dataclasses
import glob
import json
import os
from typing import Dict, List, Sequence

import numpy as np
import tensorflow as tf

from synth import sample as sample_lib

MANIFEST = "manifest.json"
SHARD_PATTERN = "samples-{index:05d}-of-{count:05d}.tfrecord"


@dataclasses.dataclass(frozen=True)
class RecordSchema:
  """Fixed sizes of a dataset's features.

  Attributes:
    num_keypoints: K.
    num_betas: S.
    silhouette_size: R (a multiple of 8, for bit packing).
    num_joints: J.
    keypoint_set: name of the keypoint set (`body.keypoints`).
    image_size: crop side the 2D keypoints refer to, pixels.
  """
  num_keypoints: int
  num_betas: int
  silhouette_size: int
  num_joints: int = 24
  keypoint_set: str = "COCO_17"
  image_size: int = 256

  def __post_init__(self):
    for name in ("num_keypoints", "num_betas", "silhouette_size",
                 "num_joints", "image_size"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive, got "
                         f"{getattr(self, name)}.")
    if (self.silhouette_size ** 2) % 8:
      raise ValueError(f"silhouette_size² must be a multiple of 8, got "
                       f"R = {self.silhouette_size}.")

  def feature_spec(self) -> Dict[str, tf.io.FixedLenFeature]:
    """The `tf.io.parse_example` spec of one record."""
    k, j = self.num_keypoints, self.num_joints
    f = tf.io.FixedLenFeature
    return {
        "theta": f([3 * j], tf.float32),
        "betas": f([self.num_betas], tf.float32),
        "family": f([1], tf.int64),
        "focal": f([1], tf.float32),
        "principal_point": f([2], tf.float32),
        "transl": f([3], tf.float32),
        "joints3d": f([j * 3], tf.float32),
        "keypoints3d": f([k * 3], tf.float32),
        "keypoints2d": f([k * 2], tf.float32),
        "visibility": f([k], tf.int64),
        "silhouette": f([], tf.string),
    }


def schema_for(config: "sample_lib.SampleConfig") -> RecordSchema:
  """The schema of the records a SampleConfig produces."""
  from body import keypoints as keypoints_lib  # pylint: disable=g-import-not-at-top
  return RecordSchema(
      num_keypoints=keypoints_lib.get(config.keypoint_set).size,
      num_betas=config.shape.num_betas,
      silhouette_size=config.silhouette_size,
      keypoint_set=config.keypoint_set,
      image_size=config.camera.image_size)


def _floats(x):
  return tf.train.Feature(float_list=tf.train.FloatList(
      value=np.asarray(x, np.float32).ravel()))


def _ints(x):
  return tf.train.Feature(int64_list=tf.train.Int64List(
      value=np.asarray(x, np.int64).ravel()))


def serialize(batch: sample_lib.SampleBatch) -> List[bytes]:
  """Serialized `tf.train.Example`s, one per sample of `batch`."""
  packed = np.packbits(batch.silhouette.reshape(len(batch), -1).astype(bool),
                       axis=1)
  out = []
  for i in range(len(batch)):
    feature = {
        "theta": _floats(batch.theta[i]),
        "betas": _floats(batch.betas[i]),
        "family": _ints(batch.family[i]),
        "focal": _floats(batch.focal[i]),
        "principal_point": _floats(batch.principal_point[i]),
        "transl": _floats(batch.transl[i]),
        "joints3d": _floats(batch.joints3d[i]),
        "keypoints3d": _floats(batch.keypoints3d[i]),
        "keypoints2d": _floats(batch.keypoints2d[i]),
        "visibility": _ints(batch.visibility[i]),
        "silhouette": tf.train.Feature(bytes_list=tf.train.BytesList(
            value=[packed[i].tobytes()])),
    }
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    out.append(example.SerializeToString(deterministic=True))
  return out


def _unpack_bits(packed: tf.Tensor, size: int) -> tf.Tensor:
  """`[..., N/8]` uint8 -> `[..., N]` uint8 0/1 (MSB first, as np.packbits)."""
  bits = tf.constant([128, 64, 32, 16, 8, 4, 2, 1], tf.uint8)
  out = tf.cast(tf.bitwise.bitwise_and(packed[..., None], bits) > 0, tf.uint8)
  return tf.reshape(out, tf.concat([tf.shape(packed)[:-1], [size]], 0))


def parse_fn(schema: RecordSchema):
  """A function mapping a batch of serialized records `[B]` to a dict of
  tensors `[B, ...]` (the module docstring's keys and shapes)."""
  spec = schema.feature_spec()
  k, j, r = schema.num_keypoints, schema.num_joints, schema.silhouette_size

  def parse(serialized):
    x = tf.io.parse_example(serialized, spec)
    packed = tf.io.decode_raw(x["silhouette"], tf.uint8)      # [B, R²/8]
    packed = tf.ensure_shape(packed, [None, r * r // 8])
    return {
        "theta": x["theta"],
        "betas": x["betas"],
        "family": tf.cast(x["family"][:, 0], tf.int32),
        "focal": x["focal"][:, 0],
        "principal_point": x["principal_point"],
        "transl": x["transl"],
        "joints3d": tf.reshape(x["joints3d"], [-1, j, 3]),
        "keypoints3d": tf.reshape(x["keypoints3d"], [-1, k, 3]),
        "keypoints2d": tf.reshape(x["keypoints2d"], [-1, k, 2]),
        "visibility": tf.cast(x["visibility"], tf.int32),
        "silhouette": tf.reshape(_unpack_bits(packed, r * r), [-1, r, r]),
    }

  return parse


def read_manifest(directory: str) -> dict:
  """The manifest written beside a dataset's shards."""
  path = os.path.join(directory, MANIFEST)
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f"no {MANIFEST} in {directory!r}; is it the --output of "
        f"synth.generate?")
  with open(path) as f:
    return json.load(f)


def shard_paths(directory: str) -> List[str]:
  """The completed shards of a dataset, in order (temp files excluded)."""
  return sorted(glob.glob(os.path.join(directory, "samples-*.tfrecord")))


def read_dataset(directory: str, batch_size: int = 0,
                 shuffle_files: bool = False,
                 files: Sequence[str] = ()) -> tf.data.Dataset:
  """A `tf.data.Dataset` over a generated dataset.

  Args:
    directory: the generator's output directory (holding `manifest.json`).
    batch_size: 0 yields single samples; > 0 yields batches of that size (the
      last one may be smaller).
    shuffle_files: shuffle the shard order (not the samples).
    files: optional subset of shard paths (default: all shards).

  Returns:
    A dataset of dicts (see the module docstring); with batching every
    tensor gets a leading batch dimension.
  """
  manifest = read_manifest(directory)
  schema = RecordSchema(**manifest["schema"])
  files = list(files) or shard_paths(directory)
  if not files:
    raise FileNotFoundError(f"no shards in {directory!r}.")
  ds = tf.data.Dataset.from_tensor_slices(files)
  if shuffle_files:
    ds = ds.shuffle(len(files))
  ds = tf.data.TFRecordDataset(ds)
  parse = parse_fn(schema)
  if batch_size > 0:
    return ds.batch(batch_size).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
  return ds.batch(1).map(parse).unbatch()
