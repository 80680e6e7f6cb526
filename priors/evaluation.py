"""Evaluation of the priors on a held-out synthetic set.

Dimensions: N examples, K keypoints, J = 24 joints, V vertices.

The predicted body is the body model posed with the PosePrior's θ and shaped
with the ShapePrior's β; the ground truth uses the sample's θ and β. Metrics
(`priors.metrics`, millimetres):

  MPJPE      24 SMPL joints, pelvis-aligned
  PA-MPJPE   24 SMPL joints, similarity-aligned
  PA-MPJPE14 the 14 joints of the common 14-joint protocol (hips, knees,
             ankles, shoulders, elbows, wrists, neck, head: `JOINTS_14`);
             leaves out spine, collars, feet and hands, which 17 COCO
             keypoints hardly constrain
  PVE        all vertices, each mesh translated by its own pelvis (no
             rotation alignment: global orientation counts)
  PVE-gtβ    PVE with the ground-truth β (the PosePrior alone)
  PVE-T      PVE in the rest pose (θ = 0): the ShapePrior alone
  PCK3D      24 joints within 150 mm after pelvis alignment; AUC over 0–150
  PCK2D      keypoints of the predicted mesh, projected with the predicted
             weak-perspective camera, within 5% of the crop (12.8 px at 256)
             of the ground truth, visible keypoints only
  IoU        the predicted mesh's silhouette (same camera) vs the sample's
  Root°      geodesic angle between predicted and true global orientation,
             degrees

and, to say how noisy each row's inputs are in a 2D detector's terms, the
input keypoints' MPII PCKh (`input PCKh@0.5`, `input PCKh@0.1`): the
corrupted keypoints vs the true ones, over the in-frame keypoints, a missed
keypoint counting as wrong, the head size being 0.6 × the diagonal of the
box of the true mesh's head (`head_sizes`), as MPII's 0.6 × the diagonal of
its annotated head box. For comparison, on MPII val (mmpose's model zoo) a
one-stack hourglass (Hourglass-52, 256² input, 64² heatmaps; Human2D stacks
two) scores 88.9 % / 31.7 %, HRNet-W32 90.0 % / 33.4 %.
"""

import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import keypoints as keypoints_lib
from body import lbs
from body import rotation
from priors import metrics
from priors import pose_prior as pose_prior_lib
from priors import roll
from priors import shape_prior as shape_prior_lib
from priors import training
from priors import upright
from synth import corruption

PCK2D_FRACTION = 0.05
JOINTS_14 = (1, 2, 4, 5, 7, 8, 16, 17, 18, 19, 20, 21, 12, 15)
METRIC_NAMES = ("MPJPE", "PA-MPJPE", "PA-MPJPE14", "PVE", "PVE-gtβ", "PVE-T",
                "PCK3D", "AUC", "PCK2D", "IoU", "Root°", "input PCKh@0.5",
                "input PCKh@0.1")
# MPII's head size is this fraction of the head box's diagonal.
HEAD_SIZE_FRACTION = 0.6


@dataclasses.dataclass(frozen=True)
class Predictions:
  """Outputs of both priors on N examples (NumPy).

  Attributes:
    rotmats: `[N, 24, 3, 3]`.
    camera: `[N, 3]` weak perspective (s, t_x, t_y).
    betas: `[N, S]`, or None without a ShapePrior.
    keypoints: `[N, K, 2]` the PosePrior's input keypoints (normalised crop
      coordinates), or None when not known.
    confidence: `[N, K]` their confidences (0: missed), or None.
  """
  rotmats: np.ndarray
  camera: np.ndarray
  betas: Optional[np.ndarray]
  keypoints: Optional[np.ndarray] = None
  confidence: Optional[np.ndarray] = None


