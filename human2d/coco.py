"""COCO keypoints (Lin et al. ECCV 2014) read from its own files into
`record.Example`s, one per annotated person, with the person's mask.

On disk: `annotations/person_keypoints_<split>.json` and
`<split>/<file_name>` (e.g. split "train2017"). The JSON:

  images       [{id, file_name, height, width}, …]
  categories   [{id, name: "person", keypoints: [17 names]}, …]
  annotations  [{id, image_id, category_id, iscrowd, num_keypoints,
                 keypoints: [x1, y1, v1, …] (17 × 3),
                 bbox: [x, y, w, h],
                 segmentation: polygons [[x, y, x, y, …], …] or RLE
                   {size: [h, w], counts: [runs…] or "compressed"}}, …]

v = 0 unlabelled (x = y = 0), 1 labelled but not visible, 2 visible. The 17
points map 1:1 by name (from the file's `categories`). Crowd annotations
(`iscrowd` = 1, groups without keypoints) are skipped.

Coordinates: COCO's keypoints are pixel indices (centres at integers, as
in `human2d.record`); boxes and polygons are continuous with pixel
corners at integers, so they are shifted by −0.5. The silhouette is the
person's own mask (other people in the image are background), rasterised
from the polygons (the pixels whose centres are inside) or decoded from the RLE
(run lengths over the column-major image, starting with background; the
compressed string form as in the COCO API's `rleFrString`).
"""

import json
import logging
import os
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from body import keypoints as keypoints_lib
from human2d import conversion
from human2d import record


def annotation_path(root: str, split: str) -> str:
  return os.path.join(root, "annotations", f"person_keypoints_{split}.json")


def decode_counts(counts: str) -> List[int]:
  """COCO's compressed RLE string → run lengths (each run 5 bits a
  character, offset 48, 0x20 = more follows, sign from the last 0x10, runs
  after the third stored as the difference to the run two before)."""
  runs: List[int] = []
  p = 0
  data = counts.encode() if isinstance(counts, str) else bytes(counts)
  while p < len(data):
    x, k, more = 0, 0, True
    while more:
      if p >= len(data):
        raise ValueError("compressed RLE ends inside a number.")
      c = data[p] - 48
      if not 0 <= c < 64:
        raise ValueError(f"character {chr(data[p])!r} is not RLE.")
      x |= (c & 0x1F) << (5 * k)
      more = bool(c & 0x20)
      p += 1
      k += 1
      if not more and c & 0x10:
        x |= -1 << (5 * k)
    if len(runs) > 2:
      x += runs[-2]
    runs.append(x)
  return runs


def rle_mask(rle: Dict, size: Tuple[int, int]) -> np.ndarray:
  """A COCO RLE (`counts` a list or a compressed string) → bool `[H, W]`."""
  h, w = (int(v) for v in rle["size"])
  if (h, w) != tuple(size):
    raise ValueError(f"RLE size {[h, w]} differs from the image's "
                     f"{list(size)}.")
  counts = rle["counts"]
  runs = decode_counts(counts) if isinstance(counts, (str, bytes)) else [
      int(c) for c in counts]
  if any(r < 0 for r in runs) or sum(runs) != h * w:
    raise ValueError(f"RLE runs sum to {sum(runs)} (negative runs: "
                     f"{any(r < 0 for r in runs)}), not {h}·{w} = {h * w}.")
  values = np.arange(len(runs)) % 2   # Background first.
  flat = np.repeat(values.astype(bool), runs)
  return flat.reshape([w, h]).T       # Column-major.


def polygon_mask(polygons: Sequence[Sequence[float]],
                 size: Tuple[int, int]) -> np.ndarray:
  """COCO polygons (`[[x, y, x, y, …], …]`, continuous coordinates, pixel
  corners at integers) → bool `[H, W]`: the pixels whose centres lie inside
  a polygon (even-odd rule per polygon, the union of the polygons)."""
  h, w = size
  mask = np.zeros([h, w], bool)
  for poly in polygons:
    xy = np.asarray(poly, np.float64)
    if xy.ndim != 1 or len(xy) < 6 or len(xy) % 2:
      raise ValueError(f"a polygon needs ≥ 3 (x, y) pairs, got "
                       f"{np.size(xy)} numbers.")
    x0, y0 = xy.reshape(-1, 2).T
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    lo = int(np.clip(np.floor(y0.min()), 0, h))
    hi = int(np.clip(np.ceil(y0.max()), lo, h))
    y = np.arange(lo, hi)[:, None] + 0.5            # [R, 1] row centres.
    cross = (y0 <= y) != (y1 <= y)                  # [R, E] edge spans row.
    with np.errstate(divide="ignore", invalid="ignore"):
      xs = x0 + (y - y0) * (x1 - x0) / (y1 - y0)    # [R, E] crossing x.
    # Pixel x is right of a crossing when its centre x + ½ > xs; each
    # crossing toggles inside / outside from there on.
    start = np.clip(np.floor(xs - 0.5) + 1, 0, w)
    rows, edges = np.nonzero(cross)
    toggles = np.zeros([hi - lo, w + 1], np.int32)
    np.add.at(toggles, (rows, start[rows, edges].astype(np.int64)), 1)
    mask[lo:hi] |= np.cumsum(toggles, axis=1)[:, :w] % 2 == 1
  return mask


