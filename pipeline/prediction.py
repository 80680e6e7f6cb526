"""Image-to-mesh over files: images → persons → meshes, parameters, overlays.

Per image `<stem>` the output folder gets `<stem>/` with `overlay.png` and,
per person `k` (best detection first), `person_<k>/` with `mesh.obj`,
`mesh.ply`, `params.npz` and `params.json`; the run writes `summary.json`.
Each image's folder is written under a temporary name and renamed when
complete, so it is whole or absent; an image that cannot be read or fails is
named in the log and the summary, and the others are processed.

Persons, in order of preference: the keypoints file's (`keypoint_files`),
the boxes given, else the whole image (centred crop; the log says so).

Mesh files are in the camera's OpenGL axes (x right, y up, z towards the
viewer: OpenCV's with y and z negated) at the predicted translation, so a
mesh viewer shows the body upright and the persons of one photo where the
photo has them. `params.*` keep OpenCV axes: camera-frame points are
`vertices + translation` (see `pipeline.model`).
"""

import dataclasses
import json
import logging
import os
import shutil
import time
import weakref
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from pipeline import crop as crop_lib
from pipeline import drawing
from pipeline import fit as fit_lib
from pipeline import keypoint_files
from pipeline import mesh_io
from pipeline import model as model_lib
from pipeline import overlay as overlay_lib
from priors import inference as priors_inference

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_OPENCV_TO_OPENGL = np.array([1.0, -1.0, -1.0], np.float32)


@dataclasses.dataclass(frozen=True)
class PredictConfig:
  """One run of the image-to-mesh command.

  Attributes:
    input: an image file, a folder of images, or a video
      (`pipeline.video`).
    output_dir: where results go (created if missing).
    keypoints: OpenPose JSON file or folder, or COCO results file; empty:
      none.
    boxes: a JSON file `{image: [[x0, y0, x1, y1], ...]}` or boxes for every
      image as text "x0,y0,x1,y1;x0,y0,x1,y1"; empty: none.
    focal: focal length in pixels; 0: `model.default_focal` per image.
    fit_steps: test-time fit steps per person (`pipeline.fit`); 0: off.
    min_score: leave out detections scored below it (COCO results).
    temporal_sigma: videos only: the temporal smoothing width in frames
      (`pipeline.temporal`); 0: per-frame poses, one β per person.
  """
  input: str
  output_dir: str
  keypoints: str = ""
  boxes: str = ""
  focal: float = 0.0
  fit_steps: int = 0
  min_score: float = 0.0
  temporal_sigma: float = 1.5

  def __post_init__(self):
    if not os.path.exists(self.input):
      raise ValueError(f"input {self.input!r} does not exist; give an image "
                       f"file or a folder of images.")
    if self.focal < 0 or self.fit_steps < 0 or self.temporal_sigma < 0:
      raise ValueError(f"focal, fit_steps and temporal_sigma must be ≥ 0, "
                       f"got {self.focal}, {self.fit_steps} and "
                       f"{self.temporal_sigma}.")


def list_images(path: str) -> List[str]:
  """`path` itself, or the images in folder `path`, sorted by name."""
  if os.path.isfile(path):
    return [path]
  return [os.path.join(path, f) for f in sorted(os.listdir(path))
          if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith(".")]


def output_names(paths: List[str]) -> List[str]:
  """Output folder name per image: the stem, or the file name when two
  images share a stem."""
  stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
  return [os.path.basename(p) if stems.count(s) > 1 else s
          for p, s in zip(paths, stems)]


def parse_boxes(text: str) -> Optional[keypoint_files.PersonSource]:
  """`PredictConfig.boxes` → a person source (None when empty)."""
  if not text:
    return None
  if os.path.isfile(text):
    return keypoint_files.PersonSource(keypoint_files.read_boxes(text),
                                       "boxes")
  try:
    boxes = np.array([[float(v) for v in b.split(",")]
                      for b in text.split(";") if b.strip()], np.float32)
  except ValueError as e:
    raise ValueError(f"boxes {text!r} is neither a file nor "
                     f"'x0,y0,x1,y1;...': {e}") from e
  if boxes.ndim != 2 or boxes.shape[1] != 4:
    raise ValueError(f"boxes {text!r} must be 4 numbers per box.")
  people = [keypoint_files.Person(b, None, None, 1.0) for b in boxes]
  return _Everywhere(people)


class _Everywhere(keypoint_files.PersonSource):

  def __init__(self, people):
    super().__init__({}, "boxes")
    self._people = people

  def persons(self, image_path):
    return self._people