def predict(arrays: Dict[str, np.ndarray],
            pose_model: pose_prior_lib.PosePrior,
            shape_model: Optional[shape_prior_lib.ShapePrior],
            noise: corruption.CorruptionConfig, seed: int = 0,
            batch_size: int = 500, keypoint_set: str = "COCO_17",
            flip_test: bool = False,
            upright_assets: Optional[assets_lib.BodyAssets] = None
            ) -> Predictions:
  """Runs the priors on `arrays` with keypoints corrupted by `noise` (and
  `pose_prior.flip_averaged` if `flip_test`). With `upright_assets` (the
  body model of the arrays) the upright test runs as in
  `priors.inference.Priors` (`priors.upright`)."""
  kset = keypoints_lib.get(keypoint_set)
  flip_pairs = kset.flip_pairs
  indices = pelvis = None
  if upright_assets is not None:
    indices = upright.upright_indices(kset.names)
    pelvis = roll.rest_pelvis(upright_assets)
  rot, cam, betas, kps, confs = [], [], [], [], []
  n = len(arrays["theta"])
  for start in range(0, n, batch_size):
    sl = slice(start, start + batch_size)
    kp, conf, _ = corruption.corrupt(
        arrays["keypoints"][sl], arrays["visibility"][sl], noise,
        flip_pairs, [seed, start])
    kps.append(kp.numpy())
    confs.append(conf.numpy())
    angle = upright.roll_angles(kp, conf, indices)
    if indices is not None:
      kp = upright.roll_keypoints(kp, angle)
    if flip_test:
      out = pose_prior_lib.flip_averaged(pose_model, kp, conf, flip_pairs)
    else:
      out = pose_model(kp, conf, training=False)
    rotmats, camera = out.rotmats, out.camera
    beta = None
    if shape_model is not None:
      beta = shape_model(arrays["silhouette"][sl].astype(np.float32),
                         training=False)
      betas.append(beta.numpy())
    if indices is not None:
      if beta is None:      # compute_metrics then poses the true β
        beta = arrays["betas"][sl]
      rotmats, _, camera = upright.unroll(
          rotmats, camera, angle, roll.pelvis_xy(pelvis, beta), out.theta)
    rot.append(rotmats.numpy())
    cam.append(camera.numpy())
  return Predictions(rotmats=np.concatenate(rot), camera=np.concatenate(cam),
                     betas=np.concatenate(betas) if betas else None,
                     keypoints=np.concatenate(kps),
                     confidence=np.concatenate(confs))


def _forward(assets, betas, rotmats, batch_size=500):
  verts, joints = [], []
  for start in range(0, len(rotmats), batch_size):
    sl = slice(start, start + batch_size)
    out = lbs.forward(assets, tf.constant(betas[sl], tf.float32),
                      tf.constant(rotmats[sl], tf.float32))
    verts.append(out.vertices.numpy())
    joints.append(out.joints.numpy())
  return np.concatenate(verts), np.concatenate(joints)


def head_sizes(assets: assets_lib.BodyAssets, vertices: np.ndarray,
               camera: np.ndarray) -> np.ndarray:
  """`[N]` MPII head sizes in normalised crop units: 0.6 × the diagonal of
  the box around the head's vertices (those skinned mostly to the head
  joint) projected with the weak-perspective `camera` `[N, 3]`.

  Args:
    vertices: `[N, V, 3]` posed vertices (model frame, metres).
  """
  head = np.argmax(np.asarray(assets.weights), axis=1) == (
      keypoints_lib.SMPL_JOINT_NAMES.index("head"))
  if not head.any():
    raise ValueError(f"body model {assets.name} has no vertex skinned mostly "
                     f"to the head joint.")
  xy = pose_prior_lib.project_weak_perspective(
      np.asarray(vertices)[:, head], camera).numpy()
  return HEAD_SIZE_FRACTION * np.linalg.norm(xy.max(1) - xy.min(1), axis=-1)


