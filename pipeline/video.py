"""Video → per-frame body parameters, smoothed per tracked person, and an
overlay video.

Two passes over the frames. The first runs the image path
(`prediction.predict_persons`) on every frame; persons per frame come from
the keypoints (an OpenPose folder names frames `<stem>_<frame:012d>`, as
OpenPose writes them), the boxes, or the whole frame. Between the passes,
persons are linked across frames into tracks (`pipeline.tracking`, by their
crop boxes) and each track is refined over time (`pipeline.temporal`: one β
for the clip, Gaussian smoothing of every joint rotation and of the
translation, σ = `config.temporal_sigma` frames; 0 keeps the per-frame pose
and only makes β constant); meshes and joints are rebuilt from the refined
θ, β. The second pass reads the frames again to draw the overlay.
Output, under `<output_dir>/<video stem>/` (written under a temporary name
and renamed when complete):

  params/frame_<frame:06d>.npz   per frame, arrays with a leading person axis
                                 (`prediction.person_params` names, refined)
                                 plus `track` (the persons' track ids)
  tracks/track_<id>.npz          per track: `frames`, `theta` [T, 72], one
                                 `betas` [S], `translation`, `camera`,
                                 `joints` [T, 24, 3]
  overlay.mp4                    the frames with meshes and skeletons
  summary.json                   frames done / failed, persons, tracks

Keypoints stay Human2D's own per frame (they are the evidence). Meshes are
not written per frame (a mesh is ~0.7 MB); rebuild one from θ, β with
`body.lbs`. A frame that fails is named in the log and the summary, drawn
without meshes, and the others go on.
"""

import os
import shutil
import time
from typing import Dict, List, Optional

import cv2
import numpy as np

from body import lbs
from body import rotation
from pipeline import crop as crop_lib
from pipeline import model as model_lib
from pipeline import overlay as overlay_lib
from pipeline import prediction
from pipeline import temporal
from pipeline import tracking

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def is_video(path: str) -> bool:
  return os.path.isfile(path) and path.lower().endswith(VIDEO_EXTENSIONS)


def _boxes(pred: model_lib.BodyPrediction, crop_size: int):
  """(centres [N, 2], sides [N]) of the persons' crops, image pixels."""
  mid = np.full((1, 2), (crop_size - 1) / 2.0)
  centres = np.stack([crop_lib.to_image(mid, t)[0]
                      for t in pred.crop_transform])
  sides = np.abs(pred.crop_transform[:, 0, 0]) * crop_size
  return centres, sides


def smooth_track(assets, persons: List[model_lib.BodyPrediction],
                 frames: np.ndarray, sigma: float
                 ) -> List[model_lib.BodyPrediction]:
  """One track's per-frame predictions (batch 1 each, at `frames`) after
  `temporal.refine`; meshes and joints rebuilt from the refined θ, β."""
  track = model_lib.BodyPrediction.concatenate(persons)
  refined = temporal.refine(track.rotmats, track.betas, track.translation,
                            sigma, weights=track.confidence.mean(axis=1) +
                            1e-6, times=frames)
  camera = temporal.gaussian_weights(len(frames), sigma, frames) @ (
      track.camera.astype(np.float64))
  verts, joints = [], []
  for i in range(0, len(frames), 64):
    body = lbs.forward(assets, refined.betas[i:i + 64],
                       refined.rotmats[i:i + 64])
    verts.append(body.vertices.numpy())
    joints.append(body.joints.numpy())
  theta = rotation.matrix_to_axis_angle(refined.rotmats).numpy()
  track = track._replace(
      theta=theta.reshape(len(frames), -1).astype(np.float32),
      rotmats=refined.rotmats, betas=refined.betas,
      camera=camera.astype(np.float32), translation=refined.translation,
      vertices=np.concatenate(verts), joints=np.concatenate(joints))
  return [track.person(i) for i in range(len(frames))]


def refine_clip(model: model_lib.BodyFromImage,
                preds: List[Optional[model_lib.BodyPrediction]],
                sigma: float):
  """Tracks and smooths a clip's predictions (None: a failed frame).

  Returns (refined predictions per frame, track ids per frame, per track
  id the frames it appears in).
  """
  boxes = [_boxes(p, model.crop_size) if p is not None else
           (np.zeros((0, 2)), np.zeros(0)) for p in preds]
  ids = tracking.assign_tracks([b[0] for b in boxes], [b[1] for b in boxes])
  members: Dict[int, list] = {}
  for t, frame_ids in enumerate(ids):
    for k, track in enumerate(frame_ids):
      members.setdefault(int(track), []).append((t, k))
  persons = [[None] * len(i) for i in ids]
  for track, items in members.items():
    frames = np.array([t for t, _ in items])
    smoothed = smooth_track(model.priors.assets,
                            [preds[t].person(k) for t, k in items], frames,
                            sigma)
    for (t, k), p in zip(items, smoothed):
      persons[t][k] = p
  refined = [model_lib.BodyPrediction.concatenate(p) if p else None
             for p in persons]
  return refined, ids, {k: [t for t, _ in v] for k, v in members.items()}