def find_persons(image_path: str, image: np.ndarray, sources
                 ) -> Tuple[List[np.ndarray], str]:
  """(boxes, where they came from) for one image: the first source with
  persons for it, else the whole image."""
  for source in sources:
    if source is None:
      continue
    people = source.persons(image_path)
    if people:
      return [p.box for p in people], source.kind
  return [crop_lib.whole_image_box(*image.shape[:2])], "whole image"


# model → {FitConfig: Fitter}. A Fitter keeps its traced (and XLA-compiled)
# loop; building one per call retraced it for every photo or batch: 0.58 s
# per image at batch 16 in `pipeline.evaluate --fit_steps=40`, most of it
# tracing.
_FITTERS = weakref.WeakKeyDictionary()


def fitter(model: model_lib.BodyFromImage, steps: int) -> fit_lib.Fitter:
  """The test-time fit of `steps` steps for `model`'s priors, built once
  per (model, step count) and reused."""
  config = fit_lib.FitConfig(steps=steps,
                             keypoint_set=model.prior_keypoint_set.name,
                             crop_size=model.priors.crop_size)
  per_model = _FITTERS.setdefault(model, {})
  if config not in per_model:
    per_model[config] = fit_lib.Fitter(config, model.priors.assets)
  return per_model[config]


def refine(model: model_lib.BodyFromImage, crops, prediction, steps: int,
           image_size) -> model_lib.BodyPrediction:
  """The test-time fit (`pipeline.fit`) of a prediction against its own
  Human2D keypoints (those the PosePrior reads, with their confidences)
  and silhouette; θ, β, camera, mesh and translation are replaced.
  `image_size`: (H, W) of the crops' image."""
  if steps <= 0:
    return prediction
  prior_set = model.prior_keypoint_set
  names = keypoints_lib.get(prediction.keypoint_set).names
  index = [names.index(n) for n in prior_set.names]
  size = model.priors.crop_size
  scale = size / model.crop_size
  xy = prediction.keypoints_crop[:, index] * scale
  conf = np.clip(prediction.confidence[:, index], 0.0, 1.0)
  prior = priors_inference.PriorsOutput(
      theta=tf.constant(prediction.theta), rotmats=tf.constant(
          prediction.rotmats), betas=tf.constant(prediction.betas),
      camera=tf.constant(prediction.camera),
      vertices=tf.constant(prediction.vertices),
      joints=tf.constant(prediction.joints))
  out = fitter(model, steps)(prior, xy.astype(np.float32),
                            conf.astype(np.float32),
                            prediction.silhouette.astype(np.float32))
  camera = out.camera.numpy()
  translation = model_lib.perspective_translation(
      camera, [c.centre for c in crops], [c.side for c in crops],
      [image_size] * len(crops), prediction.focal)
  return prediction._replace(
      theta=out.theta.numpy(), rotmats=out.rotmats.numpy(),
      betas=out.betas.numpy(), camera=camera,
      translation=translation.astype(np.float32),
      vertices=out.vertices.numpy(), joints=out.joints.numpy())


def _fit(model, crops, prediction, steps: int, image_size):
  """Runs `refine` when `steps` > 0."""
  if steps <= 0:
    return prediction
  return refine(model, crops, prediction, steps, image_size)


def person_params(p: model_lib.BodyPrediction) -> Dict[str, np.ndarray]:
  """One person's (batch of 1) arrays as saved in `params.npz`."""
  names = ("theta", "betas", "camera", "translation", "focal", "joints",
           "vertices", "keypoints_image", "keypoints_crop", "confidence",
           "crop_transform")
  return {n: np.asarray(getattr(p, n)[0]) for n in names}


def write_person(folder: str, p: model_lib.BodyPrediction,
                 faces: np.ndarray) -> None:
  """`mesh.obj`, `mesh.ply`, `params.npz`, `params.json` into `folder`."""
  os.makedirs(folder, exist_ok=True)
  verts = (p.vertices[0] + p.translation[0]) * _OPENCV_TO_OPENGL
  mesh_io.write_obj(os.path.join(folder, "mesh.obj"), verts, faces)
  mesh_io.write_ply(os.path.join(folder, "mesh.ply"), verts, faces)
  params = person_params(p)
  np.savez(os.path.join(folder, "params.npz"), **params)
  doc = {k: np.round(v.astype(np.float64), 6).tolist()
         for k, v in params.items()}
  doc["keypoint_set"] = p.keypoint_set
  doc["axes"] = ("OpenCV camera axes (x right, y down, z forward), metres; "
                 "camera-frame points = vertices + translation; mesh files: "
                 "the same with y and z negated")
  with open(os.path.join(folder, "params.json"), "w") as f:
    json.dump(doc, f)


