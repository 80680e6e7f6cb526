"""Human2D's metrics and evaluation loop.

Metrics (all over labelled points only; crop pixels unless said otherwise):
  PCK@α (torso)  a point is correct when within α × torso size of the truth;
                 torso size = distance from the left shoulder to the right
                 hip (the LSP convention; falls back to the right shoulder –
                 left hip diagonal when those are not labelled).
  PCKh@α         within α × head size (where the data set gives one).
  mean error     pixels of the crop.
  PCK12          PCK@0.2 on the 12 limb joints that LSP scores.

Silhouettes (where a record has a mask), in the original image's pixels,
as Pavlakos et al. (CVPR 2018) Table 5 and Unite the People score LSP: the
64² body probability is warped back through the crop's inverse transform
(`silhouette_to_image`, bilinear; outside the crop is background) and
thresholded at 0.5; the truth is the record's full-size mask.
`segmentation_scores` gives:
  IoU            of the body, per image, averaged over images (1 for two
                 empty masks).
  fg acc         per-pixel accuracy over the whole image, pooled over the set
                 (correct pixels of all images / all pixels), as SPIN's LSP
                 evaluation does ("consistent with the original UP-3D code",
                 its comment says): Table 5's fg-bg accuracy.
  fg F1          UP's F1 (the same code): 2TP / (2TP + FP + FN) of each
                 class (body and background) from counts pooled over the
                 set, averaged over the two classes (UP's protocol, which
                 Table 5 follows).
  body F1        the body class's pooled F1 alone (precision and recall of
                 the body). A class absent from both prediction and truth
                 scores 1.
All in %. Table 5's six-part segmentation needs part labels, which Human2D
does not predict, so no part accuracy / F1 is computed.

The LSP protocol (`crops_from_records`): each image is cropped from the box
of its annotated joints, centred, side 1.25 × the box's larger side,
resized to the network's input, as hourglass papers evaluate LSP;
predictions are mapped back to image pixels and PCK is computed there.
"""

from typing import Dict, Iterable, List, NamedTuple, Sequence

import cv2
import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from human2d import data as data_lib
from human2d import record

LIMBS_12 = ("right_ankle", "right_knee", "right_hip", "left_hip", "left_knee",
            "left_ankle", "right_wrist", "right_elbow", "right_shoulder",
            "left_shoulder", "left_elbow", "left_wrist")


def torso_size(xy: np.ndarray, labelled: np.ndarray,
               names: Sequence[str]) -> np.ndarray:
  """`[N]` torso sizes (left shoulder ↔ right hip, else right shoulder ↔ left
  hip); NaN where neither pair is labelled."""
  idx = {n: i for i, n in enumerate(names)}
  out = np.full([len(xy)], np.nan)
  for a, b in (("left_shoulder", "right_hip"), ("right_shoulder", "left_hip")):
    if a not in idx or b not in idx:
      continue
    ok = (labelled[:, idx[a]] > 0) & (labelled[:, idx[b]] > 0) & np.isnan(out)
    d = np.linalg.norm(xy[:, idx[a]] - xy[:, idx[b]], axis=-1)
    out[ok] = d[ok]
  return out


def pck(pred: np.ndarray, truth: np.ndarray, labelled: np.ndarray,
        scale: np.ndarray, alpha: float) -> np.ndarray:
  """`[K]` PCK per keypoint (NaN where nothing is labelled).

  Args:
    pred, truth: `[N, K, 2]`.
    labelled: `[N, K]`.
    scale: `[N]` normaliser (examples with NaN / ≤ 0 are left out).
    alpha: threshold as a fraction of `scale`.
  """
  ok = labelled > 0
  ok &= (np.isfinite(scale) & (scale > 0))[:, None]
  dist = np.linalg.norm(pred - truth, axis=-1)
  hit = (dist <= alpha * np.nan_to_num(scale)[:, None]) & ok
  with np.errstate(invalid="ignore"):
    return hit.sum(0) / np.where(ok.sum(0) > 0, ok.sum(0), np.nan)


