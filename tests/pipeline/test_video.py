"""Tests for pipeline/video.py: a generated clip → per-frame params and an
overlay video."""

import dataclasses
import json
import os

import cv2
import numpy as np

from pipeline import prediction
from pipeline import video
from tests import testing
from tests.pipeline import networks


class VideoTest(testing.TestCase):

  def _clip(self, root, frames=3):
    path = os.path.join(root, "clip.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
                             (96, 80))
    for i in range(frames):
      frame = np.full((80, 96, 3), 150, np.uint8)
      cv2.circle(frame, (30 + 15 * i, 40), 15, (40, 40, 200), -1)
      writer.write(frame)
    writer.release()
    return path

  def test_frames_to_params_and_overlay_video(self):
    root = self.create_tempdir().full_path
    path = self._clip(root)
    self.assertTrue(video.is_video(path))
    out = os.path.join(root, "out")
    lines = []
    summary = video.run_video(prediction.PredictConfig(
        input=path, output_dir=out, boxes="10,10,60,70"),
        networks.tiny_model(), log=lines.append)
    self.assertEqual((summary["frames"], summary["succeeded"]), (3, 3))
    self.assertEqual(summary["failed"], [])
    self.assertEqual(sorted(os.listdir(out)), ["clip"])  # No temporaries.
    folder = os.path.join(out, "clip")
    names = sorted(os.listdir(os.path.join(folder, "params")))
    self.assertEqual(names, [f"frame_{i:06d}.npz" for i in range(3)])
    params = np.load(os.path.join(folder, "params", names[0]))
    self.assertEqual(params["theta"].shape, (1, 72))
    self.assertEqual(params["keypoints_image"].shape, (1, 23, 2))
    clip = cv2.VideoCapture(os.path.join(folder, "overlay.mp4"))
    count = 0
    while clip.read()[0]:
      count += 1
    clip.release()
    self.assertEqual(count, 3)
    with open(os.path.join(folder, "summary.json")) as f:
      self.assertEqual(json.load(f)["results"][2]["persons_from"], "boxes")
    self.assertIn("frames/s", lines[-1])
    self.assertEqual(summary["tracks"], 1)
    track = np.load(os.path.join(folder, "tracks", "track_0.npz"))
    self.assertEqual(track["frames"].tolist(), [0, 1, 2])
    self.assertEqual(track["theta"].shape, (3, 72))
    # One shape for the clip, in every frame's params too.
    for name in names:
      frame = np.load(os.path.join(folder, "params", name))
      self.assertAllClose(frame["betas"][0], track["betas"])
      self.assertEqual(frame["track"].tolist(), [0])

  def test_two_people_are_tracked_and_smoothed(self):
    root = self.create_tempdir().full_path
    path = self._clip(root, frames=5)
    model = networks.tiny_model()
    config = prediction.PredictConfig(
        input=path, output_dir=os.path.join(root, "raw"),
        boxes="0,0,40,80;50,0,96,80", temporal_sigma=0.0)
    raw = video.run_video(config, model, log=lambda _: None)
    smooth = video.run_video(dataclasses.replace(
        config, output_dir=os.path.join(root, "smooth"), temporal_sigma=2.0),
        model, log=lambda _: None)
    self.assertEqual((raw["tracks"], smooth["tracks"]), (2, 2))
    load = lambda run, k: np.load(os.path.join(root, run, "clip", "tracks",
                                               f"track_{k}.npz"))
    for k in range(2):
      r, s = load("raw", k), load("smooth", k)
      self.assertAllClose(r["betas"], s["betas"], atol=1e-5)
      # Smoothing lowers the pose's frame-to-frame acceleration.
      accel = lambda x: np.abs(np.diff(x, 2, axis=0)).mean()
      self.assertLess(accel(s["joints"]), accel(r["joints"]))
      self.assertLess(accel(s["translation"]), accel(r["translation"]) +
                      1e-9)

  def test_not_a_video_is_named(self):
    path = os.path.join(self.create_tempdir().full_path, "x.mp4")
    with open(path, "wb") as f:
      f.write(b"nothing")
    with self.assertRaisesRegex(ValueError, "x.mp4"):
      video.run_video(prediction.PredictConfig(
          input=path, output_dir=os.path.dirname(path)), None)


if __name__ == "__main__":
  testing.main()
