"""Tests of pipeline/temporal.py on synthetic motion (NumPy only)."""

import numpy as np

from body import rotation
from pipeline import temporal
from tests import testing


def _motion(t=40, j=5):
  """Smooth axis-angle motion [T, J, 3] and translation [T, 3]."""
  time = np.linspace(0, 2 * np.pi, t)[:, None, None]
  phase = np.arange(j)[None, :, None] * np.array([0.3, 0.7, 1.1])
  aa = 0.6 * np.sin(time + phase)
  transl = np.stack([0.2 * np.sin(time[:, 0, 0]), 0.05 * time[:, 0, 0],
                     3.0 + 0.1 * np.cos(time[:, 0, 0])], axis=1)
  return aa, transl


def _rotmats(aa):
  return rotation.axis_angle_to_matrix_np(aa.reshape(-1, 3)).reshape(
      aa.shape[:-1] + (3, 3))


class TemporalTest(testing.TestCase):

  def test_constant_clip_is_unchanged(self):
    aa, _ = _motion()
    r = np.repeat(_rotmats(aa[:1]), 10, axis=0)
    out = temporal.refine(r, np.ones((10, 10)), np.ones((10, 3)))
    self.assertAllClose(out.rotmats, r, atol=1e-6)
    self.assertAllClose(out.translation, np.ones((10, 3)))

  def test_noise_is_reduced_and_shape_is_constant(self):
    aa, transl = _motion()
    noisy = aa + 0.08 * self.rng.normal(size=aa.shape)
    noisy_t = transl + 0.03 * self.rng.normal(size=transl.shape)
    betas = self.rng.normal(size=(len(aa), 10))
    out = temporal.refine(_rotmats(noisy), betas, noisy_t, sigma=1.5)
    true_r = _rotmats(aa)
    err = lambda r: np.abs(r - true_r).mean()
    self.assertLess(err(out.rotmats), 0.7 * err(_rotmats(noisy)))
    self.assertLess(temporal.acceleration_error(out.translation[:, None],
                                                transl[:, None]),
                    0.3 * temporal.acceleration_error(noisy_t[:, None],
                                                      transl[:, None]))
    self.assertAllClose(out.betas, np.tile(betas.mean(0), (len(aa), 1)),
                        atol=1e-5)
    # Proper rotations.
    eye = np.einsum("tjab,tjcb->tjac", out.rotmats, out.rotmats)
    self.assertAllClose(eye, np.broadcast_to(np.eye(3), eye.shape),
                        atol=1e-5)
    self.assertAllClose(np.linalg.det(out.rotmats), np.ones(aa.shape[:2]),
                        atol=1e-5)

  def test_acceleration_error_of_uniform_motion_is_zero(self):
    line = np.arange(6)[:, None, None] * np.array([1.0, 2.0, 3.0])
    self.assertAllClose(temporal.acceleration_error(line, 2 * line), 0.0)
    bump = line.copy()
    bump[3] += [0, 0, 4.0]        # accelerations −4 · (0, 1, −2, 1)… at 2..4
    self.assertAllClose(temporal.acceleration_error(bump, line),
                        (4 + 8 + 4) / 4)

  def test_times_with_a_gap_weigh_by_frame_distance(self):
    # Frames 0, 1, 2 and 10: frame 10 is beyond 3σ of the others, so it
    # keeps its own translation and does not pull theirs.
    t = np.array([[0.0, 0, 3], [0.1, 0, 3], [0.2, 0, 3], [5.0, 0, 3]])
    r = np.tile(np.eye(3), (4, 2, 1, 1))
    out = temporal.refine(r, np.zeros((4, 10)), t, sigma=1.0,
                          times=np.array([0, 1, 2, 10]))
    self.assertAllClose(out.translation[3], t[3], atol=1e-6)
    self.assertLess(out.translation[2, 0], 0.2)
    self.assertGreater(out.translation[2, 0], 0.1)
    consecutive = temporal.refine(r, np.zeros((4, 10)), t, sigma=1.0)
    self.assertGreater(consecutive.translation[2, 0], 1.0)
    with self.assertRaisesRegex(ValueError, "times"):
      temporal.refine(r, np.zeros((4, 10)), t, times=np.array([0, 2, 1, 3]))

  def test_bad_inputs_are_named(self):
    r = np.tile(np.eye(3), (4, 2, 1, 1))
    with self.assertRaisesRegex(ValueError, "betas"):
      temporal.refine(r, np.zeros((3, 10)), np.zeros((4, 3)))
    with self.assertRaisesRegex(ValueError, "weights"):
      temporal.refine(r, np.zeros((4, 10)), np.zeros((4, 3)),
                      weights=np.zeros(4))
    with self.assertRaisesRegex(ValueError, "sigma"):
      temporal.refine(r, np.zeros((4, 10)), np.zeros((4, 3)), sigma=-1)
    with self.assertRaisesRegex(ValueError, "3 frames"):
      temporal.acceleration_error(np.zeros((2, 1, 3)), np.zeros((2, 1, 3)))


if __name__ == "__main__":
  testing.main()