def compute_metrics(assets: assets_lib.BodyAssets,
                    arrays: Dict[str, np.ndarray], pred: Predictions,
                    keypoint_set: str = "COCO_17",
                    crop_size: int = 256, per_sample: bool = False
                    ) -> Dict[str, float]:
  """The metrics of METRIC_NAMES (means over the set), mm / fractions; with
  `per_sample`, `[N]` arrays instead (NaN where a sample has no value, e.g.
  PCK2D without visible keypoints)."""
  num_betas = pred.betas.shape[1] if pred.betas is not None else (
      arrays["betas"].shape[1])
  gt_betas = arrays["betas"][:, :num_betas]
  gt_rot = rotation.axis_angle_to_matrix(
      tf.reshape(arrays["theta"], [-1, 24, 3])).numpy()
  betas = pred.betas if pred.betas is not None else gt_betas
  gt_v, gt_j = _forward(assets, gt_betas, gt_rot)
  v, j = _forward(assets, betas, pred.rotmats)
  v_gb, j_gb = _forward(assets, gt_betas, pred.rotmats)
  rest = np.broadcast_to(np.eye(3, dtype=np.float32), gt_rot.shape)
  t_gt, tj_gt = _forward(assets, gt_betas, rest)
  t_pred, tj_pred = _forward(assets, betas, rest)
  out = {
      "MPJPE": metrics.mpjpe(j, gt_j),
      "PA-MPJPE": metrics.pa_mpjpe(j, gt_j),
      "PA-MPJPE14": metrics.pa_mpjpe(j[:, JOINTS_14], gt_j[:, JOINTS_14]),
      "PVE": metrics.pve(v, gt_v, j[:, 0], gt_j[:, 0]),
      "PVE-gtβ": metrics.pve(v_gb, gt_v, j_gb[:, 0], gt_j[:, 0]),
      "PVE-T": metrics.pve(t_pred, t_gt, tj_pred[:, 0], tj_gt[:, 0]),
      "PCK3D": metrics.pck3d(j, gt_j),
      "AUC": metrics.auc3d(j, gt_j),
  }
  kset = keypoints_lib.get(keypoint_set)
  reg = keypoints_lib.regressor(assets, kset)
  kp3d = np.einsum("kv,bvc->bkc", reg, v)
  half = 0.5 * crop_size
  kp2d = pose_prior_lib.project_weak_perspective(
      kp3d, pred.camera).numpy() * half + (half - 0.5)
  gt2d = arrays["keypoints"] * half + (half - 0.5)
  out["PCK2D"] = metrics.pck2d(kp2d, gt2d, PCK2D_FRACTION * crop_size,
                               arrays["visibility"] == 2)
  if pred.keypoints is not None:
    head = head_sizes(assets, gt_v, arrays["camera"])
    for alpha in (0.5, 0.1):
      out[f"input PCKh@{alpha}"] = metrics.pckh(
          pred.keypoints, arrays["keypoints"], head, alpha,
          found=pred.confidence > 0, mask=arrays["visibility"] > 0)
  masks = []
  for start in range(0, len(v), 200):
    sl = slice(start, start + 200)
    masks.append(training.overlay_images(
        assets, v[sl], pred.camera[sl], arrays["silhouette"][sl])[..., 0] > 0)
  out["IoU"] = metrics.silhouette_iou(np.concatenate(masks),
                                      arrays["silhouette"])
  relative = np.einsum("bji,bjk->bik", pred.rotmats[:, 0], gt_rot[:, 0])
  cos = np.clip((np.trace(relative, axis1=1, axis2=2) - 1.0) / 2.0, -1, 1)
  out["Root°"] = np.degrees(np.arccos(cos))
  if per_sample:
    n = len(arrays["theta"])
    return {name: np.asarray(out[name], np.float64) if name in out
            else np.full(n, np.nan) for name in METRIC_NAMES}
  means = {k: float(np.nanmean(val)) for k, val in out.items()}
  for name in METRIC_NAMES:
    means.setdefault(name, float("nan"))       # inputs not known
  return means


def format_table(rows: Sequence[Dict], names: Sequence[str] = METRIC_NAMES,
                 label: str = "inputs") -> str:
  """A Markdown table; each row a dict with `label` and metric values (mm
  for errors, % for PCK/AUC/IoU)."""
  header = f"| {label} | " + " | ".join(
      n + ("" if n.endswith("°") else " (mm)" if n.startswith(
          ("MP", "PA", "PV")) else " (%)")
      for n in names) + " |"
  lines = [header, "|" + "---|" * (len(names) + 1)]
  for row in rows:
    cells = []
    for n in names:
      value = row[n]
      if np.isnan(value):
        cells.append("–")
      else:
        cells.append(f"{value:.1f}" if n.startswith(("MP", "PA", "PV")) or
                     n.endswith("°") else f"{100 * value:.1f}")
    lines.append(f"| {row[label]} | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def evaluate(assets, arrays, pose_model, shape_model,
             noises: Dict[str, corruption.CorruptionConfig],
             keypoint_set: str = "COCO_17", seed: int = 0,
             flip_test: bool = False, upright_test: bool = False
             ) -> List[Dict]:
  """One row of metrics per named noise setting."""
  rows = []
  for name, noise in noises.items():
    pred = predict(arrays, pose_model, shape_model, noise, seed,
                   keypoint_set=keypoint_set, flip_test=flip_test,
                   upright_assets=assets if upright_test else None)
    row = compute_metrics(assets, arrays, pred, keypoint_set)
    row["inputs"] = name
    rows.append(row)
  return rows


NOISE_SETTINGS = {
    "clean keypoints": corruption.CLEAN,
    "detector-like noise": corruption.CorruptionConfig(),
    "heavy noise": corruption.HEAVY,
    "Human2D-like noise": corruption.HUMAN2D_LIKE,
}
