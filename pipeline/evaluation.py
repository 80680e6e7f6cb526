"""Image → mesh, stage by stage, on held-out rendered images (3D truth known).

    held_out = make_held_out(EvaluateConfig(...), model.keypoint_set.name,
                             model.crop_size)
    rows = evaluate_model(model, held_out, fit_steps=40)

Held-out set: `synth.images` people (seed `EvaluateConfig.seed`, another
than any training run's: `pipeline.finetune` and `human2d.train` draw
rendered images from seeds 0 + 1000 i), each cropped as the LSP protocol
crops photos (`human2d.evaluation`): the box of the labelled keypoints,
1.25 × its larger side (`pipeline.crop.crop_from_box`). The truth: 2D
keypoints in crop pixels, the person's silhouette in the crop, θ and β.

Metrics reuse `human2d.evaluation` (PCK@0.2 over labelled points, the
mean pixel error, IoU of Human2D's silhouette) and
`priors.evaluation.compute_metrics` (MPJPE, PA-MPJPE, PVE in mm, IoU of the
mesh's silhouette on the 64² grid). "2D px" is the mesh's keypoints under
its weak-perspective camera against the labelled ones, crop pixels. Time
per image is wall time over the whole set after a first warm-up batch.
Oracle rows (`oracle_rows`) feed the priors the true keypoints and / or
silhouette in place of Human2D's: how much of the mesh error Human2D passes
on, how much is the priors' own.

Dimensions: N images, S crop side, K keypoints, M heatmap side.
"""

import dataclasses
import time
from typing import Dict, List, NamedTuple, Tuple

import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from human2d import data as h2d_data
from human2d import evaluation as h2d_evaluation
from human2d import record as h2d_record
from pipeline import crop as crop_lib
from pipeline import model as model_lib
from pipeline import prediction as prediction_lib
from priors import evaluation as priors_evaluation
from priors import pose_prior as pose_prior_lib

MESH_COLUMNS = ("MPJPE", "PA-MPJPE", "PVE", "2D px", "IoU", "s/image")
HUMAN2D_COLUMNS = ("PCK@0.2", "mean px", "IoU")


@dataclasses.dataclass(frozen=True)
class EvaluateConfig:
  """What to evaluate on.

  Attributes:
    num_images: held-out images.
    seed: their seed (another than training's).
    background_dirs: folders of background photos (as in training).
    batch_size: images per model call.
    fit_steps: steps of the test-time fit stage (0: no fit stage).
  """
  num_images: int = 64
  seed: int = 20181202
  background_dirs: Tuple[str, ...] = ()
  batch_size: int = 16
  fit_steps: int = 40

  def __post_init__(self):
    for name in ("num_images", "batch_size"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)}.")
    if self.fit_steps < 0:
      raise ValueError(f"fit_steps must be ≥ 0, got {self.fit_steps}.")
    if isinstance(self.background_dirs, str):
      raise ValueError("background_dirs must be a tuple of folders.")


class HeldOut(NamedTuple):
  """The held-out crops and their truth (NumPy).

  Attributes:
    crops: N `pipeline.crop.Crop`s.
    image_size: (H, W) of the rendered images.
    keypoints: `[N, K, 2]` crop pixels; labelled: `[N, K]` (in the image).
    silhouette: `[N, M, M]` person coverage of the crop.
    theta: `[N, 72]` camera-frame pose; betas: `[N, 10]`.
  """
  crops: List[crop_lib.Crop]
  image_size: Tuple[int, int]
  keypoints: np.ndarray
  labelled: np.ndarray
  silhouette: np.ndarray
  theta: np.ndarray
  betas: np.ndarray


