"""The curve fit behind `benchmarks.priors_scaling`."""

import math

import numpy as np

from benchmarks import scaling_fit
from tests import testing


class ScalingFitTest(testing.TestCase):

  def test_recovers_a_known_power_law(self):
    steps = np.array([8000, 20000, 40000, 80000, 160000], np.float64)
    a, b, c = 30.0, 900.0, 0.4
    fit = scaling_fit.fit_power_law(steps, a + b * steps ** -c)
    self.assertIsNotNone(fit)
    self.assertAllClose(fit, (a, b, c), rtol=1e-3)

  def test_fits_noisy_points_near_the_truth(self):
    rng = np.random.default_rng(0)
    steps = np.geomspace(5000, 160000, 6)
    errors = 40.0 + 250.0 * steps ** -0.3 + rng.normal(0, 0.05, 6)
    a, _, c = scaling_fit.fit_power_law(steps, errors)
    self.assertAlmostEqual(a, 40.0, delta=2.0)
    self.assertAlmostEqual(c, 0.3, delta=0.05)

  def test_too_few_points_give_no_fit(self):
    self.assertIsNone(scaling_fit.fit_power_law([1e3, 2e3, 4e3],
                                                [50.0, 45.0, 42.0]))

  def test_steps_to_reach_inverts_the_curve(self):
    fit = (30.0, 900.0, 0.4)
    n = scaling_fit.steps_to_reach(fit, 40.0)
    self.assertAlmostEqual(30.0 + 900.0 * n ** -0.4, 40.0, places=6)
    self.assertTrue(math.isinf(scaling_fit.steps_to_reach(fit, 30.0)))
    self.assertTrue(math.isinf(scaling_fit.steps_to_reach(fit, 20.0)))

  def test_per_doubling(self):
    self.assertAllClose(
        scaling_fit.per_doubling([1000, 2000, 8000], [60.0, 57.0, 53.0]),
        [-3.0, -2.0])


if __name__ == "__main__":
  testing.main()