class SegmentationCounts(NamedTuple):
  """Pixel counts per image `[N]` of a thresholded silhouette against its
  truth: body in both (`tp`), predicted only (`fp`), true only (`fn`),
  background in both (`tn`)."""
  tp: np.ndarray
  fp: np.ndarray
  fn: np.ndarray
  tn: np.ndarray


def segmentation_counts(pred, truth,
                        threshold: float = 0.5) -> SegmentationCounts:
  """Counts of `[..., H, W]` probability maps or masks (both binarised at
  > `threshold`), one per leading index (`[...]`)."""
  pred, truth = np.asarray(pred), np.asarray(truth)
  if pred.ndim < 2 or pred.shape != truth.shape:
    raise ValueError(f"pred and truth must have the same shape [..., H, W], "
                     f"got {pred.shape} and {truth.shape}.")
  p, t = pred > threshold, truth > threshold
  return SegmentationCounts(*[(a & b).sum(axis=(-2, -1)) for a, b in (
      (p, t), (p, ~t), (~p, t), (~p, ~t))])


def _ratio(num, den):
  """num / den, 1 where den is 0 (nothing to get wrong)."""
  num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
  return np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)


def iou(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
  """`[N]` body IoU of `[N, H, W]` probability maps thresholded at 0.5."""
  c = segmentation_counts(pred, truth)
  return _ratio(c.tp, c.tp + c.fp + c.fn)


def segmentation_scores(counts: SegmentationCounts) -> Dict[str, float]:
  """`IoU`, `fg acc`, `fg F1`, `body F1` in % of a set's per-image counts
  (aggregated as the module docstring says: IoU averaged over images, the
  rest pooled over pixels as Unite the People does)."""
  tp, fp, fn, tn = (np.asarray(x, np.float64).ravel() for x in counts)
  pixels = (tp + fp + fn + tn).sum()
  if not pixels:
    raise ValueError(f"no pixels to score ({len(tp)} images).")
  body_f1 = _ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum())
  background_f1 = _ratio(2 * tn.sum(), 2 * tn.sum() + fp.sum() + fn.sum())
  return {"IoU": 100.0 * float(_ratio(tp, tp + fp + fn).mean()),
          "fg acc": 100.0 * float((tp.sum() + tn.sum()) / pixels),
          "fg F1": 100.0 * float(0.5 * (body_f1 + background_f1)),
          "body F1": 100.0 * float(body_f1)}


def silhouette_to_image(silhouette: np.ndarray, transform: np.ndarray,
                        crop_size: int, image_shape) -> np.ndarray:
  """A crop's `[M, M]` body probability → `[H, W]` in the image it was cut
  from: bilinear between silhouette pixel centres, the edge value out to
  the crop's edge, 0 outside the crop.

  Args:
    silhouette: `[M, M]`; pixel u covers crop pixels s·u … s·u + s − 1
      (s = crop_size / M), so its centre is crop x = s·u + (s − 1) / 2.
    transform: `[2, 3]` crop pixel → image pixel (`data.crop_transform`).
    crop_size: S, the crop's side.
    image_shape: (H, W) of the image.
  """
  silhouette = np.asarray(silhouette, np.float32)
  transform = np.asarray(transform, np.float64)
  if silhouette.ndim != 2 or silhouette.shape[0] != silhouette.shape[1]:
    raise ValueError(f"silhouette must be [M, M], got {silhouette.shape}.")
  if transform.shape != (2, 3):
    raise ValueError(f"transform must be [2, 3], got {transform.shape}.")
  h, w = (int(n) for n in image_shape[:2])
  stride = crop_size / silhouette.shape[0]
  inv = np.linalg.inv(transform[:, :2])
  to_crop = np.concatenate([inv, -inv @ transform[:, 2:]], axis=1)
  to_sil = to_crop / stride
  to_sil[:, 2] -= (stride - 1) / (2 * stride)
  out = cv2.warpAffine(silhouette, to_sil, (w, h),
                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_REPLICATE)
  ys, xs = np.mgrid[0:h, 0:w]
  crop = np.einsum("ij,jhw->ihw", to_crop, np.stack([xs, ys, np.ones_like(
      xs)]).astype(np.float64))
  inside = np.all((crop >= -0.5) & (crop < crop_size - 0.5), axis=0)
  return np.where(inside, out, 0.0).astype(np.float32)


