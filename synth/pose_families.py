"""More pose families for the structured prior: the "wide" mode.

The ten original families (`synth/pose_prior.py`) stay as they are; these
add poses they never produce, found wanting on real motion capture and
hand-written everyday, sport, floor and exercise poses:

  floor_sitting  long sitting, cross-legged, side-sitting, hands propped
  floor_kneeling sitting on the heels, all fours
  kicks          front, side and back kicks, knee raises
  stretches      toe touch, side bend, quad stretch, deep lunge, overhead
  inverted       handstand, headstand-like, cartwheel (upside down)
  arms_out       T-pose, arms forward, one arm out, with a straight body
  lying_varied   on the back with knees up, curled on the side, prone
  uniform        every control uniform in its joint limits (coverage)

Each is a function `(controls, rows, rng)` filling the controls of rows
`rows` in place, as the original families do; `WIDE_WEIGHTS` is the weighting
of `PosePriorConfig(family_weights=WIDE_WEIGHTS)`: the original families keep
three quarters of the mass, in their original proportions, so common poses
stay common.
"""

import numpy as np

WIDE_FAMILIES = ("floor_sitting", "floor_kneeling", "kicks", "stretches",
                 "inverted", "arms_out", "lying_varied", "uniform")


def _u(rng, lo, hi, n):
  return rng.uniform(lo, hi, n)


def _set(c, rows, name, values):
  c[name][rows] = values


def _arms(c, rows, rng, alpha, beta, elbow, side="lr"):
  """Both arms' swing from (lo, hi) ranges (degrees for α / β)."""
  m = len(rows)
  for s in side:
    _set(c, rows, f"{s}_sh_alpha", np.radians(_u(rng, *alpha, m)))
    _set(c, rows, f"{s}_sh_beta", np.radians(_u(rng, *beta, m)))
    _set(c, rows, f"{s}_elbow", _u(rng, *elbow, m))


def floor_sitting(c, idx, rng):
  n = len(idx)
  kind = rng.integers(0, 3, n)
  r = idx[kind == 0]                                 # long sitting
  for s in "lr":
    _set(c, r, f"{s}_hip_flex", _u(rng, 1.3, 1.8, len(r)))
    _set(c, r, f"{s}_knee", _u(rng, 0.0, 0.6, len(r)))
    _set(c, r, f"{s}_hip_abd", _u(rng, 0.0, 0.4, len(r)))
  _arms(c, r, rng, (40, 80), (-60, 40), (0.0, 0.6))  # hands propped back
  r = idx[kind == 1]                                 # cross-legged
  for s in "lr":
    _set(c, r, f"{s}_hip_flex", _u(rng, 1.1, 1.6, len(r)))
    _set(c, r, f"{s}_hip_abd", _u(rng, 0.6, 0.9, len(r)))
    _set(c, r, f"{s}_hip_rot", _u(rng, 0.3, 0.7, len(r)))
    _set(c, r, f"{s}_knee", _u(rng, 2.0, 2.4, len(r)))
  _arms(c, r, rng, (55, 90), (10, 80), (0.3, 1.8))
  r = idx[kind == 2]                                 # side-sitting
  m = len(r)
  _set(c, r, "l_hip_flex", _u(rng, 0.8, 1.4, m))
  _set(c, r, "l_knee", _u(rng, 1.8, 2.4, m))
  _set(c, r, "l_hip_rot", _u(rng, 0.2, 0.7, m))
  _set(c, r, "r_hip_flex", _u(rng, 0.2, 0.9, m))
  _set(c, r, "r_knee", _u(rng, 2.0, 2.5, m))
  _set(c, r, "r_hip_rot", _u(rng, -0.6, -0.1, m))
  _set(c, r, "spine_lean", _u(rng, -0.5, 0.0, m))
  _arms(c, r, rng, (50, 90), (-20, 60), (0.0, 1.2))
  c["spine_flex"][idx] = _u(rng, -0.1, 0.6, n)
  c["root_pitch"][idx] = _u(rng, -0.3, 0.2, n)


