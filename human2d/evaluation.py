"""Human2D's metrics and evaluation loop.

Metrics (all over labelled points only; crop pixels unless said otherwise):
  PCK@α (torso)  a point is correct when within α × torso size of the truth;
                 torso size = distance from the left shoulder to the right
                 hip (the LSP convention; falls back to the right shoulder –
                 left hip diagonal when those are not labelled).
  PCKh@α         within α × head size (where the data set gives one).
  mean error     pixels of the crop.
  IoU            of the thresholded (0.5) silhouette, where one exists.
  PCK12          PCK@0.2 on the 12 limb joints that LSP scores.

The LSP protocol (`lsp_crops`): each image is cropped from the box of its
annotated joints, centred, side 1.25 × the box's larger side, resized to the
network's input, as hourglass papers evaluate LSP; predictions are mapped
back to image pixels and PCK is computed there.
"""

from typing import Dict, Iterable, List, Sequence

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


def iou(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
  """`[N]` IoU of probability maps thresholded at 0.5."""
  p, t = pred > 0.5, truth > 0.5
  inter = (p & t).sum(axis=(1, 2))
  union = (p | t).sum(axis=(1, 2))
  return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


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
    (crop → image), `silhouettes` `[N, M, M]`, `has_silhouette` `[N]`,
    `head_size` `[N]` (image pixels), `names`.
  """
  ds = tf.data.TFRecordDataset(record.record_files(path)).map(
      record.parse_fn(keypoint_set))
  if limit:
    ds = ds.take(limit)
  out: Dict[str, List] = {k: [] for k in (
      "crops", "keypoints", "labelled", "transforms", "silhouettes",
      "has_silhouette", "head_size", "names")}
  for ex in ds:
    image = tf.io.decode_image(ex["image"], channels=3,
                               expand_animations=False)
    centre, side = data_lib.box_crop(ex["box"])
    t = data_lib.crop_transform(centre, side, size)
    crop = data_lib.warp_image(image, t, size)
    has_sil = len(ex["silhouette"].numpy()) > 0
    if has_sil:
      sil = tf.cast(tf.io.decode_png(ex["silhouette"], 1), tf.float32) / 255.
      sil = data_lib.warp_image(sil, t, size)
      sil = tf.nn.avg_pool2d(sil[None], 4, 4, "VALID")[0, :, :, 0].numpy()
    else:
      sil = np.zeros([size // 4, size // 4], np.float32)
    out["crops"].append(np.clip(np.round(crop.numpy()), 0, 255).astype(
        np.uint8))
    out["keypoints"].append(ex["keypoints"].numpy())
    out["labelled"].append(ex["labelled"].numpy())
    out["transforms"].append(t.numpy())
    out["silhouettes"].append(sil)
    out["has_silhouette"].append(has_sil)
    out["head_size"].append(float(ex["head_size"]))
    out["names"].append(ex["name"].numpy().decode())
  if not out["crops"]:
    raise ValueError(f"no records in {path}.")
  return {k: (np.stack(v) if k != "names" else v) for k, v in out.items()}


def write_rendered(path: str, num: int, seed: int, keypoint_set: str,
                   background_dirs=()) -> int:
  """Renders `num` people (`synth.images`, `seed`) into a TFRecord of the
  `record` schema (PNG image, keypoints in the set, `labelled` = inside the
  image, `visible`, box of the labelled points, the drawn silhouette), so
  they are evaluated exactly like photos, IoU included. Returns the count."""
  import cv2   # pylint: disable=g-import-not-at-top
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