def image_frame_counts(silhouettes: np.ndarray, masks: Sequence[bytes],
                       transforms: np.ndarray,
                       crop_size: int) -> SegmentationCounts:
  """Counts in image pixels for the images that have a mask.

  Args:
    silhouettes: `[N, M, M]` predicted body probability of the crops.
    masks: N PNG person masks of the images' size (b"" where none).
    transforms: `[N, 2, 3]` crop → image.
    crop_size: S.

  Returns:
    `SegmentationCounts` over the images with a mask, in their order.
  """
  if not len(silhouettes) == len(masks) == len(transforms):
    raise ValueError(f"{len(silhouettes)} silhouettes, {len(masks)} masks "
                     f"and {len(transforms)} transforms: give one each.")
  counts = []
  for sil, png, t in zip(silhouettes, masks, transforms):
    if not png:
      continue
    truth = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    if truth is None:
      raise ValueError("could not decode a silhouette PNG.")
    pred = silhouette_to_image(sil, t, crop_size, truth.shape)
    counts.append(segmentation_counts(pred, truth > 127))
  if not counts:
    return SegmentationCounts(*[np.zeros([0], np.int64)] * 4)
  return SegmentationCounts(*[np.stack(c) for c in zip(*counts)])


def summarise(pred, truth, labelled, names: Sequence[str],
              head_size=None) -> Dict[str, float]:
  """The table row of a set: PCK@0.2 (all labelled points and the 12 limb
  joints), PCK@0.1, PCKh@0.5 where head sizes exist, mean error."""
  torso = torso_size(truth, labelled, names)
  out = {}
  per_kp = pck(pred, truth, labelled, torso, 0.2)
  limb_ids = [names.index(n) for n in LIMBS_12 if n in names]
  lab = labelled > 0
  ok = lab & np.isfinite(torso)[:, None]

  def mean_over(ids):
    hits = (np.linalg.norm(pred - truth, axis=-1) <= 0.2 * np.nan_to_num(
        torso)[:, None]) & ok
    sel = np.zeros_like(ok)
    sel[:, ids] = True
    return 100.0 * (hits & sel).sum() / max((ok & sel).sum(), 1)

  out["PCK@0.2"] = mean_over(list(range(len(names))))
  out["PCK12@0.2"] = mean_over(limb_ids)
  hits01 = (np.linalg.norm(pred - truth, axis=-1) <= 0.1 * np.nan_to_num(
      torso)[:, None]) & ok
  out["PCK@0.1"] = 100.0 * hits01.sum() / max(ok.sum(), 1)
  if head_size is not None and np.any(np.asarray(head_size) > 0):
    hs = np.where(np.asarray(head_size) > 0, head_size, np.nan)
    out["PCKh@0.5"] = 100.0 * np.nanmean(np.where(
        lab, np.linalg.norm(pred - truth, axis=-1) <= 0.5 * np.nan_to_num(
            hs)[:, None], np.nan)[np.isfinite(hs)])
  out["mean px"] = float(np.linalg.norm(pred - truth, axis=-1)[lab].mean())
  out["per keypoint"] = {n: float(100 * v) for n, v in zip(names, per_kp)
                         if np.isfinite(v)}
  return out