def floor_kneeling(c, idx, rng):
  n = len(idx)
  fours = rng.uniform(size=n) < 0.4
  r = idx[~fours]                                    # sitting on the heels
  m = len(r)
  for s in "lr":
    _set(c, r, f"{s}_hip_flex", _u(rng, -0.1, 0.5, m))
    _set(c, r, f"{s}_knee", _u(rng, 2.3, 2.5, m))
    _set(c, r, f"{s}_ankle_flex", _u(rng, 0.4, 0.8, m))
  _arms(c, r, rng, (55, 90), (0, 80), (0.2, 1.6))
  c["spine_flex"][r] = _u(rng, -0.1, 0.7, m)
  r = idx[fours]                                     # all fours
  m = len(r)
  pitch = _u(rng, 1.2, 1.6, m)
  c["root_pitch"][r] = pitch
  for s in "lr":
    _set(c, r, f"{s}_hip_flex", pitch + _u(rng, -0.2, 0.2, m))
    _set(c, r, f"{s}_knee", _u(rng, 1.4, 1.8, m))
    _set(c, r, f"{s}_hip_abd", _u(rng, 0.0, 0.3, m))
    # Arms vertical: swing forward by the trunk's pitch.
    _set(c, r, f"{s}_sh_alpha", np.radians(_u(rng, 75, 95, m)))
    _set(c, r, f"{s}_sh_beta", pitch + _u(rng, -0.2, 0.2, m))
    _set(c, r, f"{s}_elbow", _u(rng, 0.0, 0.3, m))
  c["neck_flex"][r] = _u(rng, -0.7, 0.2, m)


def kicks(c, idx, rng):
  n = len(idx)
  kind = rng.integers(0, 4, n)
  _arms(c, idx, rng, (30, 90), (-60, 120), (0.3, 1.8))
  r = idx[kind == 0]                                 # front kick
  _set(c, r, "l_hip_flex", _u(rng, 1.4, 2.2, len(r)))
  _set(c, r, "l_knee", _u(rng, 0.0, 0.4, len(r)))
  c["root_pitch"][r] = _u(rng, -0.5, 0.0, len(r))
  r = idx[kind == 1]                                 # side kick
  _set(c, r, "l_hip_abd", _u(rng, 0.7, 0.9, len(r)))
  _set(c, r, "l_hip_flex", _u(rng, 0.0, 0.8, len(r)))
  _set(c, r, "l_knee", _u(rng, 0.0, 0.5, len(r)))
  c["root_roll"][r] = 0.0
  c["spine_lean"][r] = _u(rng, -0.7, -0.2, len(r))
  r = idx[kind == 2]                                 # back kick
  _set(c, r, "l_hip_flex", _u(rng, -0.5, -0.2, len(r)))
  _set(c, r, "l_knee", _u(rng, 0.0, 1.5, len(r)))
  c["root_pitch"][r] = _u(rng, 0.3, 0.9, len(r))
  _set(c, r, "r_hip_flex", c["root_pitch"][r])
  r = idx[kind == 3]                                 # knee raise
  _set(c, r, "l_hip_flex", _u(rng, 1.5, 2.2, len(r)))
  _set(c, r, "l_knee", _u(rng, 1.6, 2.4, len(r)))
  c["r_knee"][idx] = _u(rng, 0.0, 0.4, n)


def stretches(c, idx, rng):
  n = len(idx)
  kind = rng.integers(0, 5, n)
  r = idx[kind == 0]                                 # toe touch
  m = len(r)
  pitch = _u(rng, 1.2, 1.6, m)
  c["root_pitch"][r] = pitch
  c["spine_flex"][r] = _u(rng, 0.8, 1.7, m)
  for s in "lr":
    _set(c, r, f"{s}_hip_flex", pitch)
    _set(c, r, f"{s}_sh_alpha", np.radians(_u(rng, 75, 95, m)))
    _set(c, r, f"{s}_sh_beta", np.clip(pitch + c["spine_flex"][r], 0, 3.0))
  r = idx[kind == 1]                                 # side bend
  m = len(r)
  c["spine_lean"][r] = rng.choice([-1.0, 1.0], m) * _u(rng, 0.4, 0.7, m)
  _arms(c, r, rng, (60, 110), (140, 200), (0.0, 0.6))
  r = idx[kind == 2]                                 # quad stretch
  m = len(r)
  _set(c, r, "l_hip_flex", _u(rng, -0.4, 0.0, m))
  _set(c, r, "l_knee", _u(rng, 2.2, 2.5, m))
  _set(c, r, "l_sh_beta", np.radians(_u(rng, -60, -20, m)))
  _set(c, r, "l_sh_alpha", np.radians(_u(rng, 50, 80, m)))
  _set(c, r, "l_elbow", _u(rng, 0.2, 0.9, m))
  r = idx[kind == 3]                                 # deep lunge
  m = len(r)
  _set(c, r, "l_hip_flex", _u(rng, 1.5, 2.0, m))
  _set(c, r, "l_knee", _u(rng, 1.8, 2.3, m))
  _set(c, r, "r_hip_flex", _u(rng, -0.5, -0.3, m))
  _set(c, r, "r_knee", _u(rng, 0.0, 1.8, m))
  _arms(c, r, rng, (40, 95), (0, 190), (0.0, 1.0))
  r = idx[kind == 4]                                 # arms overhead
  _arms(c, r, rng, (80, 110), (160, 200), (0.0, 0.4))
  c["spine_flex"][r] = _u(rng, -0.5, -0.1, len(r))


