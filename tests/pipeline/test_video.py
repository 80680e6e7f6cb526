"""Tests for pipeline/video.py: a generated clip → per-frame params and an
overlay video."""

import json
import os

import cv2
import numpy as np

from pipeline import prediction
from pipeline import video
from tests import testing
from tests.pipeline import networks


class VideoTest(testing.TestCase):

  def test_frames_to_params_and_overlay_video(self):
    root = self.create_tempdir().full_path
    path = os.path.join(root, "clip.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
                             (96, 80))
    for i in range(3):
      frame = np.full((80, 96, 3), 150, np.uint8)
      cv2.circle(frame, (30 + 15 * i, 40), 15, (40, 40, 200), -1)
      writer.write(frame)
    writer.release()
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

  def test_not_a_video_is_named(self):
    path = os.path.join(self.create_tempdir().full_path, "x.mp4")
    with open(path, "wb") as f:
      f.write(b"nothing")
    with self.assertRaisesRegex(ValueError, "x.mp4"):
      video.run_video(prediction.PredictConfig(
          input=path, output_dir=os.path.dirname(path)), None)


if __name__ == "__main__":
  testing.main()