def crops_from_records(path: str, keypoint_set: str, size: int,
                       limit: int = 0):
  """Un-augmented crops of every record (the LSP protocol's crop).

  Returns:
    dict of NumPy arrays: `crops` `[N, S, S, 3]` uint8, `keypoints` (image
    pixels) `[N, K, 2]`, `labelled` `[N, K]`, `transforms` `[N, 2, 3]`
    (crop → image), `head_size` `[N]` (image pixels), and lists `masks`
    (each record's PNG person mask, b"" where none) and `names`.
  """
  ds = tf.data.TFRecordDataset(record.record_files(path)).map(
      record.parse_fn(keypoint_set))
  if limit:
    ds = ds.take(limit)
  out: Dict[str, List] = {k: [] for k in (
      "crops", "keypoints", "labelled", "transforms", "masks",
      "head_size", "names")}
  for ex in ds:
    image = tf.io.decode_image(ex["image"], channels=3,
                               expand_animations=False)
    centre, side = data_lib.box_crop(ex["box"])
    t = data_lib.crop_transform(centre, side, size)
    crop = data_lib.warp_image(image, t, size)
    out["crops"].append(np.clip(np.round(crop.numpy()), 0, 255).astype(
        np.uint8))
    out["keypoints"].append(ex["keypoints"].numpy())
    out["labelled"].append(ex["labelled"].numpy())
    out["transforms"].append(t.numpy())
    out["masks"].append(ex["silhouette"].numpy())
    out["head_size"].append(float(ex["head_size"]))
    out["names"].append(ex["name"].numpy().decode())
  if not out["crops"]:
    raise ValueError(f"no records in {path}.")
  return {k: (v if k in ("masks", "names") else np.stack(v))
          for k, v in out.items()}


def write_rendered(path: str, num: int, seed: int, keypoint_set: str,
                   background_dirs=()) -> int:
  """Renders `num` people (`synth.images`, `seed`) into a TFRecord of the
  `record` schema (PNG image, keypoints in the set, `labelled` = inside the
  image, `visible`, box of the labelled points, the drawn silhouette), so
  they are evaluated exactly like photos, IoU included. Returns the count."""
  from synth import images as images_lib   # pylint: disable=g-import-not-at-top
  renderer = images_lib.ImageRenderer(images_lib.ImageConfig(
      keypoint_set=keypoint_set, background_dirs=tuple(background_dirs),
      batch_size=min(num, 16)))
  rng = images_lib.batch_rng(seed, 0)

  def examples():
    done = 0
    while done < num:
      n = min(16, num - done)
      batch = renderer.render(rng, n)
      for i in range(n):
        ok, png = cv2.imencode(".png", batch["image"][i][..., ::-1])
        if not ok:
          raise ValueError("could not encode a rendered image.")
        labelled = batch["in_image"][i].astype(np.float32)
        yield record.Example(
            image=png.tobytes(), keypoint_set=keypoint_set,
            keypoints=batch["keypoints"][i], labelled=labelled,
            visible=batch["visible"][i].astype(np.float32),
            box=record.box_from_keypoints(batch["keypoints"][i], labelled),
            source="rendered", name=f"rendered_{seed}_{done + i}",
            silhouette=record.png_mask(batch["silhouette256"][i] > 0))
      done += n

  return record.write(examples(), path)


def to_image(xy_crop: np.ndarray, transforms: np.ndarray) -> np.ndarray:
  """Crop pixels `[N, K, 2]` → image pixels through `[N, 2, 3]` maps."""
  return (np.einsum("nij,nkj->nki", transforms[:, :, :2], xy_crop) +
          transforms[:, None, :, 2])


def format_table(rows: Dict[str, Dict[str, float]],
                 columns: Iterable[str]) -> str:
  columns = list(columns)
  lines = ["| set | " + " | ".join(columns) + " |",
           "|---" * (len(columns) + 1) + "|"]
  for name, row in rows.items():
    cells = [f"{row[c]:.1f}" if c in row and np.isfinite(row[c]) else "–"
             for c in columns]
    lines.append(f"| {name} | " + " | ".join(cells) + " |")
  return "\n".join(lines)
