"""Tests of pipeline.end_to_end: keypoint decoding with gradients, the
render loss's values (squared and Geman–McClure keypoint terms) and its
gradients into every network."""

import numpy as np
import tensorflow as tf

from human2d import heatmaps as heatmaps_lib
from pipeline import end_to_end
from pipeline import finetuning
from tests import testing
from tests.pipeline import networks


def _gaussian(m, x, y, sigma=1.5):
  grid = np.arange(m, dtype=np.float64)
  return (np.exp(-(grid[None, :] - x) ** 2 / (2 * sigma ** 2)) *
          np.exp(-(grid[:, None] - y) ** 2 / (2 * sigma ** 2)))


class SoftArgmaxTest(testing.TestCase):

  def test_finds_sub_pixel_peaks(self):
    # A symmetric peak on a pixel centre is found exactly; between pixels
    # the window's centre of mass lies between the pixel and the peak.
    maps = np.stack([_gaussian(16, 5.0, 9.0), _gaussian(16, 10.3, 3.7)], -1)
    xy = end_to_end.soft_argmax(maps[None].astype(np.float32)).numpy()[0]
    self.assertAllClose(xy[0], [5.0, 9.0], atol=1e-4)
    self.assertBetween(xy[1, 0], 10.0, 10.3)
    self.assertBetween(xy[1, 1], 3.7, 4.0)

  def test_rejects_bad_shapes(self):
    with self.assertRaisesRegex(ValueError, "heatmaps must be"):
      end_to_end.soft_argmax(tf.zeros([2, 8, 9, 3]))
    with self.assertRaisesRegex(ValueError, "radius"):
      end_to_end.soft_argmax(tf.zeros([1, 8, 8, 1]), radius=0)

  def test_value_is_inference_decode_gradient_is_soft(self):
    maps = tf.constant(np.stack([_gaussian(16, 6.4, 7.2)], -1)[None],
                       tf.float32)
    with tf.GradientTape() as tape:
      tape.watch(maps)
      out = end_to_end.decode_with_gradients(maps)
      x = out.xy[0, 0, 0]
    self.assertAllClose(out.xy, heatmaps_lib.decode(maps).xy)
    grad = tape.gradient(x, maps).numpy()[0, ..., 0]
    self.assertTrue(np.all(np.isfinite(grad)))
    # More mass right of the peak moves x right.
    self.assertGreater(grad[7, 8], 0.0)
    self.assertLess(grad[7, 4], 0.0)


