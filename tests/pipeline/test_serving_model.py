"""Tests of pipeline/serving_model.py: the SavedModel loaded in a fresh
process (TF2 loader and saved_model_cli's TF1 session, as TF Serving) gives
the in-process model's outputs, and `pipeline.rest_server` serves it over
real HTTP. An untrained tiny Human2D (flip test on) with the shipped priors;
the model is exported once for the class."""

import base64
import http.client
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf

from body import lbs
from pipeline import crop as crop_lib
from pipeline import model as model_lib
from pipeline import rest_server
from pipeline import serving_model
from priors import inference as priors_inference
from tests import testing
from tests.pipeline import networks

# Runs every signature of the SavedModel argv[1] on the inputs of the .npz
# argv[2] and writes the outputs to the .npz argv[3] as "<sig>/<output>".
_RUN_IN_FRESH_PROCESS = r"""
import sys
import numpy as np
import tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
inputs = np.load(sys.argv[2], allow_pickle=True)  # bytes: object arrays
feeds = {}
for key in inputs.files:
  sig, name = key.split("/")
  feeds.setdefault(sig, {})[name] = tf.constant(inputs[key])
out = {}
for sig, kwargs in feeds.items():
  for name, value in loaded.signatures[sig](**kwargs).items():
    out[f"{sig}/{name}"] = value.numpy()
np.savez(sys.argv[3], **out)
"""

_CLI = [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]


def _env():
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


def _png(image) -> bytes:
  return tf.io.encode_png(image).numpy()


