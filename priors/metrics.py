"""Accuracy metrics for recovered bodies, in millimetres (NumPy, float64).

Dimensions: B batch, N points (joints or keypoints), V vertices, H×W image.
3D inputs are in metres and 3D outputs in millimetres; 2D inputs and
thresholds are in pixels.

Root conventions (what "root-aligned" means below):
  * `mpjpe`, `pck3d`, `auc3d`: each skeleton is translated so that its root
    is at the origin, the root being the mean of the points listed in `root`
    (pelvis = joint 0 for SMPL_24; the mid-hip (left_hip + right_hip) / 2 for
    COCO_17, COCO_21 and LSP_14, as in Human3.6M / MPI-INF-3DHP practice; see
    `root_indices`). `root=None` compares the points as they are.
  * `pa_mpjpe`: the prediction is aligned to the ground truth by the
    similarity transform (scale, rotation, translation) minimising the squared
    error, with det(R) = +1 enforced (a mirror image is not a valid
    alignment); the root plays no part.
  * `pve`: each mesh is translated by its own root point (`pred_root`,
    `gt_root`, usually the pelvis joint of the same forward pass); no rotation
    or scale alignment, so global-orientation errors count, as in the paper.

Every function returns one value per sample (`[B]`); average with
`np.mean` (all samples weigh the same).
"""

from typing import Optional, Sequence

import numpy as np

from body import keypoints as keypoints_lib

_MM = 1000.0
# MPI-INF-3DHP's AUC: PCK averaged over 31 thresholds 0, 5, ..., 150 mm.
AUC_THRESHOLDS_MM = np.linspace(0.0, 150.0, 31)


def root_indices(kset: keypoints_lib.KeypointSet) -> Sequence[int]:
  """The points whose mean is the root of `kset` (pelvis or mid-hip)."""
  if "pelvis" in kset.names:
    return (kset.names.index("pelvis"),)
  return (kset.names.index("left_hip"), kset.names.index("right_hip"))


def _points(name: str, value, last: int = 3) -> np.ndarray:
  value = np.asarray(value, dtype=np.float64)
  if value.ndim != 3 or value.shape[-1] != last:
    raise ValueError(
        f"{name} must have shape [B, N, {last}], got {value.shape}.")
  return value


def _pair(pred, gt, last: int = 3):
  pred = _points("pred", pred, last)
  gt = _points("gt", gt, last)
  if pred.shape != gt.shape:
    raise ValueError(
        f"pred and gt must have the same shape, got {pred.shape} and "
        f"{gt.shape}.")
  return pred, gt


def _center(points: np.ndarray, root: Optional[Sequence[int]]) -> np.ndarray:
  if root is None:
    return points
  root = list(root)
  return points - points[:, root].mean(axis=1, keepdims=True)


def joint_errors(pred, gt, root: Optional[Sequence[int]] = (0,)
                 ) -> np.ndarray:
  """`[B, N]` root-aligned Euclidean distances, mm."""
  pred, gt = _pair(pred, gt)
  diff = _center(pred, root) - _center(gt, root)
  return _MM * np.linalg.norm(diff, axis=-1)


def mpjpe(pred, gt, root: Optional[Sequence[int]] = (0,)) -> np.ndarray:
  """Mean per-joint position error after root alignment, `[B]` mm.

  Args:
    pred: `[B, N, 3]` predicted points, metres.
    gt: `[B, N, 3]` ground truth, metres.
    root: indices whose mean is the root, or None for no alignment.
  """
  return joint_errors(pred, gt, root).mean(axis=1)


def similarity_align(pred, gt) -> np.ndarray:
  """`pred` mapped by the best similarity transform onto `gt`, `[B, N, 3]`.

  Umeyama (1991): with centred X (pred) and Y (gt), U Σ Vᵀ = svd(Xᵀ Y),
  R = V D Uᵀ with D = diag(1, 1, sign det(V Uᵀ)) (the reflection fix),
  s = tr(Σ D) / ‖X‖², t = ȳ − s R x̄.
  """
  pred, gt = _pair(pred, gt)
  mu_x = pred.mean(axis=1, keepdims=True)
  mu_y = gt.mean(axis=1, keepdims=True)
  x = pred - mu_x
  y = gt - mu_y
  u, sigma, vt = np.linalg.svd(np.einsum("bni,bnj->bij", x, y))
  v = np.swapaxes(vt, 1, 2)
  d = np.ones_like(sigma)
  d[:, 2] = np.sign(np.linalg.det(v @ np.swapaxes(u, 1, 2)))
  d[:, 2] = np.where(d[:, 2] == 0, 1.0, d[:, 2])
  rot = v @ (d[:, :, None] * np.swapaxes(u, 1, 2))              # [B, 3, 3]
  var_x = np.sum(x * x, axis=(1, 2))
  scale = np.sum(sigma * d, axis=1) / np.maximum(var_x, 1e-300)  # [B]
  return scale[:, None, None] * np.einsum("bij,bnj->bni", rot, x) + mu_y


def pa_mpjpe(pred, gt) -> np.ndarray:
  """MPJPE after Procrustes (similarity) alignment, `[B]` mm."""
  aligned = similarity_align(pred, gt)
  return _MM * np.linalg.norm(aligned - np.asarray(gt, np.float64),
                              axis=-1).mean(axis=1)


