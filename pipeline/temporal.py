"""Temporal refinement of one person's per-frame predictions over a clip,
and HMMR's acceleration error.

    smooth = temporal.refine(rotmats, betas, translation, sigma=1.5)
    err = temporal.acceleration_error(pred_joints, true_joints)   # mm/frame²

`refine` is closed form (no optimisation): β becomes one shape for the clip
(the mean, or the `weights`-weighted mean, of the per-frame β); every
joint's rotation becomes the Gaussian-weighted chordal mean of its
rotations over neighbouring frames (σ = `sigma` frames), projected back
onto SO(3) by SVD; the translation the Gaussian-weighted mean. Near the
clip's ends the window is cut and its weights renormalised.

Dimensions: T frames, J joints, S shape coefficients.
"""

from typing import NamedTuple, Optional

import numpy as np


class Refined(NamedTuple):
  """A clip after `refine`: `rotmats` [T, J, 3, 3], `betas` [T, S] (every
  row the same), `translation` [T, 3]."""
  rotmats: np.ndarray
  betas: np.ndarray
  translation: np.ndarray


def gaussian_weights(num_frames: int, sigma: float,
                     times: Optional[np.ndarray] = None) -> np.ndarray:
  """`[T, T]` row-normalised Gaussian weights (σ in frames), cut at 3σ.
  `times`: optional `[T]` increasing frame numbers (a track with gaps);
  default 0, 1, …, T − 1."""
  if sigma < 0:
    raise ValueError(f"sigma must be ≥ 0 frames, got {sigma}.")
  t = np.arange(num_frames) if times is None else np.asarray(times,
                                                              np.float64)
  if t.shape != (num_frames,) or np.any(np.diff(t) <= 0):
    raise ValueError(f"times must be [{num_frames}] increasing, got "
                     f"{np.asarray(times).tolist()}.")
  d = t[:, None] - t[None, :]
  if sigma == 0:
    return np.eye(num_frames)
  w = np.exp(-0.5 * (d / sigma) ** 2) * (np.abs(d) <= 3 * sigma)
  return w / w.sum(axis=1, keepdims=True)


def project_to_rotation(m: np.ndarray) -> np.ndarray:
  """The nearest rotations `[..., 3, 3]` to matrices `m` (SVD)."""
  u, _, vt = np.linalg.svd(m)
  det = np.sign(np.linalg.det(u @ vt))
  fix = np.ones(m.shape[:-1])
  fix[..., -1] = det
  return (u * fix[..., None, :]) @ vt


def refine(rotmats, betas, translation, sigma: float = 1.5,
           weights: Optional[np.ndarray] = None,
           times: Optional[np.ndarray] = None) -> Refined:
  """Smooths a clip (module doc).

  Args:
    rotmats: `[T, J, 3, 3]` per-frame joint rotations.
    betas: `[T, S]` per-frame shapes.
    translation: `[T, 3]` per-frame translations.
    sigma: the smoothing width, frames (0: only β is made constant).
    weights: optional `[T]` non-negative per-frame weights for the shape
      (e.g. mean keypoint confidence); default equal.
    times: optional `[T]` increasing frame numbers of the T predictions (a
      tracked person missing from some frames); default consecutive.
  """
  rotmats = np.asarray(rotmats, np.float64)
  betas = np.asarray(betas, np.float64)
  translation = np.asarray(translation, np.float64)
  if rotmats.ndim != 4 or rotmats.shape[2:] != (3, 3) or len(rotmats) < 1:
    raise ValueError(f"rotmats must be [T, J, 3, 3] with T ≥ 1, got "
                     f"{rotmats.shape}.")
  t = len(rotmats)
  if betas.ndim != 2 or len(betas) != t:
    raise ValueError(f"betas must be [{t}, S], got {betas.shape}.")
  if translation.shape != (t, 3):
    raise ValueError(f"translation must be [{t}, 3], got "
                     f"{translation.shape}.")
  if weights is None:
    weights = np.ones(t)
  weights = np.asarray(weights, np.float64)
  if weights.shape != (t,) or np.any(weights < 0) or weights.sum() <= 0:
    raise ValueError(f"weights must be [{t}] non-negative, not all 0, got "
                     f"{weights}.")
  w = gaussian_weights(t, sigma, times)
  mean_rot = np.einsum("ts,sjab->tjab", w, rotmats)
  shape = (weights[:, None] * betas).sum(0) / weights.sum()
  return Refined(rotmats=project_to_rotation(mean_rot).astype(np.float32),
                 betas=np.tile(shape, (t, 1)).astype(np.float32),
                 translation=(w @ translation).astype(np.float32))


def acceleration(points) -> np.ndarray:
  """Second differences `[T − 2, ...]` of `[T, ...]` points (per frame²)."""
  points = np.asarray(points, np.float64)
  if len(points) < 3:
    raise ValueError(f"need at least 3 frames for an acceleration, got "
                     f"{len(points)}.")
  return points[:-2] - 2.0 * points[1:-1] + points[2:]


def acceleration_error(pred, true) -> float:
  """HMMR's acceleration error: the mean over frames and joints of
  |accel(pred) − accel(true)|, in the units of the points per frame²
  (pass millimetres for mm/frame²). `pred`, `true`: `[T, J, 3]`."""
  pred, true = np.asarray(pred), np.asarray(true)
  if pred.shape != true.shape or pred.ndim != 3 or pred.shape[-1] != 3:
    raise ValueError(f"pred and true must both be [T, J, 3], got "
                     f"{pred.shape} and {true.shape}.")
  diff = acceleration(pred) - acceleration(true)
  return float(np.linalg.norm(diff, axis=-1).mean())