def inverted(c, idx, rng):
  n = len(idx)
  c["root_pitch"][idx] = np.pi + rng.normal(0.0, 0.25, n)   # head down
  c["root_roll"][idx] = rng.choice([0.0, np.pi / 2, -np.pi / 2], n,
                                   p=[0.6, 0.2, 0.2])
  _arms(c, idx, rng, (70, 110), (160, 200), (0.0, 0.5))     # arms "up"
  split = rng.uniform(size=n) < 0.5
  for s, sign in (("l", 1.0), ("r", -1.0)):
    c[f"{s}_hip_abd"][idx] = np.where(split, _u(rng, 0.3, 0.9, n),
                                      _u(rng, 0.0, 0.2, n))
    c[f"{s}_hip_flex"][idx] = sign * rng.normal(0.0, 0.4, n)
    c[f"{s}_knee"][idx] = rng.uniform(size=n) ** 2 * 2.0
  c["spine_flex"][idx] = _u(rng, -0.4, 0.3, n)


def arms_out(c, idx, rng):
  n = len(idx)
  kind = rng.integers(0, 3, n)
  for s in "lr":
    c[f"{s}_collar_elev"][idx] = _u(rng, -0.1, 0.1, n)
  r = idx[kind == 0]                                 # T-pose, A-pose
  _arms(c, r, rng, (0, 45), (-20, 20), (0.0, 0.2))
  r = idx[kind == 1]                                 # arms forward
  _arms(c, r, rng, (70, 100), (70, 110), (0.0, 0.3))
  r = idx[kind == 2]                                 # one arm out
  _arms(c, r, rng, (0, 30), (-30, 30), (0.0, 0.3), side="l")
  for s in "lr":
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.0, 0.3, n)


def lying_varied(c, idx, rng):
  n = len(idx)
  kind = rng.integers(0, 3, n)
  c["root_pitch"][idx] = -np.pi / 2
  r = idx[kind == 0]                                 # on the back, knees up
  for s in "lr":
    _set(c, r, f"{s}_hip_flex", _u(rng, 0.6, 1.4, len(r)))
    _set(c, r, f"{s}_knee", _u(rng, 1.2, 2.2, len(r)))
  _arms(c, r, rng, (20, 100), (-30, 200), (0.0, 2.0))
  r = idx[kind == 1]                                 # curled on the side
  c["root_roll"][r] = rng.choice([np.pi / 2, -np.pi / 2], len(r))
  for s in "lr":
    _set(c, r, f"{s}_hip_flex", _u(rng, 1.0, 2.0, len(r)))
    _set(c, r, f"{s}_knee", _u(rng, 1.2, 2.3, len(r)))
  _arms(c, r, rng, (60, 100), (40, 120), (0.5, 2.2))
  c["spine_flex"][r] = _u(rng, 0.2, 0.9, len(r))
  r = idx[kind == 2]                                 # prone, head on arms
  c["root_roll"][r] = np.pi
  _arms(c, r, rng, (60, 110), (150, 210), (1.5, 2.3))
  c["neck_flex"][r] = _u(rng, -0.6, 0.0, len(r))


def uniform(c, idx, rng):
  """Every control uniform over a wide range; clipping to the joint limits
  (`pose_prior.clip_to_limits`) follows."""
  n = len(idx)
  for name in c:
    if name in ("root_pitch", "root_roll"):
      continue
    base = name[2:] if name[:2] in ("l_", "r_") else name
    lo, hi = (-np.pi, np.pi) if base == "sh_beta" else (-2.5, 2.5)
    c[name][idx] = _u(rng, lo, hi, n)
  c["root_pitch"][idx] = _u(rng, -0.5, 0.5, n)


FUNCTIONS = {
    "floor_sitting": floor_sitting, "floor_kneeling": floor_kneeling,
    "kicks": kicks, "stretches": stretches, "inverted": inverted,
    "arms_out": arms_out, "lying_varied": lying_varied, "uniform": uniform,
}
WIDE_WEIGHTS = (
    ("standing", 0.1275), ("walking", 0.1275), ("sitting", 0.075),
    ("crouching", 0.06), ("kneeling", 0.045), ("arms_raised", 0.075),
    ("arms_crossed", 0.045), ("bending", 0.06), ("lying", 0.045),
    ("sports", 0.09), ("floor_sitting", 0.04), ("floor_kneeling", 0.03),
    ("kicks", 0.03), ("stretches", 0.035), ("inverted", 0.02),
    ("arms_out", 0.04), ("lying_varied", 0.03), ("uniform", 0.025))