def pve(pred_vertices, gt_vertices, pred_root=None, gt_root=None
        ) -> np.ndarray:
  """Mean per-vertex error, `[B]` mm.

  Args:
    pred_vertices: `[B, V, 3]` metres.
    gt_vertices: `[B, V, 3]` metres (same topology).
    pred_root: `[B, 3]` subtracted from `pred_vertices` (e.g. its pelvis), or
      None.
    gt_root: `[B, 3]` subtracted from `gt_vertices`, or None.
  """
  pred, gt = _pair(pred_vertices, gt_vertices)
  if pred_root is not None:
    pred = pred - np.asarray(pred_root, np.float64).reshape(-1, 1, 3)
  if gt_root is not None:
    gt = gt - np.asarray(gt_root, np.float64).reshape(-1, 1, 3)
  return _MM * np.linalg.norm(pred - gt, axis=-1).mean(axis=1)


def pck3d(pred, gt, threshold_mm: float = 150.0,
          root: Optional[Sequence[int]] = (0,)) -> np.ndarray:
  """Fraction of root-aligned points within `threshold_mm`, `[B]` in [0, 1]."""
  return (joint_errors(pred, gt, root) <= threshold_mm).mean(axis=1)


def auc3d(pred, gt, root: Optional[Sequence[int]] = (0,),
          thresholds_mm=AUC_THRESHOLDS_MM) -> np.ndarray:
  """Area under the 3D PCK curve over `thresholds_mm` (default 0–150 mm in
  5 mm steps), normalised to [0, 1], `[B]`: the mean of the PCKs."""
  errors = joint_errors(pred, gt, root)                           # [B, N]
  thresholds = np.asarray(thresholds_mm, np.float64)
  return (errors[:, :, None] <= thresholds).mean(axis=(1, 2))


def pck2d(pred, gt, threshold_px, mask=None) -> np.ndarray:
  """Fraction of 2D points within `threshold_px` pixels, `[B]`.

  Args:
    pred: `[B, K, 2]` pixels.
    gt: `[B, K, 2]` pixels.
    threshold_px: distance threshold in pixels, one for all samples or `[B]`,
      one per sample.
    mask: `[B, K]` bool, the points that count (e.g. visible ones); None for
      all. A sample with no counted point scores NaN (use `np.nanmean`).
  """
  pred, gt = _pair(pred, gt, last=2)
  threshold = np.asarray(threshold_px, np.float64)
  if threshold.ndim > 1 or threshold.size not in (1, len(pred)):
    raise ValueError(f"threshold_px must be a number or have shape "
                     f"[{len(pred)}], got {threshold.shape}.")
  hit = np.linalg.norm(pred - gt, axis=-1) <= threshold.reshape(-1, 1)
  if mask is None:
    mask = np.ones(hit.shape, bool)
  mask = np.asarray(mask, bool)
  if mask.shape != hit.shape:
    raise ValueError(f"mask must have shape {hit.shape}, got {mask.shape}.")
  count = mask.sum(axis=1)
  with np.errstate(invalid="ignore", divide="ignore"):
    return np.where(count > 0, (hit & mask).sum(axis=1) / count, np.nan)


def pckh(pred, gt, head_size_px, alpha: float = 0.5, found=None,
         mask=None) -> np.ndarray:
  """MPII's PCKh@alpha, `[B]`: the fraction of points within `alpha` times the
  sample's head size (MPII: 0.6 × the diagonal of the head box) that the
  detector reported (`found`, `[B, K]` bool; None: all). A point the detector
  missed counts as wrong, as an MPII prediction must name every joint.

  Args:
    pred, gt: `[B, K, 2]` pixels (or any unit the head sizes share).
    head_size_px: `[B]` head sizes, pixels.
    alpha: the threshold in head sizes (0.5 is the standard, 0.1 the strict).
    found: `[B, K]` bool, the points the detector reported.
    mask: `[B, K]` bool, the points that count (MPII: the annotated ones).
  """
  pred, gt = _pair(pred, gt, last=2)
  if found is not None:
    found = np.asarray(found, bool)
    # A missed point is placed infinitely far away.
    pred = np.where(found[..., None], pred, np.inf)
  return pck2d(pred, gt, alpha * np.asarray(head_size_px, np.float64), mask)


def silhouette_iou(pred, gt, threshold: float = 0.5) -> np.ndarray:
  """Intersection over union of binarised masks, `[B]`; 1 for two empty
  masks.

  Args:
    pred: `[B, H, W]` masks or probabilities (binarised at > `threshold`).
    gt: `[B, H, W]` masks or probabilities (same).
  """
  pred = np.asarray(pred)
  gt = np.asarray(gt)
  if pred.ndim != 3 or pred.shape != gt.shape:
    raise ValueError(f"pred and gt must have the same shape [B, H, W], got "
                     f"{pred.shape} and {gt.shape}.")
  p = pred > threshold
  g = gt > threshold
  inter = (p & g).sum(axis=(1, 2))
  union = (p | g).sum(axis=(1, 2))
  return np.where(union > 0, inter / np.maximum(union, 1), 1.0)
