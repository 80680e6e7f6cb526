"""Image(s) → SMPL-format meshes: `.obj`, `.ply`, parameters and overlays.

    python -m pipeline.predict --input=photo.jpg|DIR|video.mp4 --output=out/predict \
        [--keypoints=openpose.json|DIR|coco_results.json] \
        [--boxes=boxes.json|"x0,y0,x1,y1;..."] [--focal=PIXELS] \
        [--fit_steps=N] [--temporal_sigma=FRAMES] \
        [--human2d_weights=W.weights.h5]

Writes per image `<stem>/overlay.png` and `<stem>/person_<k>/{mesh.obj,
mesh.ply,params.npz,params.json}`, and `summary.json`; the exit status is 1
when an image failed (the others are still processed). A video gives
`<stem>/params/frame_*.npz`, `<stem>/tracks/track_*.npz` (per tracked person,
smoothed over time, one shape), `<stem>/overlay.mp4` and `<stem>/summary.json`
(`pipeline/video.py`). See `pipeline/prediction.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top
from absl import logging  # pylint: disable=g-import-not-at-top

from pipeline import model  # pylint: disable=g-import-not-at-top
from pipeline import prediction  # pylint: disable=g-import-not-at-top
from pipeline import video  # pylint: disable=g-import-not-at-top
from pipeline import weight_flags  # pylint: disable=g-import-not-at-top

_INPUT = flags.DEFINE_string("input", None, "An image, a folder of images, "
                             "or a video (.mp4, .avi, .mov, .mkv, ...).")
_OUTPUT = flags.DEFINE_string("output", None, "Output folder.")
_KEYPOINTS = flags.DEFINE_string(
    "keypoints", "", "OpenPose JSON file or folder, or a COCO keypoint "
    "results file: one crop per detected person.")
_BOXES = flags.DEFINE_string(
    "boxes", "", "Person boxes: a JSON file {image: [[x0,y0,x1,y1],...]} or "
    "'x0,y0,x1,y1;...' for every image. Used where --keypoints has nobody.")
_FOCAL = flags.DEFINE_float("focal", 0.0, "Focal length in pixels; 0: the "
                            "image's larger side.")
_FIT_STEPS = flags.DEFINE_integer("fit_steps", 0, "Test-time fit steps "
                                  "(pipeline/fit.py); 0: off.")
_MIN_SCORE = flags.DEFINE_float("min_score", 0.0, "Drop detections scored "
                                "below this (COCO results).")
_TEMPORAL_SIGMA = flags.DEFINE_float(
    "temporal_sigma", 1.5, "Videos: smoothing width in frames of each "
    "tracked person's pose and translation; 0: per-frame poses (one shape "
    "per person either way).")


def main(argv):
  del argv
  config = prediction.PredictConfig(
      input=_INPUT.value, output_dir=_OUTPUT.value, keypoints=_KEYPOINTS.value,
      boxes=_BOXES.value, focal=_FOCAL.value, fit_steps=_FIT_STEPS.value,
      min_score=_MIN_SCORE.value, temporal_sigma=_TEMPORAL_SIGMA.value)
  net = model.BodyFromImage.load(**weight_flags.load_kwargs())
  if video.is_video(config.input):
    summary = video.run_video(config, net, log=print)
    print(f"{summary['succeeded']} of {summary['frames']} frames done in "
          f"{summary['seconds']} s; results in {summary['output']}")
  else:
    summary = prediction.run(config, net, log=print)
    print(f"{summary['succeeded']} of {summary['images']} images done in "
          f"{summary['seconds']} s; results and summary.json in "
          f"{config.output_dir}")
  for f in summary["failed"]:
    print(f"failed: {f.get('image', f.get('frame'))}: {f['error']}",
          file=sys.stderr)
  if summary["failed"]:
    sys.exit(1)


if __name__ == "__main__":
  # Required only when run as a program, so tests can import this module.
  flags.mark_flags_as_required(["input", "output"])
  logging.set_verbosity(logging.WARNING)
  app.run(main)
