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
import hashlib
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


def _varint(n: int) -> bytes:
  """Protobuf base-128 varint of an int64 (negatives as 10 bytes)."""
  n &= (1 << 64) - 1
  out = bytearray()
  while n >= 0x80:
    out.append((n & 0x7F) | 0x80)
    n >>= 7
  out.append(n)
  return bytes(out)


def _packed_varints(values: np.ndarray) -> List[bytes]:
  """`[B, N]` int64 → per row, the concatenated varints of its values."""
  if values.size == 0 or (values.min() >= 0 and values.max() < 0x80):
    return [row.tobytes() for row in values.astype(np.uint8)]
  return [b"".join(_varint(int(v)) for v in row) for row in values]


def _field(number: int, payload: bytes) -> bytes:
  """A length-delimited protobuf field (wire type 2)."""
  return _varint(number << 3 | 2) + _varint(len(payload)) + payload


# Feature kinds: tf.train.Feature's field numbers.
_BYTES, _FLOAT, _INT64 = 1, 2, 3


def serialize(batch: sample_lib.SampleBatch) -> List[bytes]:
  """Serialized `tf.train.Example`s, one per sample of `batch`.

  The bytes are those of `tf.train.Example(...).SerializeToString(
  deterministic=True)` (map keys sorted, packed repeated fields), written
  directly: the wire format is fixed, and building protos per sample was the
  slowest step of a job.
  """
  n = len(batch)
  packed = np.packbits(batch.silhouette.reshape(n, -1).astype(bool), axis=1)
  columns = {}         # key -> (kind, per-sample payload of the value list)
  for key in ("theta", "betas", "focal", "principal_point", "transl",
              "joints3d", "keypoints3d", "keypoints2d"):
    rows = np.ascontiguousarray(
        np.asarray(getattr(batch, key), "<f4").reshape(n, -1))
    columns[key] = (_FLOAT, [r.tobytes() for r in rows])
  for key in ("family", "visibility"):
    rows = np.asarray(getattr(batch, key), np.int64).reshape(n, -1)
    columns[key] = (_INT64, _packed_varints(rows))
  columns["silhouette"] = (_BYTES, [r.tobytes() for r in packed])
  out = [[] for _ in range(n)]
  for key in sorted(columns):
    kind, payloads = columns[key]
    key_field = _field(1, key.encode())
    heads = {}           # payload length -> the bytes before the payload
    for i, payload in enumerate(payloads):
      size = len(payload)
      if size not in heads:
        # FloatList / Int64List: field 1 packed (absent when empty);
        # BytesList: field 1 once per value.
        values = _field(1, b"\0" * size) if size or kind == _BYTES else b""
        entry = key_field + _field(2, _field(kind, values))
        heads[size] = _field(1, entry)[:-size or None]
      out[i].append(heads[size])
      out[i].append(payload)
  return [_field(1, b"".join(parts)) for parts in out]


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


RERUN = ("Rerun the synth.generate command that wrote {!r}: it checks the "
          "shards and rewrites missing or damaged ones.")


class DatasetError(ValueError):
  """A dataset directory is incomplete or damaged; the message names the
  file and says what to do."""


def read_manifest(directory: str, producer: str = "synth.generate") -> dict:
  """The manifest written beside a dataset's shards (by `producer`).

  Raises:
    FileNotFoundError: no manifest in `directory`.
    DatasetError: a manifest that is not valid JSON or lacks its fields.
  """
  path = os.path.join(directory, MANIFEST)
  if not tf.io.gfile.exists(path):
    raise FileNotFoundError(
        f"no {MANIFEST} in {directory!r}; is it the --output of "
        f"{producer}?")
  try:
    with tf.io.gfile.GFile(path, "rb") as f:
      manifest = json.loads(f.read().decode("utf-8"))
  except (ValueError, UnicodeDecodeError) as e:
    raise DatasetError(
        f"{path!r} is not valid JSON ({e}); the dataset's manifest is "
        f"damaged: rerun the synth.generate command that wrote it.") from e
  missing = [k for k in ("schema", "shards", "status")
             if not isinstance(manifest, dict) or k not in manifest]
  if missing:
    raise DatasetError(f"{path!r} lacks {missing}; it is not a "
                       f"synth.generate manifest.")
  return manifest


def file_digest(path: str, chunk: int = 1 << 22):
  """(size in bytes, sha256 hex) of a file (any `tf.io.gfile` path)."""
  digest, size = hashlib.sha256(), 0
  with tf.io.gfile.GFile(path, "rb") as f:
    for block in iter(lambda: f.read(chunk), b""):
      digest.update(block)
      size += len(block)
  return size, digest.hexdigest()


def verify_dataset(directory: str, checksums: bool = True) -> dict:
  """Checks a dataset against its manifest; returns the manifest.

  The manifest must say "complete", and every shard it lists must exist with
  the size (and, with `checksums`, the sha256) it records. Manifests written
  before sizes and checksums were recorded are checked for status and files
  only.

  Raises:
    FileNotFoundError: no manifest.
    DatasetError: naming the first incomplete, missing or damaged file.
  """
  manifest = read_manifest(directory)
  path = os.path.join(directory, MANIFEST)
  if manifest["status"] != "complete":
    raise DatasetError(
        f"{path!r} says the dataset is {manifest['status']!r}: its job did "
        f"not finish. Rerun the same synth.generate command to write the "
        f"missing shards.")
  for shard in manifest["shards"]:
    shard_path = os.path.join(directory, shard["file"])
    if not tf.io.gfile.exists(shard_path):
      raise DatasetError(
          f"{shard_path!r} is listed in {MANIFEST} but missing. "
          f"{RERUN.format(directory)}")
    if "bytes" not in shard:
      continue
    size = tf.io.gfile.stat(shard_path).length
    if size != shard["bytes"]:
      raise DatasetError(
          f"{shard_path!r} has {size} bytes, {MANIFEST} says "
          f"{shard['bytes']}: it is truncated or damaged. "
          f"{RERUN.format(directory)}")
    if checksums and file_digest(shard_path)[1] != shard["sha256"]:
      raise DatasetError(
          f"{shard_path!r} does not match its sha256 in {MANIFEST}: it is "
          f"damaged. {RERUN.format(directory)}")
  return manifest


def shard_paths(directory: str) -> List[str]:
  """The completed shards of a dataset, in order (temp files excluded)."""
  return sorted(glob.glob(os.path.join(directory, "samples-*.tfrecord")))


def read_dataset(directory: str, batch_size: int = 0,
                 shuffle_files: bool = False,
                 files: Sequence[str] = (),
                 verify: bool = False) -> tf.data.Dataset:
  """A `tf.data.Dataset` over a generated dataset.

  Args:
    directory: the generator's output directory (holding `manifest.json`).
    batch_size: 0 yields single samples; > 0 yields batches of that size (the
      last one may be smaller).
    shuffle_files: shuffle the shard order (not the samples).
    files: optional subset of shard paths (default: all shards).
    verify: first check the dataset against its manifest
      (`verify_dataset`: complete, sizes and checksums); the shards are then
      the manifest's.

  Returns:
    A dataset of dicts (see the module docstring); with batching every
    tensor gets a leading batch dimension.
  """
  if verify:
    manifest = verify_dataset(directory)
    default_files = [os.path.join(directory, s["file"])
                     for s in manifest["shards"]]
  else:
    manifest = read_manifest(directory)
    default_files = shard_paths(directory)
  schema = RecordSchema(**manifest["schema"])
  files = list(files) or default_files
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
