r"""Video: HMMR's acceleration error of per-frame prediction against the
temporal refinement of `pipeline.video`, on rendered motion clips.

    python -m benchmarks.video [--clips=4] [--frames=60] [--sigmas=0,1,1.5,2,3] \
        [--backgrounds=DIR] [--human2d_weights=W.weights.h5] [--strip=strip.jpg]

Each clip (`synth.motion`): one person whose pose passes through 4 prior
samples (slerped, eased), seen by an orbiting camera whose framing drifts;
rendered frame by frame with the same appearance and scene
(`ImageRenderer.render_samples`, occluders and contact shadows off). Crops
come from the box of the true 2D keypoints (as a tracker would give); the
model (`pipeline.model.BodyFromImage`, shipped weights by default) predicts
every frame, and `pipeline.video.refine_clip` smooths the track with each σ.

Columns, mean over clips, on the 24 SMPL joints aligned at the pelvis, mm:
  accel     acceleration error (HMMR): |Δ²pred − Δ²true| per joint, mm/frame²
  MPJPE     mean per-joint error      PA-MPJPE   after Procrustes alignment
Rows: `per frame` (the model's own output), then `σ = s` (one β per clip,
rotations and translation smoothed with a Gaussian of s frames; σ = 0 only
makes β constant). Prints a table and ends with one JSON line.
"""

import json
import time

from absl import app
from absl import flags
import cv2
import numpy as np

from human2d import record as h2d_record
from pipeline import crop as crop_lib
from pipeline import model as model_lib
from pipeline import overlay as overlay_lib
from pipeline import temporal
from pipeline import video
from priors import metrics
from synth import images as images_lib
from synth import motion

flags.DEFINE_integer("clips", 4, "Rendered motion clips.")
flags.DEFINE_integer("frames", 60, "Frames per clip.")
flags.DEFINE_integer("keys", 4, "Key poses per clip.")
flags.DEFINE_float("max_orbit", 1.0, "Largest camera orbit per clip, rad.")
flags.DEFINE_list("sigmas", ["0", "1", "1.5", "2", "3"], "Smoothing widths "
                  "(frames) to compare with per-frame prediction.")
flags.DEFINE_list("backgrounds", [], "Folders of background photos; none: "
                  "procedural backgrounds.")
flags.DEFINE_integer("seed", 7, "Seed of the clips.")
flags.DEFINE_string("strip", "", "Write frames of the first clip with "
                    "per-frame and smoothed (last σ) overlays to this "
                    ".jpg/.png.")
flags.DEFINE_string("human2d_weights", "", "Human2D weights; empty: the "
                    "shipped ones.")


def predict_clip(model, renderer, clip, seed: int):
  """(per-frame predictions (batch of 1 each), RGB frames) of one clip."""
  preds, frames, size = [], [], renderer.config.image_size
  for t in range(len(clip.batch)):
    out = renderer.render_samples(np.random.default_rng(seed),
                                  motion.frame(clip.batch, t))
    box = h2d_record.box_from_keypoints(out["keypoints"][0],
                                        out["in_image"][0])
    crop = crop_lib.crop_from_box(out["image"][0], box, model.crop_size)
    preds.append(model.predict_crops([crop], [(size, size)]))
    frames.append(out["image"][0])
  return preds, frames


def write_strip(path: str, frames, rows, faces, count: int = 6) -> None:
  """A picture of `count` evenly spaced frames (columns), one row per
  `(label, predictions)` in `rows`, each frame with that row's overlay."""
  picks = np.linspace(0, len(frames) - 1, count).round().astype(int)
  lines = []
  for label, preds in rows:
    tiles = [overlay_lib.render_overlay(frames[t][..., ::-1], preds[t],
                                        faces) for t in picks]
    line = np.concatenate(tiles, axis=1)
    cv2.putText(line, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (255, 255, 255), 2, cv2.LINE_AA)
    lines.append(line)
  if not cv2.imwrite(path, np.concatenate(lines, axis=0),
                     [cv2.IMWRITE_JPEG_QUALITY, 85]):
    raise OSError(f"could not write {path} (a .jpg or .png path?).")


def scores(joints, true_joints):
  """(accel, MPJPE, PA-MPJPE) of `[T, 24, 3]` joints (metres)."""
  pred = joints - joints[:, :1]
  true = true_joints - true_joints[:, :1]
  return (temporal.acceleration_error(1000.0 * pred, 1000.0 * true),
          float(metrics.mpjpe(pred, true).mean()),
          float(metrics.pa_mpjpe(pred, true).mean()))


def main(argv):
  del argv
  f = flags.FLAGS
  model = model_lib.BodyFromImage.load(f.human2d_weights or None)
  renderer = images_lib.ImageRenderer(images_lib.ImageConfig(
      keypoint_set=model.human2d.config.keypoint_set,
      background_dirs=tuple(f.backgrounds), occluder_probability=0.0,
      shadow_probability=0.0, batch_size=1), model.priors.assets)
  config = motion.MotionConfig(frames=f.frames, keys=f.keys,
                               max_orbit=f.max_orbit)
  sigmas = [float(s) for s in f.sigmas]
  rows = {"per frame": []}
  rows.update({f"σ = {s:g}": [] for s in sigmas})
  start = time.perf_counter()
  for c in range(f.clips):
    clip = motion.sample_clip(renderer.generator,
                              np.random.default_rng([f.seed, c]), config)
    preds, frames = predict_clip(model, renderer, clip,
                                 seed=f.seed * 1000 + c)
    true = clip.batch.joints3d
    rows["per frame"].append(scores(
        np.concatenate([p.joints for p in preds]), true))
    for s in sigmas:
      refined, _, tracks = video.refine_clip(model, preds, s)
      if len(tracks) != 1:
        raise RuntimeError(f"clip {c}: the tracker split one person into "
                           f"{len(tracks)} tracks.")
      rows[f"σ = {s:g}"].append(scores(
          np.concatenate([p.joints for p in refined]), true))
      if c == 0 and f.strip and s == sigmas[-1]:
        write_strip(f.strip, frames, [("per frame", preds),
                                      (f"smoothed, sigma {s:g}", refined)],
                    model.priors.assets.faces)
    print(f"clip {c + 1}/{f.clips} done, "
          f"{time.perf_counter() - start:.0f} s", flush=True)
  print(f"\n{f.clips} clips × {f.frames} frames, pelvis-aligned SMPL joints")
  print(f"{'':12s} {'accel':>8s} {'MPJPE':>8s} {'PA-MPJPE':>9s}")
  summary = {}
  for name, values in rows.items():
    accel, mpjpe, pa = np.mean(values, axis=0)
    print(f"{name:12s} {accel:8.1f} {mpjpe:8.1f} {pa:9.1f}")
    key = "per_frame" if name == "per frame" else f"sigma_{name[4:]}"
    summary[key] = {"accel_mm_per_frame2": round(float(accel), 2),
                     "mpjpe_mm": round(float(mpjpe), 1),
                     "pa_mpjpe_mm": round(float(pa), 1)}
  print(json.dumps({"benchmark": "video", "clips": f.clips,
                    "frames": f.frames, "rows": summary,
                    "seconds": round(time.perf_counter() - start, 1)}))


if __name__ == "__main__":
  app.run(main)
