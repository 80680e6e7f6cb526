"""The demo: runs every stage that exists today and shows what each did.

Stages so far:
  1. body: the bundled open model in named poses → camera → hard z-buffer
     render (shaded) + COCO keypoints, and a soft silhouette with its gradient;
  2. synth: random synthetic samples (θ, β, camera → 2D keypoints with
     visibility + 64×64 silhouette), drawn as a contact sheet;
  3. priors: the shipped PosePrior/ShapePrior recover θ, β and the camera from
     those keypoints (with detector-like noise) and silhouettes → mesh, with
     an overlay picture and the metrics (mm);
  4. synth_images: rendered training images for Human2D (`synth/images.py`)
     with their labels drawn;
  5. image_to_mesh: held-out rendered images (another seed) → the shipped
     Human2D → keypoints, confidences, silhouette → shipped priors → mesh,
     drawn over each image (`pipeline.model.BodyFromImage`), with Human2D's
     PCK@0.2 against the rendered truth.
End-to-end refinement is not built yet.
Writes PNGs and `summary.json` to the output directory and returns a report.
"""

import dataclasses
import json
import logging
import os
import time
from typing import Dict, List, Tuple

import cv2
import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import bundled
from body import keypoints
from body import lbs
from human2d import evaluation as h2d_evaluation
from human2d import record as h2d_record
from pipeline import drawing
from pipeline import model as model_lib
from pipeline import overlay
from pipeline import poses
from priors import data as priors_data
from priors import evaluation
from priors import pretrained
from priors import training
from render import camera as camera_lib
from render import rasterizer
from render import soft_silhouette
from synth import contact_sheet
from synth import corruption
from synth import images
from synth import preview
from synth import sample as sample_lib

# Camera frame from the body frame: 180° about x (y down, facing the camera).
_BODY_TO_CAMERA = np.diag([1.0, -1.0, -1.0])


@dataclasses.dataclass(frozen=True)
class DemoConfig:
  """What the demo runs.

  Attributes:
    output_dir: where PNGs and summary.json go (created if missing).
    body_model: a model file (.pkl/.npz); empty for the bundled open model.
    image_size: side of the square renders, pixels.
    focal: focal length, pixels.
    pose_names: which of `pipeline.poses.POSES` to show.
    num_samples: synthetic samples pushed through the priors.
    seed: seed of the synthetic samples.
  """
  output_dir: str
  body_model: str = ""
  image_size: int = 256
  focal: float = 600.0
  pose_names: Tuple[str, ...] = tuple(poses.POSES)
  num_samples: int = 8
  seed: int = 2018

  def __post_init__(self):
    if self.num_samples < 1:
      raise ValueError(f"num_samples must be ≥ 1, got {self.num_samples}.")
    if self.image_size < 16:
      raise ValueError(f"image_size must be ≥ 16, got {self.image_size}.")
    unknown = set(self.pose_names) - set(poses.POSES)
    if unknown:
      raise ValueError(f"unknown poses {sorted(unknown)}; known: "
                       f"{sorted(poses.POSES)}.")


def _place_in_front(vertices: np.ndarray, yaw: float, focal: float,
                    size: int) -> np.ndarray:
  """Rotates bodies [B, V, 3] by yaw, into the camera frame, at a distance
  where the tallest fits 85% of the image."""
  c, s = np.cos(yaw), np.sin(yaw)
  yaw_m = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
  rot = _BODY_TO_CAMERA @ yaw_m
  pts = vertices @ rot.T
  center = 0.5 * (pts.max(axis=1, keepdims=True) + pts.min(axis=1,
                                                           keepdims=True))
  pts = pts - center
  height = (pts[..., 1].max() - pts[..., 1].min())
  depth = focal * height / (0.85 * size)
  return pts + np.array([0.0, 0.0, depth])


