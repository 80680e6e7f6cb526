"""Tests for pipeline/prediction.py and the `pipeline.predict` binary on
generated images, with an untrained tiny Human2D and the shipped priors."""

import dataclasses
import json
import os

from absl.testing import flagsaver
import cv2
import numpy as np

from body import keypoints
from pipeline import mesh_io
from pipeline import predict
from pipeline import prediction
from tests import testing
from tests.pipeline import networks


def draw_person(height, width, x):
  """A stick figure at column x on a plain background (BGR uint8)."""
  image = np.full((height, width, 3), 170, np.uint8)
  cv2.circle(image, (x, 30), 12, (60, 90, 200), -1)
  cv2.line(image, (x, 42), (x, 100), (40, 40, 40), 8)
  for dx in (-20, 20):
    cv2.line(image, (x, 55), (x + dx, 85), (40, 40, 40), 5)
    cv2.line(image, (x, 100), (x + dx, 150), (40, 40, 40), 6)
  return image


class PredictionTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.model = networks.tiny_model()

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.images = os.path.join(self.root, "images")
    os.makedirs(self.images)

  def _check_person(self, folder):
    faces = self.model.priors.assets.faces
    params = np.load(os.path.join(folder, "params.npz"))
    self.assertEqual(params["theta"].shape, (72,))
    self.assertEqual(params["keypoints_image"].shape, (23, 2))
    # The mesh files hold the params' camera-frame mesh in OpenGL axes.
    expected = (params["vertices"] + params["translation"]) * [1, -1, -1]
    for name, read in (("mesh.obj", mesh_io.read_obj),
                       ("mesh.ply", mesh_io.read_ply)):
      verts, mesh_faces = read(os.path.join(folder, name))
      self.assertAllClose(verts, expected, atol=1e-5)
      self.assertAllEqual(mesh_faces, faces)
    with open(os.path.join(folder, "params.json")) as f:
      doc = json.load(f)
    self.assertAllClose(doc["betas"], params["betas"], atol=1e-5)
    self.assertEqual(doc["keypoint_set"], "COCO_21_LSP")

  def test_keypoints_then_boxes_then_whole_image(self):
    for name, x in (("a", 60), ("b", 100), ("c", 140)):
      cv2.imwrite(os.path.join(self.images, f"{name}.png"),
                  draw_person(180, 200, x))
    # OpenPose file for a.png: two people.
    coco = keypoints.COCO_17
    people = []
    for shift in (0, 80):
      flat = np.zeros((18, 3))
      for i, n in enumerate(prediction.keypoint_files.OPENPOSE_LAYOUTS[18]):
        if n in coco.names:
          flat[i] = [40 + shift + 3 * i, 20 + 8 * i, 0.9]
      people.append({"pose_keypoints_2d": flat.ravel().tolist()})
    kp_path = os.path.join(self.root, "a_keypoints.json")
    with open(kp_path, "w") as f:
      json.dump({"people": people}, f)
    boxes = os.path.join(self.root, "boxes.json")
    with open(boxes, "w") as f:
      json.dump({"b.png": [[70, 10, 130, 170]]}, f)
    out = os.path.join(self.root, "out")
    lines = []
    summary = prediction.run(prediction.PredictConfig(
        input=self.images, output_dir=out, keypoints=kp_path, boxes=boxes),
        self.model, log=lines.append)
    self.assertEqual(summary["failed"], [])
    origin = {os.path.basename(r["image"]): (r["persons"], r["persons_from"])
              for r in summary["results"]}
    self.assertEqual(origin["a.png"], (2, "openpose"))
    self.assertEqual(origin["b.png"], (1, "boxes"))
    self.assertEqual(origin["c.png"], (1, "whole image"))
    self.assertIn("centred crop", lines[2])
    self.assertIn("ETA", lines[-1])
    for k in range(2):
      self._check_person(os.path.join(out, "a", f"person_{k}"))
    overlay = cv2.imread(os.path.join(out, "a", "overlay.png"))
    self.assertEqual(overlay.shape, (180, 200, 3))
    with open(os.path.join(out, "summary.json")) as f:
      self.assertEqual(json.load(f)["succeeded"], 3)
    self.assertFalse([f for f in os.listdir(out) if "tmp" in f])

  def test_binary_skips_a_corrupt_file_and_exits_non_zero(self):
    cv2.imwrite(os.path.join(self.images, "good.jpg"),
                draw_person(160, 120, 60))
    with open(os.path.join(self.images, "broken.jpg"), "wb") as f:
      f.write(b"\xff\xd8 not really a jpeg")
    weights = os.path.join(self.root, "h2d.weights.h5")
    self.model.human2d.model.save_weights(weights)
    with open(os.path.join(self.root, "h2d.config.json"), "w") as f:
      json.dump(dataclasses.asdict(self.model.human2d.config), f)
    out = os.path.join(self.root, "out")
    with flagsaver.flagsaver(input=self.images, output=out,
                             human2d_weights=weights):
      with self.assertRaises(SystemExit) as exit_:
        predict.main([])
    self.assertEqual(exit_.exception.code, 1)
    self.assertEqual(sorted(os.listdir(out)), ["good", "summary.json"])
    self._check_person(os.path.join(out, "good", "person_0"))
    with open(os.path.join(out, "summary.json")) as f:
      summary = json.load(f)
    self.assertEqual([os.path.basename(f["image"]) for f in summary["failed"]],
                     ["broken.jpg"])
    self.assertIn("broken.jpg", summary["failed"][0]["error"])

  def test_a_failure_while_writing_leaves_no_folder(self):
    cv2.imwrite(os.path.join(self.images, "x.png"), draw_person(120, 120, 60))
    out = os.path.join(self.root, "out")
    config = prediction.PredictConfig(input=self.images, output_dir=out)
    original = prediction.overlay_lib.render_overlay
    def broken(*args, **kwargs):
      raise OSError("disk full")
    prediction.overlay_lib.render_overlay = broken
    try:
      summary = prediction.run(config, self.model, log=lambda _: None)
    finally:
      prediction.overlay_lib.render_overlay = original
    self.assertIn("disk full", summary["failed"][0]["error"])
    self.assertEqual(os.listdir(out), ["summary.json"])

  def test_refine_fits_the_prediction_to_its_own_evidence(self):
    model = networks.tiny_model()
    rng = np.random.default_rng(3)
    image = rng.integers(0, 255, (80, 120, 3), dtype=np.uint8)
    pred = model.predict_image(image, [[10, 5, 60, 75], [60, 10, 110, 70]])
    crops = [prediction.crop_lib.crop_from_box(image, b, model.crop_size)
             for b in ([10, 5, 60, 75], [60, 10, 110, 70])]
    self.assertIs(prediction.refine(model, crops, pred, 0, image.shape[:2]),
                  pred)
    out = prediction.refine(model, crops, pred, 3, image.shape[:2])
    for name in ("theta", "betas", "camera", "translation", "vertices"):
      value = getattr(out, name)
      self.assertEqual(value.shape, getattr(pred, name).shape, name)
      self.assertTrue(np.all(np.isfinite(value)), name)
    self.assertGreater(np.abs(out.theta - pred.theta).max(), 1e-6)
    # Human2D's outputs are evidence, not parameters: unchanged.
    self.assertAllEqual(out.keypoints_image, pred.keypoints_image)
    # The Fitter and its traced loop are kept for the next photo.
    fitter = prediction.fitter(model, 3)
    self.assertIs(prediction.fitter(model, 3), fitter)
    self.assertIsNot(prediction.fitter(model, 4), fitter)
    again = prediction.refine(model, crops, pred, 3, image.shape[:2])
    self.assertAllClose(again.theta, out.theta, atol=1e-5)
    self.assertEqual(fitter._loop.experimental_get_tracing_count(), 1)

  def test_bad_boxes_text_is_named(self):
    with self.assertRaisesRegex(ValueError, "4 numbers"):
      prediction.parse_boxes("1,2,3")


if __name__ == "__main__":
  testing.main()
