"""What the data-set converters (`human2d.mpii`, `.coco`, `.up3d`) share:
joints mapped by name into a keypoint set, errors that name the file and the
entry, skipping a bad entry only when asked, and reading files.

A converter turns one entry of a data set (an MPII `annorect`, a COCO
annotation, a UP-3D image) into at most one `record.Example`:

    for entry_name, item in entries:
      ex = conversion.guarded(path, entry_name, skip_bad, _example, item)
      if ex is not None:
        yield ex

`_example` returns None for an entry that is fine but has nothing to learn
from (too few joints); it raises `ValueError` (or `KeyError`, `TypeError`,
`IndexError`, `OSError`) for a broken one, which `guarded` turns into one
`ValueError` naming the file and the entry, or a logged warning when
`skip_bad` is set.
"""

import logging
from typing import Callable, Optional, Sequence, Tuple, TypeVar

import numpy as np

from body import keypoints as keypoints_lib
from human2d import record

T = TypeVar("T")

_BAD = (ValueError, KeyError, TypeError, IndexError, OSError)


def guarded(path: str, entry: str, skip_bad: bool,
            make: Callable[..., Optional[T]], *args) -> Optional[T]:
  """`make(*args)`, with a failure reported against `path` and `entry`.

  Raises:
    ValueError: "`path`: `entry`: what was wrong", unless `skip_bad`, in
      which case the message is logged as a warning and None returned.
  """
  try:
    return make(*args)
  except _BAD as e:
    message = f"{path}: {entry}: {e}"
    if not skip_bad:
      raise ValueError(f"{message} (skip_bad=True, or --skip_bad, skips such "
                       f"entries with a warning)") from e
    logging.warning("%s Skipped.", message)
    return None


def read_bytes(path: str) -> bytes:
  """The file's bytes; `ValueError` naming the file when it cannot be read."""
  try:
    with open(path, "rb") as f:
      data = f.read()
  except OSError as e:
    raise ValueError(f"cannot read {path}: {e.strerror or e}") from e
  if not data:
    raise ValueError(f"{path} is empty.")
  return data


def map_keypoints(xy: np.ndarray, labelled: np.ndarray, visible: np.ndarray,
                  names: Sequence[str], keypoint_set: str
                  ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
  """A data set's joints (`[J, 2]`, `[J]`, `[J]` in its own order `names`)
  → the `[K, 2]`, `[K]`, `[K]` of `keypoint_set`, by name. Points the set
  has but the data set lacks, and joints the data set leaves unlabelled,
  are zero and unlabelled; `visible` is kept only where labelled."""
  xy = np.asarray(xy, np.float64)
  j = len(names)
  if xy.shape != (j, 2) or np.shape(labelled) != (j,) or np.shape(
      visible) != (j,):
    raise ValueError(f"joints must be [{j}, 2] with [{j}] flags, got "
                     f"{xy.shape}, {np.shape(labelled)}, {np.shape(visible)}.")
  k = keypoints_lib.get(keypoint_set).size
  out_xy = np.zeros([k, 2], np.float32)
  out_lab = np.zeros([k], np.float32)
  out_vis = np.zeros([k], np.float32)
  for src, dst in record.keypoint_map(keypoint_set, names).items():
    if labelled[src] > 0 and np.all(np.isfinite(xy[src])):
      out_xy[dst] = xy[src]
      out_lab[dst] = 1.0
      out_vis[dst] = 1.0 if visible[src] > 0 else 0.0
  return out_xy, out_lab, out_vis


def image_size(data: bytes) -> Tuple[int, int]:
  """(height, width) of an encoded image; `ValueError` if it won't decode."""
  import cv2  # Local: only converters that check masks need it.
  image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
  if image is None:
    raise ValueError("the image does not decode.")
  return int(image.shape[0]), int(image.shape[1])


def check_mask(mask: np.ndarray, size: Tuple[int, int], what: str):
  """`ValueError` unless `mask` is `[H, W]` with (H, W) = `size`."""
  if np.ndim(mask) != 2 or tuple(np.shape(mask)) != tuple(size):
    raise ValueError(f"{what} is {np.shape(mask)}, the image "
                     f"{tuple(size)}; they must match.")