def person_mask(segmentation, size: Tuple[int, int]) -> Optional[np.ndarray]:
  """An annotation's `segmentation` → bool `[H, W]`, None when empty."""
  if not segmentation:
    return None
  if isinstance(segmentation, dict):
    return rle_mask(segmentation, size)
  if isinstance(segmentation, list) and all(
      isinstance(s, dict) for s in segmentation):   # A list of RLEs.
    return np.any([rle_mask(s, size) for s in segmentation], axis=0)
  return polygon_mask(segmentation, size)


def _names(data: Dict) -> Tuple[Sequence[str], set]:
  """(keypoint names, person category ids) from `categories`."""
  names, ids = keypoints_lib.COCO_17.names, set()
  for cat in data.get("categories", []):
    if cat.get("name") == "person":
      ids.add(cat["id"])
      names = tuple(cat.get("keypoints") or names)
  return names, ids or {1}


def _example(ann, image_info, image_dir, names, keypoint_set, min_keypoints,
             masks, cache):
  if not isinstance(ann, dict):
    raise ValueError(f"an annotation must be a JSON object, got {ann!r:.80}.")
  if ann.get("iscrowd", 0):
    return None
  kp = np.asarray(ann["keypoints"], np.float64)
  if kp.shape != (3 * len(names),):
    raise ValueError(f"keypoints must hold {3 * len(names)} numbers, got "
                     f"{kp.shape}.")
  kp = kp.reshape(-1, 3)
  if np.any((kp[:, 2] != 0) & (kp[:, 2] != 1) & (kp[:, 2] != 2)):
    raise ValueError(f"visibility flags must be 0, 1 or 2, got "
                     f"{sorted(set(kp[:, 2].tolist()))}.")
  if (kp[:, 2] > 0).sum() < min_keypoints:
    return None
  xy, labelled, visible = conversion.map_keypoints(
      kp[:, :2], kp[:, 2] > 0, kp[:, 2] > 1, names, keypoint_set)
  x, y, w, h = (float(v) for v in ann["bbox"])
  if not (w > 0 and h > 0):
    raise ValueError(f"bbox {ann['bbox']} has no area.")
  if image_info is None:
    raise ValueError(f"image_id {ann['image_id']} is not in `images`.")
  path = os.path.join(image_dir, image_info["file_name"])
  if cache.get("path") != path:
    cache.update(path=path, image=conversion.read_bytes(path))
  silhouette = b""
  if masks:
    size = (int(image_info["height"]), int(image_info["width"]))
    mask = person_mask(ann.get("segmentation"), size)
    if mask is not None:
      silhouette = record.png_mask(mask)
  return record.Example(
      image=cache["image"], keypoint_set=keypoint_set, keypoints=xy,
      labelled=labelled, visible=visible,
      box=np.array([x - 0.5, y - 0.5, x + w - 0.5, y + h - 0.5], np.float32),
      source="coco", name=f"{image_info['file_name']}#{ann.get('id')}",
      silhouette=silhouette)


def examples(root: str, split: str = "train2017",
             keypoint_set: str = "COCO_21_LSP", min_keypoints: int = 1,
             masks: bool = True, annotations: Optional[str] = None,
             images: Optional[str] = None,
             skip_bad: bool = False) -> Iterator[record.Example]:
  """The non-crowd people of a COCO keypoints split.

  Args:
    root: the folder with `annotations/` and the image folders.
    split: e.g. "train2017", "val2017" (names the JSON and image folder).
    keypoint_set: the set the 17 points are mapped into by name.
    min_keypoints: people with fewer labelled points are skipped (0 keeps
      people annotated by mask and box only).
    masks: attach each person's mask as the silhouette.
    annotations, images: the JSON file and image folder, when they are not
      where `root` and `split` put them.
    skip_bad: log and skip a broken annotation instead of raising.

  Raises:
    ValueError: naming the JSON file and the annotation (`annotations[i]`,
      its id and image) that is broken, unless `skip_bad`.
  """
  if min_keypoints < 0:
    raise ValueError(f"min_keypoints must be ≥ 0, got {min_keypoints}.")
  path = annotations or annotation_path(root, split)
  image_dir = images or os.path.join(root, split)
  try:
    with open(path) as f:
      data = json.load(f)
    anns = data["annotations"]
    infos = {im["id"]: im for im in data["images"]}
  except (OSError, ValueError, KeyError, TypeError) as e:
    raise ValueError(f"cannot read COCO keypoints from {path}: {e}") from e
  names, person_ids = _names(data)
  logging.info("%s: %d annotations on %d images.", path, len(anns),
               len(infos))
  cache: Dict = {}
  for i, ann in enumerate(anns):
    if isinstance(ann, dict) and ann.get("category_id") not in person_ids:
      continue
    ann_id, image_id = ((ann.get("id"), ann.get("image_id"))
                        if isinstance(ann, dict) else (None, None))
    info = infos.get(image_id)
    entry = (f"annotations[{i}] (id {ann_id}, image "
             f"{info.get('file_name') if info else image_id})")
    ex = conversion.guarded(path, entry, skip_bad, _example, ann, info,
                            image_dir, names, keypoint_set, min_keypoints,
                            masks, cache)
    if ex is not None:
      yield ex