def make_held_out(config: EvaluateConfig, keypoint_set: str, crop_size: int,
                  assets=None) -> HeldOut:
  """Renders and crops the held-out set (module doc)."""
  from synth import images as images_lib  # pylint: disable=g-import-not-at-top
  renderer = images_lib.ImageRenderer(images_lib.ImageConfig(
      keypoint_set=keypoint_set, background_dirs=config.background_dirs,
      batch_size=min(config.num_images, 16)), assets)
  out = {k: [] for k in ("crops", "keypoints", "labelled", "silhouette",
                         "theta", "betas")}
  done, index, size = 0, 0, renderer.config.image_size
  m = crop_size // 4
  while done < config.num_images:
    n = min(16, config.num_images - done)
    batch = renderer.render(images_lib.batch_rng(config.seed, index), n)
    index += 1
    for i in range(n):
      labelled = batch["in_image"][i]
      if labelled.sum() < 2:      # Nothing to crop around: leave it out.
        continue
      box = h2d_record.box_from_keypoints(batch["keypoints"][i], labelled)
      crop = crop_lib.crop_from_box(batch["image"][i], box, crop_size)
      sil = h2d_data.warp_image(
          batch["silhouette256"][i][..., None].astype(np.float32),
          crop.transform, crop_size)
      out["crops"].append(crop)
      out["keypoints"].append(crop_lib.to_crop(batch["keypoints"][i],
                                               crop.transform))
      out["labelled"].append(labelled)
      out["silhouette"].append(tf.image.resize(sil, [m, m], "area")[..., 0])
      out["theta"].append(batch["theta"][i])
      out["betas"].append(batch["beta"][i])
      done += 1
  return HeldOut(crops=out["crops"], image_size=(size, size),
                 **{k: np.stack(v).astype(np.float32)
                    for k, v in out.items() if k != "crops"})


def run_model(model: model_lib.BodyFromImage, held_out: HeldOut,
              batch_size: int, fit_steps: int = 0
              ) -> Tuple[model_lib.BodyPrediction, float]:
  """The model (and the fit when `fit_steps` > 0) on every crop:
  (predictions, seconds per image after a warm-up batch)."""
  crops = held_out.crops
  sizes = [held_out.image_size] * len(crops)

  def one(sl):
    pred = model.predict_crops(crops[sl], sizes[sl])
    return prediction_lib.refine(model, crops[sl], pred, fit_steps,
                                 held_out.image_size)

  one(slice(0, batch_size))        # Traces and compiles.
  start = time.perf_counter()
  parts = [one(slice(i, i + batch_size))
           for i in range(0, len(crops), batch_size)]
  seconds = (time.perf_counter() - start) / len(crops)
  return model_lib.BodyPrediction.concatenate(parts), seconds


def human2d_row(pred: model_lib.BodyPrediction, held_out: HeldOut
                ) -> Dict[str, float]:
  """PCK@0.2, mean px and silhouette IoU of Human2D's outputs."""
  names = keypoints_lib.get(pred.keypoint_set).names
  row = h2d_evaluation.summarise(pred.keypoints_crop, held_out.keypoints,
                                 held_out.labelled, names)
  iou = h2d_evaluation.iou(pred.silhouette, held_out.silhouette)
  return {"PCK@0.2": row["PCK@0.2"], "mean px": row["mean px"],
          "IoU": 100.0 * float(np.mean(iou))}


def mesh_row(model: model_lib.BodyFromImage, pred: model_lib.BodyPrediction,
             held_out: HeldOut) -> Dict[str, float]:
  """MPJPE, PA-MPJPE, PVE (mm), 2D px and mesh IoU (%) of a prediction."""
  assets = model.priors.assets
  s = model.crop_size
  r = model.priors.shape_model.config.silhouette_size
  truth = {
      "theta": held_out.theta, "betas": held_out.betas,
      "keypoints": pose_prior_lib.normalize_keypoints(
          held_out.keypoints, s).numpy(),
      "visibility": 2.0 * held_out.labelled,
      "silhouette": tf.image.resize(held_out.silhouette[..., None],
                                    [r, r])[..., 0].numpy()}
  metrics = priors_evaluation.compute_metrics(
      assets, truth, priors_evaluation.Predictions(
          rotmats=pred.rotmats, camera=pred.camera, betas=pred.betas),
      keypoint_set=pred.keypoint_set, crop_size=s)
  kset = keypoints_lib.get(pred.keypoint_set)
  mesh_kp = np.einsum("kv,bvc->bkc", keypoints_lib.regressor(assets, kset),
                      pred.vertices)
  xy = pose_prior_lib.denormalize_keypoints(
      pose_prior_lib.project_weak_perspective(mesh_kp, pred.camera), s)
  error = np.linalg.norm(xy.numpy() - held_out.keypoints, axis=-1)
  return {"MPJPE": metrics["MPJPE"], "PA-MPJPE": metrics["PA-MPJPE"],
          "PVE": metrics["PVE"],
          "2D px": float(error[held_out.labelled > 0].mean()),
          "IoU": 100.0 * metrics["IoU"]}