class ServingModelTest(testing.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    tf.keras.utils.set_random_seed(testing.SEED)
    cls.model = model_lib.BodyFromImage(
        networks.tiny_human2d(),
        priors_inference.Priors.from_pretrained(flip_test=True),
        flip_test=True)
    cls.base = tempfile.mkdtemp()
    cls.path = serving_model.export(cls.model, cls.base, version=2)
    rng = np.random.default_rng(testing.SEED)
    cls.images = [rng.integers(0, 255, (90, 140, 3), dtype=np.uint8),
                  rng.integers(0, 255, (120, 80, 3), dtype=np.uint8)]
    cls.encoded = np.array([_png(i) for i in cls.images], dtype=object)
    cls.boxes = np.array([[20, 10, 90, 80], [5, 30, 60, 110]], np.float32)
    s = cls.model.crop_size
    cls.crops = rng.integers(0, 255, (3, s, s, 3), dtype=np.uint8)
    p = cls.model.priors.pose_model.config.num_keypoints
    r = cls.model.priors.shape_model.config.silhouette_size
    cls.keypoints = rng.uniform(40, 220, (2, p, 2)).astype(np.float32)
    cls.confidence = rng.uniform(0.2, 1.0, (2, p)).astype(np.float32)
    cls.silhouette = rng.uniform(0, 1, (2, r, r)).astype(np.float32)
    cls.theta = (0.3 * rng.normal(size=(2, 72))).astype(np.float32)
    cls.betas = rng.normal(size=(2, 10)).astype(np.float32)
    inputs = {
        "serving_default/image_bytes": cls.encoded,
        "boxes/image_bytes": cls.encoded, "boxes/box": cls.boxes,
        "vertices/image_bytes": cls.encoded[:1],
        "image_tensor/crops": cls.crops,
        "keypoints/keypoints": cls.keypoints,
        "keypoints/confidence": cls.confidence,
        "keypoints_silhouette/keypoints": cls.keypoints,
        "keypoints_silhouette/confidence": cls.confidence,
        "keypoints_silhouette/silhouette": cls.silhouette,
        "body_model/theta": cls.theta, "body_model/betas": cls.betas}
    np.savez(os.path.join(cls.base, "inputs.npz"), **inputs)
    subprocess.run([sys.executable, "-c", _RUN_IN_FRESH_PROCESS, cls.path,
                    os.path.join(cls.base, "inputs.npz"),
                    os.path.join(cls.base, "outputs.npz")],
                   check=True, env=_env(), capture_output=True)
    cls.out = dict(np.load(os.path.join(cls.base, "outputs.npz")))

  def assert_outputs(self, sig, want, atol=1e-4):
    for name, value in want.items():
      got = self.out[f"{sig}/{name}"]
      self.assertEqual(got.shape, np.shape(value), f"{sig}/{name}")
      self.assertAllClose(got, value, atol=atol, rtol=1e-4,
                          msg=f"{sig}/{name}")

  def expected(self, pred):
    return {"theta": pred.theta, "betas": pred.betas, "camera": pred.camera,
            "joints": pred.joints, "confidence": pred.confidence,
            "translation": pred.translation}

  def test_encoded_images_match_the_in_process_model(self):
    preds = [self.model.predict_image(
        image, [crop_lib.whole_image_box(*image.shape[:2])])
             for image in self.images]
    want = {k: np.concatenate([self.expected(p)[k] for p in preds])
            for k in self.expected(preds[0])}
    want["keypoints"] = np.concatenate([p.keypoints_image for p in preds])
    self.assert_outputs("serving_default", want, atol=2e-3)
    self.assert_outputs("vertices", {"vertices": preds[0].vertices,
                                     "translation": preds[0].translation})

  def test_boxes_match_the_in_process_model(self):
    preds = [self.model.predict_image(image, [box])
             for image, box in zip(self.images, self.boxes)]
    want = {k: np.concatenate([self.expected(p)[k] for p in preds])
            for k in self.expected(preds[0])}
    want["keypoints"] = np.concatenate([p.keypoints_image for p in preds])
    self.assert_outputs("boxes", want, atol=2e-3)

  def test_crops_and_priors_match_the_in_process_model(self):
    pred, body = self.model._run(  # pylint: disable=protected-access
        tf.constant(self.crops, tf.float32))
    self.assert_outputs("image_tensor", {
        "theta": body.theta, "betas": body.betas, "joints": body.joints,
        "keypoints": pred.keypoints.xy, "silhouette": pred.silhouette})
    priors = self.model.priors
    for sig, sil in (("keypoints", None),
                     ("keypoints_silhouette", self.silhouette)):
      body = priors(self.keypoints, self.confidence, sil)
      self.assert_outputs(sig, {"theta": body.theta, "betas": body.betas,
                                "camera": body.camera,
                                "vertices": body.vertices})
    self.assertAllEqual(self.out["keypoints/betas"], np.zeros((2, 10)))
    body = lbs.forward_axis_angle(priors.assets, self.betas, self.theta)
    self.assert_outputs("body_model", {"vertices": body.vertices,
                                       "joints": body.joints})

  def test_saved_model_cli_show_and_run(self):
    shown = subprocess.run(_CLI + ["show", "--dir", self.path, "--all"],
                           check=True, env=_env(), capture_output=True,
                           text=True).stdout
    for sig in serving_model.SIGNATURES:
      self.assertIn(f"signature_def['{sig}']", shown)
    self.assertIn("shape: (-1)", shown)            # image_bytes: dynamic N
    np.save(os.path.join(self.base, "kp.npy"), self.keypoints)
    np.save(os.path.join(self.base, "conf.npy"), self.confidence)
    outdir = os.path.join(self.base, "cli")
    subprocess.run(_CLI + [
        "run", "--dir", self.path, "--tag_set", "serve", "--signature_def",
        "keypoints", "--inputs",
        f"keypoints={self.base}/kp.npy;confidence={self.base}/conf.npy",
        "--outdir", outdir], check=True, env=_env(), capture_output=True)
    self.assertAllClose(np.load(os.path.join(outdir, "theta.npy")),
                        self.out["keypoints/theta"], atol=1e-4)

  def test_versions_are_checked(self):
    with self.assertRaisesRegex(FileExistsError, "exists"):
      serving_model.export(self.model, self.base, version=2)
    with self.assertRaisesRegex(ValueError, "version"):
      serving_model.export(self.model, self.base, version=0)

  def test_rest_server_serves_the_export(self):
    server = rest_server.start(rest_server.ServerConfig(
        model_dir=self.base, model_name="body3d", port=0, batching=True,
        max_body_bytes=200000))
    try:
      def post(body):
        conn = http.client.HTTPConnection("127.0.0.1", server.port,
                                          timeout=120)
        conn.request("POST", "/v1/models/body3d:predict",
                     body if isinstance(body, str) else json.dumps(body))
        response = conn.getresponse()
        answer = json.loads(response.read())
        conn.close()
        return response.status, answer

      good = [{"b64": base64.b64encode(e).decode()} for e in self.encoded]
      status, answer = post({"instances": good})
      self.assertEqual(status, 200, answer)
      got = answer["predictions"]
      self.assertLen(got, 2)
      self.assertAllClose(np.array([g["theta"] for g in got]),
                          self.out["serving_default/theta"], atol=1e-4)
      self.assertAllClose(np.array([g["keypoints"] for g in got]),
                          self.out["serving_default/keypoints"], atol=1e-2)
      bad = {"malformed": "{\"instances\": [",
             "not_an_image": {"instances": [
                 {"b64": base64.b64encode(b"no image").decode()}]},
             "wrong_shape": {"signature_name": "image_tensor",
                             "instances": [[[1, 2, 3]]]},
             "too_big": {"instances": [{"b64": "A" * 300000}]}}
      for name, body in bad.items():
        status, answer = post(body)
        self.assertEqual(status, 400, f"{name}: {answer}")
        self.assertIn("error", answer)
      status, answer = post({"instances": good[1:]})      # Still up.
      self.assertEqual(status, 200, answer)
    finally:
      server.close()


if __name__ == "__main__":
  testing.main()
