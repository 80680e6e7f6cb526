"""Unite the People (Lassner et al. CVPR 2017): UP-3D images with their SMPL
fits' silhouettes, and UPi-S1h's hand-made person masks for LSP / LSPET,
read from their own files into `record.Example`s.

UP-3D (`up-3d/`), per image number NNNNN (five digits):

  NNNNN_image.png          the photograph (cropped around the person)
  NNNNN_joints.npy         `[3, 14]` x, y, flag in LSP's joint order; the
                           flag is 1 where the joint is annotated (SPIN
                           reads it as the joint's confidence)
  NNNNN_render_light.png   the SMPL fit rendered over a white background,
                           the image's size: the silhouette is every pixel
                           that is not pure white (as SPIN reads it)
  NNNNN_body.pkl, _render.png, _dataset_info.txt ("lsp 1001": where the
  image comes from), _fit_crop_info.txt, _quality_info.txt (unused here)
  train.txt, val.txt, test.txt, trainval.txt   lines "/NNNNN_image.png"

Joints with flag 0 are unlabelled (`visible` = labelled: no occlusion
flags); a `[2, 14]` joints file counts joints with x, y > 0 as labelled
(UP's own rule). Coordinates are used as shipped.

UPi-S1h (`upi-s1h/`, in `data/` or not): `lsp/im%04d_segmentation.png`
(grey 0 / 255, LSP's 2,000 images; SPIN pairs them with `lsp_dataset`'s
images, and a mask whose size differs from its image is an error) and
`lsp_extended/im%05d_segmentation.png` (RGB, the mask in the first
channel; a few are missing, e.g. im00050); its `mpii/` masks are numbered
by UP's own index into MPII and are not read here. `with_s1h_silhouettes`
attaches these masks to `human2d.lsp.examples`, keeping the images that
have one (or all of them: `human2d.evaluate --lsp_masks`).
"""

import dataclasses
import logging
import os
import re
from typing import Iterable, Iterator, Optional

import numpy as np

from body import keypoints as keypoints_lib
from human2d import conversion
from human2d import record

SPLITS = ("train", "val", "test", "trainval")
S1H_FOLDERS = {"lsp": ("lsp", "im{:04d}_segmentation.png"),
               "lspet": ("lsp_extended", "im{:05d}_segmentation.png")}
_LINE = re.compile(r"(\d{5})_image\.png$")


def split_numbers(root: str, split: str) -> Iterator[int]:
  """The image numbers that `root/<split>.txt` lists, in its order."""
  if split not in SPLITS:
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
  path = os.path.join(root, f"{split}.txt")
  try:
    with open(path) as f:
      lines = f.read().splitlines()
  except OSError as e:
    raise ValueError(f"cannot read the UP-3D split {path}: "
                     f"{e.strerror or e}") from e
  for n, line in enumerate(lines, 1):
    if line.strip():
      match = _LINE.search(line.strip())
      if not match:
        raise ValueError(f"{path}: line {n}: expected '/NNNNN_image.png', "
                         f"got {line.strip()!r}.")
      yield int(match.group(1))


def read_joints(path: str) -> np.ndarray:
  """`[14, 3]` x, y, labelled of a `NNNNN_joints.npy`."""
  try:
    joints = np.load(path, allow_pickle=False)
  except (OSError, ValueError) as e:
    raise ValueError(f"cannot read joints from {path}: {e}") from e
  joints = np.asarray(joints, np.float64)
  if joints.shape == (2, 14):
    flags = np.all(joints > 0, axis=0)
  elif joints.shape == (3, 14):
    flags = joints[2] > 0
  else:
    raise ValueError(f"{path}: joints must be [3, 14] (or [2, 14]), got "
                     f"{joints.shape}.")
  flags &= np.all(np.isfinite(joints[:2]), axis=0)
  return np.stack([joints[0], joints[1], flags.astype(np.float64)], axis=1)


def render_mask(path: str) -> np.ndarray:
  """bool `[H, W]`: the pixels of a rendering that are not pure white."""
  import cv2  # Local: only silhouettes need it.
  image = cv2.imread(path, cv2.IMREAD_COLOR)
  if image is None:
    raise ValueError(f"cannot read the rendering {path}.")
  return image.min(axis=2) < 255