def evaluate_model(model: model_lib.BodyFromImage, held_out: HeldOut,
                   name: str, config: EvaluateConfig, oracle: bool = False
                   ) -> Tuple[Dict[str, float], Dict[str, Dict[str, float]]]:
  """(Human2D row, mesh rows by name: `name`, with a fit `name + fit`, and
  with `oracle` the `ORACLE_ROWS` after it)."""
  pred, seconds = run_model(model, held_out, config.batch_size)
  rows = {name: dict(mesh_row(model, pred, held_out), **{"s/image": seconds})}
  if config.fit_steps:
    fitted, fit_seconds = run_model(model, held_out, config.batch_size,
                                    config.fit_steps)
    rows[f"{name} + fit ({config.fit_steps} steps)"] = dict(
        mesh_row(model, fitted, held_out), **{"s/image": fit_seconds})
  if oracle:
    rows.update(oracle_rows(model, pred, held_out, config.batch_size))
  return human2d_row(pred, held_out), rows


class _Mesh(NamedTuple):
  """What `mesh_row` reads of a prediction (NumPy)."""
  rotmats: np.ndarray
  camera: np.ndarray
  betas: np.ndarray
  vertices: np.ndarray
  keypoint_set: str


ORACLE_ROWS = ("priors on the true 2D (keypoints + silhouette)",
               "priors on the true keypoints, Human2D's silhouette",
               "priors on Human2D's keypoints, the true silhouette")


def oracle_rows(model: model_lib.BodyFromImage,
                pred: model_lib.BodyPrediction, held_out: HeldOut,
                batch_size: int) -> Dict[str, Dict[str, float]]:
  """Mesh rows with the priors fed the truth in place of Human2D's outputs
  (`ORACLE_ROWS`), to tell the error Human2D passes on from the priors' own.

  The true keypoints get confidence 1 where labelled (in the image), 0
  elsewhere; the true silhouette is the person's coverage of the crop.
  "s/image" is the priors' time alone.
  """
  labelled = held_out.labelled.astype(np.float32)
  evidence = {
      ORACLE_ROWS[0]: (held_out.keypoints, labelled, held_out.silhouette),
      ORACLE_ROWS[1]: (held_out.keypoints, labelled, pred.silhouette),
      ORACLE_ROWS[2]: (pred.keypoints_crop, pred.confidence,
                       held_out.silhouette)}
  rows = {}
  for name, (xy, conf, sil) in evidence.items():
    parts, start = [], time.perf_counter()
    for i in range(0, len(xy), batch_size):
      sl = slice(i, i + batch_size)
      out = model.priors_from_2d(xy[sl], conf[sl], sil[sl])
      parts.append([np.asarray(t) for t in (out.rotmats, out.camera,
                                             out.betas, out.vertices)])
    seconds = (time.perf_counter() - start) / len(xy)
    mesh = _Mesh(*[np.concatenate(p) for p in zip(*parts)],
                 keypoint_set=pred.keypoint_set)
    rows[name] = dict(mesh_row(model, mesh, held_out),
                      **{"s/image": seconds})
  return rows


def format_table(rows: Dict[str, Dict[str, float]], columns) -> str:
  """Markdown table (`human2d.evaluation.format_table` with the time to
  three decimals)."""
  text = h2d_evaluation.format_table(rows, columns)
  if "s/image" not in columns:
    return text
  lines = text.split("\n")
  for i, (name, row) in enumerate(rows.items()):
    cells = lines[i + 2].rsplit("|", 2)
    lines[i + 2] = f"{cells[0]}| {row['s/image']:.3f} |"
  return "\n".join(lines)