def _render_poses(model: assets_lib.BodyAssets, config: DemoConfig,
                  report: Dict) -> None:
  names = list(config.pose_names)
  theta = np.stack([poses.POSES[n] for n in names]).astype(np.float32)
  betas = np.zeros((len(names), 10), np.float32)
  start = time.perf_counter()
  out = lbs.forward_axis_angle(model, betas[:, :model.num_betas], theta)
  report["body_forward_ms"] = round((time.perf_counter() - start) * 1e3, 2)

  size, faces = config.image_size, model.faces
  cam = camera_lib.PerspectiveCamera(
      focal=[config.focal, config.focal],
      principal_point=[(size - 1) / 2.0, (size - 1) / 2.0])
  settings = rasterizer.RasterSettings(image_size=(size, size),
                                       cull_backfaces=True)
  kset = keypoints.COCO_17
  kp_model = keypoints.regressor(model, kset)
  rows = []
  for yaw, view in ((0.0, "front"), (np.pi / 2, "side")):
    pts = _place_in_front(out.vertices.numpy(), yaw, config.focal, size)
    pts = tf.constant(pts, tf.float32)
    start = time.perf_counter()
    frags = rasterizer.rasterize(cam.transform_points_screen(pts), faces,
                                 settings)
    report[f"hard_render_ms_{view}"] = round(
        (time.perf_counter() - start) * 1e3, 2)
    shaded = drawing.shade(frags, pts.numpy(), faces)
    kp2d = cam.project(tf.einsum("kv,bvc->bkc", kp_model, pts)).numpy()
    tiles = []
    for i, name in enumerate(names):
      tile = shaded[i].copy()
      if view == "front":
        drawing.draw_skeleton(tile, kp2d[i], kset)
      tiles.append(drawing.label(tile, f"{name} ({view})"))
    rows.append(np.concatenate(tiles, axis=1))
  sheet = np.concatenate(rows, axis=0)
  path = os.path.join(config.output_dir, "body_poses.png")
  drawing.write_png(path, sheet)
  report["files"].append(path)

  # Soft silhouette at 64² (what refinement compares) and its gradient.
  pts = _place_in_front(out.vertices.numpy(), 0.0, config.focal * 0.25, 64)
  pts = tf.constant(pts, tf.float32)
  cam64 = camera_lib.PerspectiveCamera(focal=[config.focal * 0.25] * 2,
                                       principal_point=[31.5, 31.5])
  with tf.GradientTape() as tape:
    tape.watch(pts)
    soft = soft_silhouette.soft_silhouette(
        cam64.transform_points_screen(pts), faces,
        soft_silhouette.SoftSilhouetteSettings(image_size=(64, 64)))
    loss = tf.reduce_sum(soft)
  grad = tape.gradient(loss, pts)
  report["soft_silhouette_grad_finite"] = bool(
      np.all(np.isfinite(grad.numpy())))
  soft_img = (np.concatenate(list(soft.numpy()), axis=1) * 255).astype(
      np.uint8)
  path = os.path.join(config.output_dir, "soft_silhouettes_64.png")
  drawing.write_png(path, cv2.resize(soft_img, None, fx=3, fy=3,
                             interpolation=cv2.INTER_NEAREST))
  report["files"].append(path)


