"""Tests for synth/proxy.py: the coarse surface used for silhouettes."""

import numpy as np

from body import toy
from synth import proxy
from synth import sample
from tests import testing


class ProxyTest(testing.TestCase):

  def test_full_and_valid(self):
    assets = toy.make_assets()
    full = proxy.make_proxy(assets, 0.0)
    self.assertAllEqual(full.vertex_ids, np.arange(assets.num_vertices))
    coarse = proxy.make_proxy(assets, 0.08)
    self.assertLess(len(coarse.vertex_ids), assets.num_vertices)
    self.assertTrue(np.all(coarse.faces < len(coarse.vertex_ids)))
    self.assertTrue(np.all(coarse.faces[:, 0] != coarse.faces[:, 1]))
    # Representatives keep their dominant joint's identity: no vertex of one
    # part merges into another.
    part = np.argmax(assets.weights, axis=1)
    self.assertLen(np.unique(part[coarse.vertex_ids]), len(np.unique(part)))

  def test_silhouette_close_to_full_mesh(self):
    assets = toy.make_assets()
    rng = np.random.default_rng(2)
    full = sample.SampleGenerator(assets, sample.SampleConfig(proxy_cell=0.0))
    coarse = sample.SampleGenerator(assets,
                                    sample.SampleConfig(proxy_cell=0.04))
    a = full.generate(np.random.default_rng(2), 16).silhouette
    b = coarse.generate(rng, 16).silhouette
    iou = (a & b).sum((1, 2)) / (a | b).sum((1, 2))
    self.assertGreater(np.median(iou), 0.8)


if __name__ == "__main__":
  testing.main()
