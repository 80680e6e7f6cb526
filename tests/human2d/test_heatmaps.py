"""Tests for human2d/heatmaps.py."""

import numpy as np
import tensorflow as tf

from human2d import heatmaps
from tests import testing


def _gaussian_maps(centres_uv, size, sigma):
  """NumPy float64 reference: one Gaussian per centre (heatmap pixels)."""
  g = np.arange(size, dtype=np.float64)
  maps = [np.exp(-((g[None, :] - u) ** 2 + (g[:, None] - v) ** 2) /
                 (2 * sigma ** 2)) for u, v in centres_uv]
  return np.stack(maps, axis=-1)


class HeatmapsTest(testing.TestCase):

  def test_targets_match_a_numpy_reference(self):
    xy = np.array([[[10.3, 40.8], [100.0, 7.25]]], np.float32)
    maps = heatmaps.gaussian_targets(xy, np.ones([1, 2]), 32, 1.5).numpy()
    ref = _gaussian_maps((xy[0] - 1.5) / 4, 32, 1.5)
    self.assertAllClose(maps[0], ref, atol=1e-5)

  def test_zero_weight_gives_an_empty_map(self):
    maps = heatmaps.gaussian_targets([[[20., 20.], [30., 30.]]],
                                     [[1.0, 0.0]], 16, 1.0).numpy()
    self.assertGreater(maps[0, ..., 0].max(), 0.5)
    self.assertEqual(maps[0, ..., 1].max(), 0.0)

  @testing.parameters(("modulated", 0.05), ("taylor", 0.02), ("quarter", 2.0),
                      ("none", 3.0))
  def test_decoding_recovers_sub_pixel_centres(self, refine, tolerance_px):
    centres_xy = self.rng.uniform(12, 240, size=[8, 2])
    uv = (centres_xy - 1.5) / 4
    maps = _gaussian_maps(uv, 64, 1.5)[None].astype(np.float32)
    out = heatmaps.decode(maps, refine=refine)
    err = np.abs(out.xy.numpy()[0] - centres_xy)
    self.assertLess(err.max(), tolerance_px)
    self.assertAllClose(out.confidence.numpy()[0],
                        maps[0].reshape(-1, 8).max(0), atol=1e-6)

  def test_taylor_beats_quarter_offset(self):
    centres_xy = self.rng.uniform(12, 240, size=[16, 2])
    maps = _gaussian_maps((centres_xy - 1.5) / 4, 64, 2.0)[None].astype(
        np.float32)
    err = {r: np.abs(heatmaps.decode(maps, r).xy.numpy()[0] -
                     centres_xy).mean() for r in ("taylor", "quarter")}
    self.assertLess(err["taylor"], 0.5 * err["quarter"])

  def test_modulated_decoding_prefers_the_mode_with_mass(self):
    # A lone one-pixel spike of 1.0 beside a broad peak of 0.9: the argmax is
    # the spike, the blurred map's maximum the broad peak.
    maps = 0.9 * _gaussian_maps(np.array([[40.0, 30.0]]), 64, 2.0)
    maps[10, 12, 0] = 1.0
    maps = maps[None].astype(np.float32)
    spike = heatmaps.decode(maps, "taylor").xy.numpy()[0, 0]
    self.assertAllClose(spike, np.array([12, 10]) * 4 + 1.5, atol=1.0)
    out = heatmaps.decode(maps)
    self.assertAllClose(out.xy.numpy()[0, 0], np.array([40, 30]) * 4 + 1.5,
                        atol=0.3)
    self.assertAllClose(out.confidence.numpy()[0], [1.0])
    # Modulation keeps each map's maximum and blurs it.
    blurred = heatmaps.modulate(maps).numpy()
    self.assertAllClose(blurred.max(axis=(1, 2)), maps.max(axis=(1, 2)))
    self.assertLess(blurred[0, 10, 12, 0], 0.5)

  def test_flip_back_inverts_a_mirrored_crop(self):
    # A heatmap of left_x at u and right_x at u'; the mirrored crop has the
    # points swapped and mirrored. flip_back must give the original.
    perm = [1, 0, 2]
    maps = self.rng.uniform(size=[2, 8, 8, 3]).astype(np.float32)
    mirrored = tf.gather(tf.reverse(maps, axis=[2]), perm, axis=-1)
    self.assertAllClose(heatmaps.flip_back(mirrored, perm), maps)

  def test_bad_inputs(self):
    with self.assertRaisesRegex(ValueError, "refine"):
      heatmaps.decode(np.zeros([1, 4, 4, 1]), refine="dark")
    with self.assertRaisesRegex(ValueError, "sigma"):
      heatmaps.modulate(np.zeros([1, 4, 4, 1]), sigma=0.0)
    with self.assertRaisesRegex(ValueError, r"\[B, M, M, K\]"):
      heatmaps.decode(np.zeros([4, 4, 1]))
    with self.assertRaisesRegex(ValueError, "channels"):
      heatmaps.flip_back(np.zeros([1, 4, 4, 3]), [1, 0])


if __name__ == "__main__":
  testing.main()
