"""Leeds Sports Pose (LSP, Johnson & Everingham BMVC 2010) and LSP-extended
(LSPET, CVPR 2011) read from their own files into `record.Example`s.

On disk, both: `joints.mat` and `images/im%04d.jpg` (LSP, 2,000 images) or
`images/im%05d.jpg` (LSPET, 10,000). The two `joints` arrays differ:

  LSP    `[3, 14, N]`, row 3 = 1 meaning *occluded* (every joint labelled);
  LSPET  `[14, 3, N]`, column 3 = 1 meaning *annotated* (others unlabelled,
         coordinates ≤ 0).

Joint order (both): right ankle, right knee, right hip, left hip, left knee,
left ankle, right wrist, right elbow, right shoulder, left shoulder, left
elbow, left wrist, neck, head top — person-centric left/right.

The standard LSP split: images 1–1000 train, 1001–2000 test
(`split="train"` / `"test"`; 1-based numbers as in the file names).
"""

import os
from typing import Iterator, Optional, Sequence

import numpy as np
import scipy.io

from body import keypoints as keypoints_lib
from human2d import record

KINDS = ("lsp", "lspet")
SPLITS = {"train": (1, 1000), "test": (1001, 2000), "all": (1, 10 ** 9)}


def read_joints(root: str, kind: str) -> np.ndarray:
  """`[N, 14, 3]` (x, y, labelled) of `root/joints.mat`, flags made uniform:
  the third value is 1 where the joint is labelled. For LSP (all joints
  labelled) the occlusion flag is returned by `read_occluded`."""
  if kind not in KINDS:
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
  path = os.path.join(root, "joints.mat")
  try:
    joints = np.asarray(scipy.io.loadmat(path)["joints"], np.float64)
  except (OSError, ValueError, KeyError, TypeError) as e:
    raise ValueError(f"cannot read LSP joints from {path}: {e}") from e
  if kind == "lsp":
    if joints.ndim != 3 or joints.shape[:2] != (3, 14):
      raise ValueError(f"{path}: LSP joints must be [3, 14, N], got "
                       f"{joints.shape} (is this LSP-extended? use "
                       f"kind='lspet').")
    out = np.transpose(joints, [2, 1, 0]).copy()
    out[..., 2] = 1.0
  else:
    if joints.ndim != 3 or joints.shape[:2] != (14, 3):
      raise ValueError(f"{path}: LSPET joints must be [14, 3, N], got "
                       f"{joints.shape} (is this LSP? use kind='lsp').")
    out = np.transpose(joints, [2, 0, 1]).copy()
    out[..., 2] = (out[..., 2] > 0.5) & (out[..., 0] > 0) & (out[..., 1] > 0)
  return out


def read_occluded(root: str) -> np.ndarray:
  """`[N, 14]` LSP's occlusion flags (1 = occluded)."""
  joints = scipy.io.loadmat(os.path.join(root, "joints.mat"))["joints"]
  return np.asarray(joints[2].T, np.float64)


def image_name(kind: str, number: int) -> str:
  return f"im{number:04d}.jpg" if kind == "lsp" else f"im{number:05d}.jpg"


def examples(root: str, kind: str, split: str = "all",
             keypoint_set: str = "COCO_21_LSP",
             numbers: Optional[Sequence[int]] = None,
             skip_missing: bool = False) -> Iterator[record.Example]:
  """The examples of `root` (a folder with `joints.mat` and `images/`).

  Args:
    root: the data set's folder.
    kind: "lsp" or "lspet".
    split: "train", "test" or "all" (1-based image numbers, LSP's split).
    keypoint_set: the set the 14 joints are mapped into; its other points
      are marked unlabelled.
    numbers: 1-based image numbers to read instead of `split`.
    skip_missing: skip images that are not on disk instead of failing.
  """
  if split not in SPLITS:
    raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}.")
  joints = read_joints(root, kind)
  occluded = read_occluded(root) if kind == "lsp" else None
  mapping = record.keypoint_map(keypoint_set, keypoints_lib.LSP_14.names)
  k = keypoints_lib.get(keypoint_set).size
  if numbers is None:
    lo, hi = SPLITS[split]
    numbers = range(lo, min(hi, len(joints)) + 1)
  for number in numbers:
    if not 1 <= number <= len(joints):
      raise ValueError(f"image number {number} out of range 1..{len(joints)}.")
    name = image_name(kind, number)
    path = os.path.join(root, "images", name)
    try:
      with open(path, "rb") as f:
        image = f.read()
    except OSError as e:
      if skip_missing:
        continue
      raise ValueError(f"cannot read {path}: {e}") from e
    j = joints[number - 1]
    xy = np.zeros([k, 2], np.float32)
    labelled = np.zeros([k], np.float32)
    visible = np.zeros([k], np.float32)
    for src, dst in mapping.items():
      if j[src, 2] > 0:
        xy[dst] = j[src, :2] - 1.0   # MATLAB's 1-based pixels → 0-based.
        labelled[dst] = 1.0
        visible[dst] = 1.0 if occluded is None else 1.0 - occluded[
            number - 1, src]
    if labelled.sum() < 2:
      continue   # Too few joints for a box.
    yield record.Example(
        image=image, keypoint_set=keypoint_set, keypoints=xy,
        labelled=labelled, visible=visible,
        box=record.box_from_keypoints(xy, labelled), source=kind, name=name)