def _synth_and_priors(model: assets_lib.BodyAssets, config: DemoConfig,
                      report: Dict) -> None:
  """Stages 2 and 3: synthetic samples → priors → meshes and metrics."""
  have_weights = (os.path.isfile(pretrained.POSE_WEIGHTS) and
                  os.path.isfile(pretrained.SHAPE_WEIGHTS))
  # The samples carry the keypoints the shipped PosePrior reads.
  sample_config = sample_lib.SampleConfig(
      keypoint_set=(pretrained.keypoint_set() if have_weights else
                    sample_lib.SampleConfig().keypoint_set),
      shape=dataclasses.replace(sample_lib.SampleConfig().shape,
                                num_betas=min(10, model.num_betas)))
  generator = sample_lib.SampleGenerator(model, sample_config)
  start = time.perf_counter()
  batch = generator.generate(np.random.default_rng(config.seed),
                             config.num_samples)
  report["synth_ms_per_sample"] = round(
      (time.perf_counter() - start) * 1e3 / config.num_samples, 2)
  kset = keypoints.get(sample_config.keypoint_set)
  path = os.path.join(config.output_dir, "synth_samples.png")
  drawing.write_png(path, preview.contact_sheet(batch, kset, columns=min(
      8, config.num_samples)))
  report["files"].append(path)
  report["stages"].append("synth")

  if not have_weights:
    report["priors"] = "skipped: no shipped weights in priors/weights/"
    return
  pose_model = pretrained.load_pose_prior()
  shape_model = pretrained.load_shape_prior()
  arrays = priors_data.arrays_from_samples(batch,
                                           sample_config.camera.image_size)
  rows = {}
  for name, noise in (("clean keypoints", corruption.CLEAN),
                      ("noisy keypoints", corruption.CorruptionConfig())):
    start = time.perf_counter()
    pred = evaluation.predict(arrays, pose_model, shape_model, noise,
                              seed=config.seed,
                              keypoint_set=sample_config.keypoint_set,
                              flip_test=True)
    elapsed = (time.perf_counter() - start) * 1e3 / config.num_samples
    rows[name] = evaluation.compute_metrics(
        model, arrays, pred, keypoint_set=sample_config.keypoint_set,
        crop_size=sample_config.camera.image_size)
    rows[name]["ms_per_sample"] = round(elapsed, 2)
  report["priors"] = rows
  report["priors_table"] = evaluation.format_table(
      [dict(v, inputs=k) for k, v in rows.items()])

  # Overlay: predicted mesh (red) over the true silhouette (green), from the
  # noisy-keypoint predictions, beside the synthetic input.
  out = lbs.forward(model, pred.betas, pred.rotmats)
  overlay = training.overlay_images(model, out.vertices.numpy(), pred.camera,
                                    arrays["silhouette"])[..., ::-1]
  cell = 192
  inputs = [preview.draw_sample(batch, i, kset, cell)
            for i in range(config.num_samples)]
  overlays = [cv2.resize(np.ascontiguousarray(overlay[i]), (cell, cell),
                         interpolation=cv2.INTER_NEAREST)
              for i in range(config.num_samples)]
  overlays[0] = drawing.label(overlays[0], "red: predicted")
  cv2.putText(overlays[0], "green: truth, yellow: both", (6, 36),
              cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
  sheet = np.concatenate([np.concatenate(inputs, axis=1),
                          np.concatenate(overlays, axis=1)], axis=0)
  path = os.path.join(config.output_dir, "priors_overlay.png")
  drawing.write_png(path, sheet)
  report["files"].append(path)
  report["stages"].append("priors")


def _synth_images(model: assets_lib.BodyAssets, config: DemoConfig,
                  report: Dict) -> None:
  """Rendered training images for Human2D (`synth/images.py`), with their
  labels drawn."""
  renderer = images.ImageRenderer(images.ImageConfig(
      batch_size=config.num_samples, num_betas=min(10, model.num_betas)),
                                   model)
  rng = images.batch_rng(config.seed, 0)
  renderer.render(rng, config.num_samples)         # Trace and compile.
  start = time.perf_counter()
  batch = renderer.render(rng, config.num_samples)
  report["synth_images_ms_per_image"] = round(
      (time.perf_counter() - start) * 1e3 / config.num_samples, 1)
  path = os.path.join(config.output_dir, "synth_images.jpg")
  contact_sheet.write_image(path, contact_sheet.contact_sheet(
      batch, renderer.keypoint_set, columns=min(8, config.num_samples),
      cell=192))
  report["files"].append(path)
  report["stages"].append("synth_images")


def _image_to_mesh(model: assets_lib.BodyAssets, config: DemoConfig,
                   report: Dict) -> None:
  """Held-out rendered images → Human2D → priors → mesh overlays."""
  try:
    body = model_lib.BodyFromImage.load()
  except ValueError as e:   # No shipped Human2D weights.
    report["image_to_mesh"] = f"skipped: {e}"
    return
  renderer = images.ImageRenderer(images.ImageConfig(
      batch_size=config.num_samples, num_betas=min(10, model.num_betas),
      keypoint_set=body.keypoint_set.name), model)
  # Another seed than every training run's, so these images are unseen.
  batch = renderer.render(images.batch_rng(config.seed + 99991, 0),
                          config.num_samples)
  start = time.perf_counter()
  pictures, pred_xy = [], []
  for i in range(config.num_samples):
    # The LSP protocol's crop: the box of the labelled keypoints.
    box = h2d_record.box_from_keypoints(batch["keypoints"][i],
                                        batch["in_image"][i])
    pred = body.predict_image(batch["image"][i], box[None])
    pred_xy.append(pred.keypoints_image[0])
    bgr = np.ascontiguousarray(batch["image"][i][..., ::-1])
    pictures.append(overlay.render_overlay(bgr, pred, model.faces))
  report["image_to_mesh_ms_per_image"] = round(
      (time.perf_counter() - start) * 1e3 / config.num_samples, 1)
  names = body.keypoint_set.names
  row = h2d_evaluation.summarise(np.stack(pred_xy), batch["keypoints"],
                                 batch["in_image"], names)
  report["image_to_mesh"] = {"PCK@0.2": round(row["PCK@0.2"], 1),
                             "mean px": round(row["mean px"], 1)}
  while len(pictures) % 4:
    pictures.append(np.zeros_like(pictures[0]))
  sheet = np.concatenate([np.concatenate(pictures[j:j + 4], axis=1)
                          for j in range(0, len(pictures), 4)], axis=0)
  path = os.path.join(config.output_dir, "image_to_mesh.png")
  drawing.write_png(path, sheet)
  report["files"].append(path)
  report["stages"].append("image_to_mesh")


def run(config: DemoConfig) -> Dict:
  """Runs the demo; returns a JSON-able report (also written to disk)."""
  os.makedirs(config.output_dir, exist_ok=True)
  report: Dict = {"stages": [], "files": []}
  start = time.perf_counter()
  model = bundled.load_model(config.body_model or None)
  report["body_model"] = {"name": model.name, "vertices": model.num_vertices,
                          "faces": model.num_faces,
                          "load_s": round(time.perf_counter() - start, 3)}
  report["stages"].append("body")
  _render_poses(model, config, report)
  report["stages"] += ["render_hard", "render_soft"]
  _synth_and_priors(model, config, report)
  _synth_images(model, config, report)
  _image_to_mesh(model, config, report)
  report["not_in_demo"] = ["end-to-end fine-tuning (python -m pipeline.finetune)"]
  path = os.path.join(config.output_dir, "summary.json")
  with open(path + ".tmp", "w") as f:
    json.dump(report, f, indent=2)
  os.replace(path + ".tmp", path)
  report["files"].append(path)
  logging.debug("demo report: %s", report)
  return report


def describe(report: Dict) -> List[str]:
  """Human-readable lines for the demo's report."""
  m = report["body_model"]
  lines = [
      f"body model: {m['name']} ({m['vertices']} vertices, {m['faces']} "
      f"faces), loaded in {m['load_s']} s",
      f"posed {len(poses.POSES)} bodies in {report['body_forward_ms']} ms "
      f"(eager, first call included)",
      f"hard z-buffer render 256²: front {report['hard_render_ms_front']} ms,"
      f" side {report['hard_render_ms_side']} ms (the first call includes "
      f"XLA compilation)",
      f"soft silhouette 64² + gradient: finite = "
      f"{report['soft_silhouette_grad_finite']}",
      f"synthetic samples: {report['synth_ms_per_sample']} ms each "
      f"(θ, β, camera, keypoints + visibility, 64² silhouette; the first "
      f"call includes tracing)",
  ]
  if "synth_images_ms_per_image" in report:
    lines.append(f"rendered training images for Human2D: "
                 f"{report['synth_images_ms_per_image']} ms each (256², "
                 f"full mesh, clothes, backgrounds, occluders, camera "
                 f"effects; labels drawn in synth_images.jpg)")
  if isinstance(report.get("image_to_mesh"), dict):
    r = report["image_to_mesh"]
    lines.append(f"image → mesh on held-out rendered images: Human2D "
                 f"PCK@0.2 {r['PCK@0.2']} %, mean error {r['mean px']} px; "
                 f"{report['image_to_mesh_ms_per_image']} ms per image "
                 f"(Human2D with flip test + priors + mesh; first call "
                 f"includes tracing); overlays in image_to_mesh.png")
  elif "image_to_mesh" in report:
    lines.append(f"image → mesh: {report['image_to_mesh']}")
  if isinstance(report.get("priors"), dict):
    lines.append("priors on the synthetic samples (errors in mm; "
                 "PCK/AUC/IoU in %):")
    lines += report["priors_table"].splitlines()
  else:
    lines.append(f"priors: {report.get('priors')}")
  lines.append(f"stages run: {', '.join(report['stages'])}; not in the "
               f"demo: {', '.join(report['not_in_demo'])}")
  lines += [f"wrote {p}" for p in report["files"]]
  return lines