def _first_pass(capture, stem, model, sources, config, log):
  """Per-frame predictions (None where a frame failed), origins, failures."""
  total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
  preds, origins, failed = [], [], []
  start = time.perf_counter()
  while True:
    ok, frame = capture.read()
    if not ok:
      break
    index = len(preds)
    try:
      pred, origin = prediction.predict_persons(
          model, frame, f"{stem}_{index:012d}.png", sources, config)
      # Heatmaps are not kept: ~0.4 MB per person and frame.
      preds.append(pred._replace(heatmaps=pred.heatmaps[:, :0]))
      origins.append(origin)
      note = f"{len(pred.theta)} person(s) from {origin}"
    except Exception as e:  # pylint: disable=broad-except
      failed.append({"frame": index, "error": f"{type(e).__name__}: {e}"})
      preds.append(None)
      origins.append(None)
      note = f"FAILED: {failed[-1]['error']}"
    log(f"[frame {index + 1}/{total or '?'}] {note}  "
        f"{prediction.rate_and_eta(index + 1, total, start, 'frames')}")
  return preds, origins, failed


def _write_tracks(folder: str, preds, frames_of: Dict[int, List[int]],
                  ids) -> None:
  os.makedirs(folder)
  for track, frames in frames_of.items():
    rows = [preds[t].person(int(np.flatnonzero(ids[t] == track)[0]))
            for t in frames]
    p = model_lib.BodyPrediction.concatenate(rows)
    np.savez(os.path.join(folder, f"track_{track}.npz"),
             frames=np.array(frames), theta=p.theta, betas=p.betas[0],
             translation=p.translation, camera=p.camera, joints=p.joints)


def run_video(config: prediction.PredictConfig,
              model: model_lib.BodyFromImage, log=print) -> Dict:
  """Processes the video `config.input`; returns its summary."""
  capture = cv2.VideoCapture(config.input)
  if not capture.isOpened():
    raise ValueError(f"cannot open {config.input} as a video.")
  fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
  stem = os.path.splitext(os.path.basename(config.input))[0]
  out = os.path.join(config.output_dir, stem)
  tmp = f"{out}.tmp-{os.getpid()}"
  writer = None
  start = time.perf_counter()
  try:
    preds, origins, failed = _first_pass(
        capture, stem, model, prediction.person_sources(config, False),
        config, log)
    if not preds:
      raise ValueError(f"{config.input} has no frames OpenCV can read.")
    preds, ids, frames_of = refine_clip(model, preds, config.temporal_sigma)
    capture.release()
    capture = cv2.VideoCapture(config.input)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "params"))
    _write_tracks(os.path.join(tmp, "tracks"), preds, frames_of, ids)
    faces = model.priors.assets.faces
    results, second = [], time.perf_counter()
    for index, pred in enumerate(preds):
      ok, frame = capture.read()
      if not ok:
        failed.append({"frame": index, "error": "could not be read again "
                       "for the overlay"})
        break
      if pred is None:
        picture = overlay_lib.fit_to(frame)
      else:
        params = [prediction.person_params(pred.person(k))
                  for k in range(len(pred.theta))]
        np.savez(os.path.join(tmp, "params", f"frame_{index:06d}.npz"),
                 track=ids[index],
                 **{k: np.stack([p[k] for p in params]) for k in params[0]})
        picture = overlay_lib.render_overlay(frame, pred, faces)
        results.append({"frame": index, "persons": len(params),
                        "persons_from": origins[index],
                        "tracks": ids[index].tolist()})
      if writer is None:
        writer = cv2.VideoWriter(os.path.join(tmp, "overlay.mp4"),
                                 cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                 picture.shape[1::-1])
      writer.write(picture)
      rate = prediction.rate_and_eta(index + 1, len(preds), second,
                                     "frames")
      log(f"[overlay {index + 1}/{len(preds)}]  {rate}")
    writer.release()
    writer = None
    summary = {"video": config.input, "output": out, "fps": fps,
               "frames": len(preds), "succeeded": len(results),
               "failed": failed, "tracks": len(frames_of),
               "temporal_sigma": config.temporal_sigma, "results": results,
               "seconds": round(time.perf_counter() - start, 2)}
    prediction.write_json(os.path.join(tmp, "summary.json"), summary)
    if os.path.exists(out):
      shutil.rmtree(out)
    os.replace(tmp, out)
    return summary
  finally:
    capture.release()
    if writer is not None:
      writer.release()
    shutil.rmtree(tmp, ignore_errors=True)