def _example(root, number, keypoint_set, silhouettes):
  stem = os.path.join(root, f"{number:05d}")
  image = conversion.read_bytes(f"{stem}_image.png")
  joints = read_joints(f"{stem}_joints.npy")
  xy, labelled, visible = conversion.map_keypoints(
      joints[:, :2], joints[:, 2], joints[:, 2], keypoints_lib.LSP_14.names,
      keypoint_set)
  if labelled.sum() < 2:
    return None   # Too few joints for a box.
  silhouette = b""
  if silhouettes:
    mask = render_mask(f"{stem}_render_light.png")
    conversion.check_mask(mask, conversion.image_size(image),
                          "the rendering")
    silhouette = record.png_mask(mask)
  return record.Example(
      image=image, keypoint_set=keypoint_set, keypoints=xy,
      labelled=labelled, visible=visible,
      box=record.box_from_keypoints(xy, labelled), source="up3d",
      name=f"{number:05d}_image.png", silhouette=silhouette)


def examples(root: str, split: str = "trainval",
             keypoint_set: str = "COCO_21_LSP", silhouettes: bool = True,
             skip_bad: bool = False) -> Iterator[record.Example]:
  """The images of a UP-3D split with their joints and silhouettes.

  Args:
    root: the `up-3d` folder.
    split: "train", "val", "test" or "trainval" (UP's split files).
    keypoint_set: the set the 14 LSP joints are mapped into by name.
    silhouettes: attach the fit's silhouette (`_render_light.png`).
    skip_bad: log and skip a broken image instead of raising.

  Raises:
    ValueError: naming the file and the image number that is broken, unless
      `skip_bad`.
  """
  for number in split_numbers(root, split):
    ex = conversion.guarded(
        os.path.join(root, f"{split}.txt"), f"image {number:05d}", skip_bad,
        _example, root, number, keypoint_set, silhouettes)
    if ex is not None:
      yield ex


def s1h_folder(s1h_root: str, kind: str) -> str:
  """UPi-S1h's mask folder for LSP (`kind` "lsp") or LSPET ("lspet")."""
  if kind not in S1H_FOLDERS:
    raise ValueError(f"kind must be one of {sorted(S1H_FOLDERS)}, got "
                     f"{kind!r}.")
  sub = S1H_FOLDERS[kind][0]
  for folder in (os.path.join(s1h_root, "data", sub),
                 os.path.join(s1h_root, sub)):
    if os.path.isdir(folder):
      return folder
  raise ValueError(f"no UPi-S1h masks for {kind} under {s1h_root!r} (looked "
                   f"for data/{sub}/ and {sub}/).")


def s1h_mask(path: str) -> Optional[np.ndarray]:
  """bool `[H, W]` of a UPi-S1h mask (grey, or RGB with the mask in the
  first channel); None when the file does not exist."""
  import cv2  # Local: only silhouettes need it.
  if not os.path.exists(path):
    return None
  mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
  if mask is None:
    raise ValueError(f"cannot read the mask {path}.")
  if mask.ndim == 3:
    mask = mask[..., 2]   # OpenCV's BGR: the first channel is the last.
  return mask > 0


def _attach(ex: record.Example, folder, pattern):
  match = re.search(r"(\d+)", ex.name)
  if not match:
    raise ValueError(f"no image number in {ex.name!r}.")
  mask = s1h_mask(os.path.join(folder, pattern.format(int(match.group(1)))))
  if mask is None:
    return None
  conversion.check_mask(mask, conversion.image_size(ex.image),
                        "the UPi-S1h mask")
  return dataclasses.replace(ex, silhouette=record.png_mask(mask),
                             source=f"{ex.source}+upi_s1h")


def with_s1h_silhouettes(lsp_examples: Iterable[record.Example],
                         s1h_root: str, kind: str, skip_bad: bool = False,
                         keep_missing: bool = False
                         ) -> Iterator[record.Example]:
  """`human2d.lsp.examples(…, kind)` with UPi-S1h's mask of each image as
  the silhouette; images without a mask are left out (and counted), or
  kept without a silhouette when `keep_missing` (evaluation: their
  keypoints still count).

  Raises:
    ValueError: when the mask folder is missing, or naming the mask whose
      size differs from its image (e.g. LSP's original-size images instead
      of `lsp_dataset`'s), unless `skip_bad`.
  """
  folder = s1h_folder(s1h_root, kind)
  pattern = S1H_FOLDERS[kind][1]
  missing = 0
  for ex in lsp_examples:
    out = conversion.guarded(folder, ex.name, skip_bad, _attach, ex, folder,
                             pattern)
    if out is None:
      missing += 1
      if keep_missing:
        yield ex
    else:
      yield out
  if missing:
    logging.warning("%s: %d %s images had no (usable) UPi-S1h mask and were "
                    "%s.", folder, missing, kind,
                    "kept without one" if keep_missing else "left out")