def predict_persons(model: model_lib.BodyFromImage, image: np.ndarray,
                    image_path: str, sources, config: PredictConfig
                    ) -> Tuple[model_lib.BodyPrediction, str]:
  """(prediction for every person of `image` [H, W, 3] BGR uint8, where the
  persons came from); `image_path` names it for the person sources."""
  boxes, origin = find_persons(image_path, image, sources)
  crops = [crop_lib.crop_from_box(image[..., ::-1], b, model.crop_size)
           for b in boxes]
  pred = model.predict_crops(crops, [image.shape[:2]] * len(crops),
                             config.focal or None)
  return _fit(model, crops, pred, config.fit_steps, image.shape[:2]), origin


def process_image(model: model_lib.BodyFromImage, image_path: str,
                  out_folder: str, sources, config: PredictConfig) -> Dict:
  """Predicts every person of one image into `out_folder` (whole or absent).

  Raises ValueError when the image cannot be read.
  """
  image = cv2.imread(image_path, cv2.IMREAD_COLOR)
  if image is None or image.size == 0:
    raise ValueError(f"cannot read {image_path} as an image (corrupt, empty "
                     f"or not an image format OpenCV knows).")
  pred, origin = predict_persons(model, image, image_path, sources, config)
  faces = model.priors.assets.faces
  tmp = f"{out_folder}.tmp-{os.getpid()}"
  shutil.rmtree(tmp, ignore_errors=True)
  os.makedirs(tmp)
  try:
    for k in range(len(pred.theta)):
      write_person(os.path.join(tmp, f"person_{k}"), pred.person(k), faces)
    drawing.write_png(os.path.join(tmp, "overlay.png"),
                      overlay_lib.render_overlay(image, pred, faces))
    if os.path.exists(out_folder):
      shutil.rmtree(out_folder)
    os.replace(tmp, out_folder)
  finally:
    shutil.rmtree(tmp, ignore_errors=True)
  return {"image": image_path, "output": out_folder,
          "persons": len(pred.theta),
          "persons_from": origin, "image_size": list(image.shape[:2]),
          "focal": float(pred.focal[0])}


def rate_and_eta(done: int, total: int, start: float, unit: str) -> str:
  """"(2.50 images/s, ETA 12 s)" after `done` of `total` since `start`
  (`time.perf_counter()`); total ≤ 0: unknown."""
  rate = done / max(time.perf_counter() - start, 1e-9)
  if total <= 0:
    return f"({rate:.2f} {unit}/s)"
  return f"({rate:.2f} {unit}/s, ETA {(total - done) / rate:.0f} s)"


def person_sources(config: PredictConfig, single_image: bool):
  """The person sources of a run, in order of preference."""
  return [keypoint_files.load(config.keypoints, config.min_score,
                              any_image=single_image)
          if config.keypoints else None, parse_boxes(config.boxes)]


def write_json(path: str, doc) -> None:
  """Writes JSON atomically (temporary file, then rename)."""
  with open(path + ".tmp", "w") as f:
    json.dump(doc, f, indent=2)
  os.replace(path + ".tmp", path)


def run(config: PredictConfig, model: model_lib.BodyFromImage,
        log=logging.info) -> Dict:
  """Processes every image; returns the summary (also `summary.json`).

  `summary["failed"]` lists the images that failed, with the reason.
  """
  paths = list_images(config.input)
  if not paths:
    raise ValueError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in "
                     f"{config.input}.")
  os.makedirs(config.output_dir, exist_ok=True)
  sources = person_sources(config, len(paths) == 1)
  done, failed = [], []
  start = time.perf_counter()
  for i, (path, name) in enumerate(zip(paths, output_names(paths))):
    try:
      item = process_image(model, path, os.path.join(config.output_dir, name),
                           sources, config)
      done.append(item)
      note = f"{item['persons']} person(s) from {item['persons_from']}"
      if item["persons_from"] == "whole image":
        note += " (no keypoints or boxes for it: centred crop of the photo)"
    except Exception as e:  # pylint: disable=broad-except
      # One image's failure (unreadable file, a bad box, a full disk) must
      # not stop the others; it is named in the log, summary and status.
      message = str(e) if isinstance(e, ValueError) else (
          f"{type(e).__name__}: {e}")
      failed.append({"image": path, "error": message})
      note = f"FAILED: {message}"
    log(f"[{i + 1}/{len(paths)}] {os.path.basename(path)}: {note}  "
        f"{rate_and_eta(i + 1, len(paths), start, 'images')}")
  summary = {"config": dataclasses.asdict(config), "images": len(paths),
             "succeeded": len(done), "failed": failed, "results": done,
             "seconds": round(time.perf_counter() - start, 2)}
  write_json(os.path.join(config.output_dir, "summary.json"), summary)
  return summary
