"""Video → per-frame body parameters and an overlay video.

Frames are read with `cv2.VideoCapture` and go through the same path as
images (`prediction.predict_persons`); persons per frame come from the
keypoints (an OpenPose folder names frames `<stem>_<frame:012d>`, as
OpenPose writes them), the boxes, or the whole frame. Output, under
`<output_dir>/<video stem>/` (written under a temporary name and renamed
when complete):

  params/frame_<frame:06d>.npz   per frame, arrays with a leading person axis
                                 (`prediction.person_params` names)
  overlay.mp4                    the frames with meshes and skeletons
  summary.json                   frames done / failed, persons per frame

Meshes are not written per frame (a mesh is ~0.7 MB); rebuild one from θ, β
with `body.lbs`. A frame that fails is named in the log and the summary,
drawn without meshes, and the others go on.
"""

import os
import shutil
import time
from typing import Dict

import cv2
import numpy as np

from pipeline import model as model_lib
from pipeline import overlay as overlay_lib
from pipeline import prediction

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def is_video(path: str) -> bool:
  return os.path.isfile(path) and path.lower().endswith(VIDEO_EXTENSIONS)


def run_video(config: prediction.PredictConfig,
              model: model_lib.BodyFromImage, log=print) -> Dict:
  """Processes the video `config.input`; returns its summary."""
  capture = cv2.VideoCapture(config.input)
  if not capture.isOpened():
    raise ValueError(f"cannot open {config.input} as a video.")
  fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
  total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
  stem = os.path.splitext(os.path.basename(config.input))[0]
  out = os.path.join(config.output_dir, stem)
  tmp = f"{out}.tmp-{os.getpid()}"
  shutil.rmtree(tmp, ignore_errors=True)
  os.makedirs(os.path.join(tmp, "params"))
  sources = prediction.person_sources(config, single_image=False)
  faces = model.priors.assets.faces
  writer, frames, failed = None, [], []
  start = time.perf_counter()
  try:
    index = 0
    while True:
      ok, frame = capture.read()
      if not ok:
        break
      name = f"{stem}_{index:012d}.png"
      try:
        pred, origin = prediction.predict_persons(model, frame, name, sources,
                                                  config)
        params = [prediction.person_params(pred.person(k))
                  for k in range(len(pred.theta))]
        np.savez(os.path.join(tmp, "params", f"frame_{index:06d}.npz"),
                 **{k: np.stack([p[k] for p in params]) for k in params[0]})
        picture = overlay_lib.render_overlay(frame, pred, faces)
        frames.append({"frame": index, "persons": len(params),
                       "persons_from": origin})
        note = f"{len(params)} person(s) from {origin}"
      except Exception as e:  # pylint: disable=broad-except
        failed.append({"frame": index, "error": f"{type(e).__name__}: {e}"})
        picture = overlay_lib.fit_to(frame)
        note = f"FAILED: {failed[-1]['error']}"
      if writer is None:
        writer = cv2.VideoWriter(os.path.join(tmp, "overlay.mp4"),
                                 cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                 picture.shape[1::-1])
      writer.write(picture)
      index += 1
      log(f"[frame {index}/{total or '?'}] {note}  "
          f"{prediction.rate_and_eta(index, total, start, 'frames')}")
    if index == 0:
      raise ValueError(f"{config.input} has no frames OpenCV can read.")
    writer.release()
    writer = None
    summary = {"video": config.input, "output": out, "fps": fps,
               "frames": index, "succeeded": len(frames), "failed": failed,
               "results": frames,
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