class RenderLossTest(testing.TestCase):

  def _chain(self, keypoint_loss="squared", keypoint_sigma=20.0):
    h2d, pose, shape = networks.write_tiny_weights(
        self.create_tempdir().full_path)
    config = finetuning.FinetuneConfig(
        model_dir=self.create_tempdir().full_path, human2d_weights=h2d,
        pose_weights=pose, shape_weights=shape, proxy_cell=0.0,
        render_jit_compile=False, keypoint_loss=keypoint_loss,
        keypoint_sigma=keypoint_sigma)
    return finetuning.build_chain(config)

  def _batch(self, chain, rng, n=2):
    s = chain.human2d_config.input_size
    m = chain.human2d_config.heatmap_size
    k = chain.human2d_config.num_keypoints
    return {
        "image": tf.constant(rng.uniform(0, 255, [n, s, s, 3]), tf.float32),
        "keypoints": tf.constant(rng.uniform(10, s - 10, [n, k, 2]),
                                 tf.float32),
        "weights": tf.constant(rng.integers(0, 2, [n, k]), tf.float32),
        "heatmaps": tf.zeros([n, m, m, k]),
        "silhouette": tf.constant(rng.uniform(0, 1, [n, m, m]), tf.float32),
        "has_silhouette": tf.constant([1.0] + [0.0] * (n - 1)),
    }

  @testing.parameters("squared", "gmof")
  def test_loss_matches_a_numpy_reference(self, keypoint_loss):
    chain = self._chain(keypoint_loss, keypoint_sigma=12.0)
    batch = self._batch(chain, np.random.default_rng(0))
    out = chain(batch["image"])
    terms = chain.render_loss(out, batch)
    r, s = chain.render_size, chain.human2d_config.input_size
    target = (batch["keypoints"].numpy() + 0.5) * r / s - 0.5
    w = batch["weights"].numpy()
    sq = ((out.projected.numpy() - target) ** 2).sum(-1)
    if keypoint_loss == "gmof":
      sigma2 = (12.0 * r / s) ** 2
      sq = sigma2 * sq / (sigma2 + sq)
    want_kp = 10.0 * np.mean((w * sq).sum(-1))
    m = batch["silhouette"].shape[1]
    cover = batch["silhouette"].numpy().repeat(r // m, 1).repeat(r // m, 2)
    want_sil = np.mean(batch["has_silhouette"].numpy() * (
        (out.rendered.numpy() - cover) ** 2).sum((1, 2)))
    self.assertAllClose(terms["keypoints"], want_kp, rtol=1e-4)
    self.assertAllClose(terms["silhouette"], want_sil, rtol=1e-4)
    self.assertGreater(float(terms["silhouette"]), 0.0)

  def _keypoint_gradients(self, chain, distances):
    """d keypoint term / d projected keypoint for one example whose
    keypoint k lies `distances[k]` render-grid pixels right of its label
    (label weight 1; the other keypoints on their labels)."""
    batch = self._batch(chain, np.random.default_rng(2), n=1)
    k = chain.human2d_config.num_keypoints
    r, s = chain.render_size, chain.human2d_config.input_size
    labels = batch["keypoints"].numpy()
    target = (labels + 0.5) * r / s - 0.5
    offsets = np.zeros([1, k, 2], np.float32)
    offsets[0, :len(distances), 0] = distances
    projected = tf.constant(target + offsets, tf.float32)
    batch["weights"] = tf.ones([1, k])
    out = chain(batch["image"])
    with tf.GradientTape() as tape:
      tape.watch(projected)
      loss = chain.render_loss(out._replace(projected=projected),
                               batch)["keypoints"]
    grad = tape.gradient(loss, projected).numpy()[0, :len(distances)]
    return float(loss), np.linalg.norm(grad, axis=-1)

  def test_gmof_bounds_an_outlier_keypoints_gradient(self):
    sigma = 20.0                               # crop pixels
    squared, gmof = self._chain("squared"), self._chain("gmof", sigma)
    r, s = squared.render_size, squared.human2d_config.input_size
    sigma_r = sigma * r / s                    # render-grid pixels
    distances = [sigma_r, 3 * sigma_r, 10 * sigma_r, 100 * sigma_r]
    _, g_sq = self._keypoint_gradients(squared, distances)
    loss, g_gm = self._keypoint_gradients(gmof, distances)
    mu = squared.keypoint_weight
    # Squared: the pull grows with the miss (2 μ d).
    self.assertAllClose(g_sq, 2 * mu * np.array(distances), rtol=1e-4)
    # Geman–McClure: every pull is below its maximum, (3√3/8) μ σ at
    # d = σ/√3, falls as the miss grows, and a far one pulls far less.
    self.assertTrue(np.all(g_gm <= 3 * np.sqrt(3) / 8 * mu * sigma_r * 1.001))
    self.assertTrue(np.all(np.diff(g_gm) < 0), g_gm)
    self.assertLess(g_gm[-1], 1e-3 * g_sq[-1])
    # And the loss of a miss is capped at μ σ² per keypoint.
    self.assertLess(loss, mu * sigma_r ** 2 * len(distances))

  def test_gmof_equals_squared_for_small_residuals(self):
    squared, gmof = self._chain("squared"), self._chain("gmof", 20.0)
    distances = [0.01, 0.02, 0.05]             # render pixels, ≪ σ (5)
    l_sq, g_sq = self._keypoint_gradients(squared, distances)
    l_gm, g_gm = self._keypoint_gradients(gmof, distances)
    self.assertGreater(l_sq, 0.0)
    self.assertAllClose(l_gm, l_sq, rtol=1e-3)
    self.assertAllClose(g_gm, g_sq, rtol=1e-3)

  def test_rejects_bad_keypoint_loss(self):
    with self.assertRaisesRegex(ValueError, "keypoint_loss"):
      self._chain("huber")
    with self.assertRaisesRegex(ValueError, "keypoint_sigma"):
      self._chain("gmof", 0.0)

  @testing.parameters("squared", "gmof")
  def test_gradients_reach_human2d_and_both_priors(self, keypoint_loss):
    chain = self._chain(keypoint_loss)
    batch = self._batch(chain, np.random.default_rng(1))
    with tf.GradientTape() as tape:
      loss = chain.render_loss(chain(batch["image"]), batch)["render"]
    models = {"human2d": chain.human2d, "pose": chain.pose_model,
              "shape": chain.shape_model}
    grads = tape.gradient(loss, [m.trainable_variables
                                 for m in models.values()])
    for (name, model), g in zip(models.items(), grads):
      flat = np.concatenate([x.numpy().ravel() for x in g if x is not None])
      self.assertTrue(np.all(np.isfinite(flat)), name)
      self.assertGreater(np.abs(flat).max(), 0.0, name)
      # Most variables get a gradient (BatchNorm statistics are not
      # trainable; every trainable variable is on the path).
      missing = [v.name for v, x in zip(model.trainable_variables, g)
                 if x is None]
      self.assertEqual(missing, [], name)


if __name__ == "__main__":
  testing.main()
