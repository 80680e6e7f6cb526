"""One TFRecord schema for every 2D data set (real photographs or rendered).

A `Example` is one person in one image, keypoints already mapped into a
keypoint set (COCO_21_LSP by default) with the points a data set does not
label marked so (`labelled` = 0); converters (`human2d.lsp`, …) produce them
and `write` stores them, `parse` reads them back in a `tf.data` pipeline.

Features of a record:
  image            bytes   the encoded JPEG / PNG, as the data set ships it
  keypoint_set     bytes   e.g. "COCO_21_LSP"
  keypoints        float   [K·2] image pixels (x right, y down, pixel centres
                           at integers)
  labelled         float   [K] 1 where the data set annotates the point
  visible          float   [K] 1 where annotated as visible (≤ labelled)
  box              float   [4] person box x0, y0, x1, y1 in image pixels
  head_size        float   PCKh normaliser in pixels (0: none)
  silhouette       bytes   PNG person mask (0 / 255) of the image's size, or
                           empty when the data set has none
  source, name     bytes   data set and file name
"""

import dataclasses
import os
from typing import Dict, Iterable

import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib


@dataclasses.dataclass(frozen=True)
class Example:
  """One annotated person (see the module docstring for the fields)."""
  image: bytes
  keypoint_set: str
  keypoints: np.ndarray   # [K, 2]
  labelled: np.ndarray    # [K]
  visible: np.ndarray     # [K]
  box: np.ndarray         # [4]
  source: str
  name: str
  head_size: float = 0.0
  silhouette: bytes = b""

  def __post_init__(self):
    k = keypoints_lib.get(self.keypoint_set).size
    for field, shape in (("keypoints", (k, 2)), ("labelled", (k,)),
                         ("visible", (k,)), ("box", (4,))):
      value = np.asarray(getattr(self, field))
      if value.shape != shape:
        raise ValueError(f"{self.source}/{self.name}: {field} must have shape "
                         f"{shape}, got {value.shape}.")
      if not np.all(np.isfinite(value)):
        raise ValueError(f"{self.source}/{self.name}: {field} is not finite.")
    if not self.image:
      raise ValueError(f"{self.source}/{self.name}: empty image.")


def box_from_keypoints(xy: np.ndarray, labelled: np.ndarray) -> np.ndarray:
  """The tight box `[x0, y0, x1, y1]` of the labelled points."""
  pts = np.asarray(xy)[np.asarray(labelled) > 0]
  if not len(pts):
    raise ValueError("no labelled keypoint to make a box from.")
  return np.concatenate([pts.min(0), pts.max(0)]).astype(np.float32)


def _floats(values):
  return tf.train.Feature(float_list=tf.train.FloatList(
      value=np.asarray(values, np.float32).ravel()))


def _bytes(value: bytes):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def serialize(example: Example) -> bytes:
  feature = {
      "image": _bytes(example.image),
      "keypoint_set": _bytes(example.keypoint_set.encode()),
      "keypoints": _floats(example.keypoints),
      "labelled": _floats(example.labelled),
      "visible": _floats(example.visible),
      "box": _floats(example.box),
      "head_size": _floats([example.head_size]),
      "silhouette": _bytes(example.silhouette),
      "source": _bytes(example.source.encode()),
      "name": _bytes(example.name.encode()),
  }
  return tf.train.Example(features=tf.train.Features(
      feature=feature)).SerializeToString()


def write(examples: Iterable[Example], path: str) -> int:
  """Writes examples to one TFRecord file (to a temporary name, then
  renamed, so a killed job leaves no half-written file). Returns the count."""
  tmp = f"{path}.tmp-{os.getpid()}"
  count = 0
  try:
    with tf.io.TFRecordWriter(tmp) as writer:
      for ex in examples:
        writer.write(serialize(ex))
        count += 1
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return count


def parse_fn(keypoint_set: str = "COCO_21_LSP"):
  """A `tf.data` map function: serialized record → dict of tensors
  (`keypoints` `[K, 2]`, the rest as in the schema; `image` still encoded).
  Records of another keypoint set fail with an error naming both sets."""
  k = keypoints_lib.get(keypoint_set).size
  spec = {
      "image": tf.io.FixedLenFeature([], tf.string),
      "keypoint_set": tf.io.FixedLenFeature([], tf.string),
      "keypoints": tf.io.FixedLenFeature([k * 2], tf.float32),
      "labelled": tf.io.FixedLenFeature([k], tf.float32),
      "visible": tf.io.FixedLenFeature([k], tf.float32),
      "box": tf.io.FixedLenFeature([4], tf.float32),
      "head_size": tf.io.FixedLenFeature([1], tf.float32),
      "silhouette": tf.io.FixedLenFeature([], tf.string, default_value=b""),
      "source": tf.io.FixedLenFeature([], tf.string),
      "name": tf.io.FixedLenFeature([], tf.string),
  }

  def parse(serialized):
    ex = tf.io.parse_single_example(serialized, spec)
    tf.debugging.assert_equal(
        ex["keypoint_set"], tf.constant(keypoint_set),
        message=f"record's keypoint set differs from {keypoint_set}")
    ex["keypoints"] = tf.reshape(ex["keypoints"], [k, 2])
    ex["head_size"] = ex["head_size"][0]
    return ex

  return parse


def record_files(path: str):
  """The TFRecord files named by a file, a glob or a folder (sorted)."""
  if os.path.isdir(path):
    files = sorted(tf.io.gfile.glob(os.path.join(path, "*.tfrecord*")))
  else:
    files = sorted(tf.io.gfile.glob(path))
  files = [f for f in files if ".tmp-" not in f]
  if not files:
    raise ValueError(f"no TFRecord files at {path!r} (a file, a glob, or a "
                     f"folder of *.tfrecord files).")
  return files


def png_mask(mask: np.ndarray) -> bytes:
  """A boolean `[H, W]` mask as PNG bytes (0 / 255)."""
  import cv2  # Local: only converters with masks need it.
  ok, buf = cv2.imencode(".png", np.asarray(mask, np.uint8) * 255)
  if not ok:
    raise ValueError("could not encode the mask as PNG.")
  return buf.tobytes()


def keypoint_map(target_set: str, names: Iterable[str]) -> Dict[int, int]:
  """{index in the data set's order: index in `target_set`} for the names
  the target set has (e.g. LSP's 14 joints into COCO_21_LSP)."""
  target = keypoints_lib.get(target_set).names
  return {i: target.index(n) for i, n in enumerate(names) if n in target}

