"""A structured prior over SMPL body poses, sampled without any MoCap data.

Poses are drawn in three steps, all pure functions of a `np.random.Generator`:

  1. a *family* per sample (standing, walking/running, sitting, crouching,
     kneeling, arms raised, arms crossed, bending, lying, sports extremes)
     with the probabilities of `PosePriorConfig.family_weights`;
  2. the family's correlated anatomical *controls* (e.g. a gait phase drives
     both hips, knees and the counter-swinging arms), then Gaussian noise on
     every control, then clipping to the limits of `synth/joint_limits.py`;
  3. the controls are turned into θ `[N, 72]`; half the samples (by default)
     are mirrored left↔right.

The root (θ[:3]) is left as the family's body orientation in the SMPL world
(y up, facing +z), e.g. identity for upright families and ±90° for lying;
`synth/viewpoint.py` then turns it into a camera-frame global orientation.

Controls are named (left side with `l_`, right with `r_`):
  spine_flex/turn/lean (summed over spine1..3), neck_flex/turn/tilt (neck and
  head), root_pitch (forward tilt of the whole body, with matching hip flexion
  kept by the family), and per side hip_flex/abd/rot, knee,
  ankle_flex/inv/rot, toe, collar_elev/prot, sh_alpha/sh_beta/sh_twist,
  elbow, wrist_x/y/z.
"""

import dataclasses
from typing import Dict, Mapping, Tuple

import numpy as np

from body import finite
from synth import joint_limits as jl
from synth import pose_families
from synth import rotation

# The original ten families, then those of the "wide" mode
# (`synth/pose_families.py`, weight 0 by default).
ORIGINAL_FAMILIES = ("standing", "walking", "sitting", "crouching",
                     "kneeling", "arms_raised", "arms_crossed", "bending",
                     "lying", "sports")
FAMILIES = ORIGINAL_FAMILIES + pose_families.WIDE_FAMILIES

_SIDE_CONTROLS = ("hip_flex", "hip_abd", "hip_rot", "knee", "ankle_flex",
                  "ankle_inv", "ankle_rot", "toe", "collar_elev",
                  "collar_prot", "sh_alpha", "sh_beta", "sh_twist", "elbow",
                  "wrist_x", "wrist_y", "wrist_z")
_CENTRAL_CONTROLS = ("spine_flex", "spine_turn", "spine_lean", "neck_flex",
                     "neck_turn", "neck_tilt", "root_pitch", "root_roll")
CONTROL_NAMES = _CENTRAL_CONTROLS + tuple(
    f"{s}_{c}" for s in "lr" for c in _SIDE_CONTROLS)

# Noise standard deviation (radians) per control, before scaling by
# `PosePriorConfig.noise_scale`.
_NOISE = {
    "spine_flex": 0.08, "spine_turn": 0.1, "spine_lean": 0.06,
    "neck_flex": 0.12, "neck_turn": 0.25, "neck_tilt": 0.08,
    "root_pitch": 0.0, "root_roll": 0.0,
    "hip_flex": 0.08, "hip_abd": 0.05, "hip_rot": 0.12, "knee": 0.08,
    "ankle_flex": 0.1, "ankle_inv": 0.05, "ankle_rot": 0.05, "toe": 0.1,
    "collar_elev": 0.06, "collar_prot": 0.06, "sh_alpha": 0.1,
    "sh_beta": 0.12, "sh_twist": 0.25, "elbow": 0.12, "wrist_x": 0.3,
    "wrist_y": 0.2, "wrist_z": 0.3,
}
# Fractions of the spine controls taken by spine1, spine2, spine3 and of the
# neck controls by neck, head.
_SPINE_SPLIT = (0.3, 0.35, 0.35)
_NECK_SPLIT = (0.5, 0.5)


@dataclasses.dataclass(frozen=True)
class PosePriorConfig:
  """Settings of the structured pose prior.

  Attributes:
    family_weights: (family, weight) pairs; weights need not sum to 1.
    noise_scale: multiplies every control's noise standard deviation.
    mirror_probability: chance that a sample is mirrored left↔right.
  """
  family_weights: Tuple[Tuple[str, float], ...] = (
      ("standing", 0.17), ("walking", 0.17), ("sitting", 0.1),
      ("crouching", 0.08), ("kneeling", 0.06), ("arms_raised", 0.1),
      ("arms_crossed", 0.06), ("bending", 0.08), ("lying", 0.06),
      ("sports", 0.12))
  noise_scale: float = 1.0
  mirror_probability: float = 0.5

  def __post_init__(self):
    finite.check_fields(self)
    names = [f for f, _ in self.family_weights]
    unknown = sorted(set(names) - set(FAMILIES))
    if unknown:
      raise ValueError(f"unknown pose families {unknown}; known: {FAMILIES}.")
    weights = np.array([w for _, w in self.family_weights], dtype=np.float64)
    if weights.size == 0 or np.any(weights < 0) or weights.sum() <= 0:
      raise ValueError(
          f"family_weights must be non-negative with a positive sum, got "
          f"{self.family_weights}.")
    if self.noise_scale < 0:
      raise ValueError(f"noise_scale must be ≥ 0, got {self.noise_scale}.")
    if not 0.0 <= self.mirror_probability <= 1.0:
      raise ValueError(f"mirror_probability must be in [0, 1], got "
                       f"{self.mirror_probability}.")


Controls = Dict[str, np.ndarray]


def neutral_controls(n: int) -> Controls:
  """Controls of a relaxed upright pose with arms down, `n` copies."""
  c = {name: np.zeros(n) for name in CONTROL_NAMES}
  for s in "lr":
    c[f"{s}_collar_elev"][:] = -0.35
    c[f"{s}_sh_alpha"][:] = np.radians(72)
    c[f"{s}_elbow"][:] = 0.15
  return c


# --- Families. Each fills controls in place for the rows `idx`. -------------


def _u(rng, lo, hi, n):
  return rng.uniform(lo, hi, n)


def _arms_down(c, idx, rng, side, spread=0.25):
  """Relaxed arms with some swing, optionally bent."""
  n = len(idx)
  c[f"{side}_collar_elev"][idx] = _u(rng, -0.5, -0.2, n)
  c[f"{side}_sh_alpha"][idx] = _u(rng, np.radians(55), np.radians(85), n)
  c[f"{side}_sh_beta"][idx] = rng.normal(0.0, spread, n)
  c[f"{side}_elbow"][idx] = _u(rng, 0.0, 0.6, n)


def _standing(c, idx, rng):
  n = len(idx)
  for s in "lr":
    _arms_down(c, idx, rng, s)
    c[f"{s}_hip_flex"][idx] = rng.normal(0.0, 0.08, n)
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.0, 0.2, n)
    c[f"{s}_knee"][idx] = _u(rng, 0.0, 0.2, n)
  # A third put one hand on the hip, a sixth point or wave with one arm.
  v = rng.uniform(size=n)
  hip_hand, gesture = idx[v < 0.33], idx[(v >= 0.33) & (v < 0.5)]
  side = rng.integers(0, 2, n)
  for rows, s_mask in ((hip_hand, side[v < 0.33]),
                       (gesture, side[(v >= 0.33) & (v < 0.5)])):
    for s, flag in (("l", 0), ("r", 1)):
      r = rows[s_mask == flag]
      m = len(r)
      if rows is hip_hand:
        c[f"{s}_sh_alpha"][r] = _u(rng, np.radians(40), np.radians(60), m)
        c[f"{s}_sh_beta"][r] = _u(rng, -0.5, -0.1, m)
        c[f"{s}_sh_twist"][r] = _u(rng, -0.6, 0.0, m)
        c[f"{s}_elbow"][r] = _u(rng, 1.4, 2.0, m)
      else:
        c[f"{s}_collar_elev"][r] = _u(rng, -0.1, 0.3, m)
        c[f"{s}_sh_alpha"][r] = _u(rng, np.radians(30), np.radians(110), m)
        c[f"{s}_sh_beta"][r] = _u(rng, 1.2, 3.0, m)
        c[f"{s}_elbow"][r] = _u(rng, 0.0, 1.8, m)
  c["neck_turn"][idx] = rng.normal(0.0, 0.3, n)


def _walking(c, idx, rng):
  """Gait: one phase drives legs and counter-swinging arms; speed → running."""
  n = len(idx)
  phase = _u(rng, 0.0, 2 * np.pi, n)
  speed = rng.uniform(size=n) ** 1.5                  # 0 walk .. 1 sprint
  hip_amp = 0.35 + 0.55 * speed
  arm_amp = 0.3 + 0.7 * speed
  for s, shift in (("l", 0.0), ("r", np.pi)):
    p = phase + shift
    c[f"{s}_hip_flex"][idx] = hip_amp * np.sin(p) + 0.1 + 0.3 * speed
    # The knee folds while the leg swings forward, most when running.
    swing = np.clip(np.sin(p + 1.0), 0.0, None)
    c[f"{s}_knee"][idx] = 0.1 + (0.5 + 1.5 * speed) * swing ** 1.5
    c[f"{s}_ankle_flex"][idx] = 0.3 * np.sin(p - 1.0)
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.0, 0.1, n)
    c[f"{s}_collar_elev"][idx] = _u(rng, -0.45, -0.25, n)
    c[f"{s}_sh_alpha"][idx] = _u(rng, np.radians(60), np.radians(80), n)
    c[f"{s}_sh_beta"][idx] = -arm_amp * np.sin(p)      # opposite to the leg
    c[f"{s}_elbow"][idx] = 0.2 + 1.3 * speed + rng.normal(0.0, 0.1, n)
  c["spine_flex"][idx] = 0.05 + 0.35 * speed
  c["spine_turn"][idx] = -0.15 * np.sin(phase)
  c["root_pitch"][idx] = 0.25 * speed


def _sitting(c, idx, rng):
  n = len(idx)
  flex = _u(rng, 1.2, 1.7, n)
  knee = _u(rng, 1.1, 1.9, n)
  for s in "lr":
    c[f"{s}_hip_flex"][idx] = flex + rng.normal(0.0, 0.12, n)
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.0, 0.45, n)
    c[f"{s}_knee"][idx] = knee + rng.normal(0.0, 0.2, n)
    c[f"{s}_collar_elev"][idx] = _u(rng, -0.45, -0.2, n)
    c[f"{s}_sh_alpha"][idx] = _u(rng, np.radians(60), np.radians(85), n)
    c[f"{s}_sh_beta"][idx] = _u(rng, 0.2, 1.0, n)
    c[f"{s}_elbow"][idx] = _u(rng, 0.4, 1.6, n)
  c["spine_flex"][idx] = _u(rng, -0.2, 0.5, n)
  c["neck_flex"][idx] = _u(rng, -0.2, 0.4, n)


def _crouching(c, idx, rng):
  n = len(idx)
  depth = rng.uniform(size=n)
  for s in "lr":
    c[f"{s}_hip_flex"][idx] = 1.3 + 0.8 * depth + rng.normal(0, 0.1, n)
    c[f"{s}_knee"][idx] = 1.5 + 0.9 * depth + rng.normal(0, 0.1, n)
    c[f"{s}_ankle_flex"][idx] = -0.2 - 0.25 * depth
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.1, 0.6, n)
    c[f"{s}_sh_alpha"][idx] = _u(rng, np.radians(50), np.radians(95), n)
    c[f"{s}_sh_beta"][idx] = _u(rng, 0.6, 1.6, n)
    c[f"{s}_elbow"][idx] = _u(rng, 0.2, 1.8, n)
  c["spine_flex"][idx] = _u(rng, 0.2, 0.8, n)
  c["root_pitch"][idx] = 0.4 + 0.3 * depth
  c["neck_flex"][idx] = _u(rng, -0.4, 0.0, n)


def _kneeling(c, idx, rng):
  """One knee down, the other foot forward (or both knees down)."""
  n = len(idx)
  both = rng.uniform(size=n) < 0.35
  for s in "lr":
    _arms_down(c, idx, rng, s, spread=0.5)
  # The kneeling leg: thigh near vertical, shin back on the floor.
  c["l_hip_flex"][idx] = _u(rng, -0.1, 0.3, n)
  c["l_knee"][idx] = _u(rng, 1.4, 1.8, n)
  c["l_ankle_flex"][idx] = _u(rng, 0.3, 0.7, n)
  c["r_hip_flex"][idx] = np.where(both, _u(rng, -0.1, 0.3, n),
                                  _u(rng, 1.3, 1.7, n))
  c["r_knee"][idx] = np.where(both, _u(rng, 1.4, 1.8, n),
                              _u(rng, 1.3, 1.8, n))
  c["spine_flex"][idx] = _u(rng, -0.1, 0.4, n)


def _arms_raised(c, idx, rng):
  n = len(idx)
  one = rng.uniform(size=n) < 0.35
  which = rng.integers(0, 2, n)
  for k, s in enumerate("lr"):
    _arms_down(c, idx, rng, s)
    raised = idx[~one | (which == k)]
    m = len(raised)
    c[f"{s}_collar_elev"][raised] = _u(rng, 0.0, 0.45, m)
    c[f"{s}_sh_alpha"][raised] = _u(rng, np.radians(40), np.radians(110), m)
    c[f"{s}_sh_beta"][raised] = _u(rng, np.radians(120), np.radians(215), m)
    c[f"{s}_elbow"][raised] = rng.uniform(size=m) ** 2 * 2.0
    c[f"{s}_sh_twist"][raised] = rng.normal(0, 0.4, m)
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.0, 0.3, n)
  c["spine_flex"][idx] = _u(rng, -0.4, 0.1, n)
  c["neck_flex"][idx] = _u(rng, -0.5, 0.1, n)


def _arms_crossed(c, idx, rng):
  n = len(idx)
  for s in "lr":
    c[f"{s}_collar_elev"][idx] = _u(rng, -0.35, -0.1, n)
    c[f"{s}_collar_prot"][idx] = _u(rng, 0.05, 0.25, n)
    c[f"{s}_sh_alpha"][idx] = _u(rng, np.radians(70), np.radians(90), n)
    c[f"{s}_sh_beta"][idx] = _u(rng, 0.2, 0.6, n)
    c[f"{s}_sh_twist"][idx] = _u(rng, -1.3, -0.8, n)
    c[f"{s}_elbow"][idx] = _u(rng, 1.7, 2.3, n)
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.0, 0.2, n)


def _bending(c, idx, rng):
  """Bending forward at the hips and spine, arms hanging."""
  n = len(idx)
  pitch = _u(rng, 0.3, 1.3, n)
  c["root_pitch"][idx] = pitch
  c["spine_flex"][idx] = _u(rng, 0.1, 1.0, n)
  for s in "lr":
    c[f"{s}_hip_flex"][idx] = pitch + rng.normal(0, 0.05, n)
    c[f"{s}_knee"][idx] = _u(rng, 0.0, 0.5, n)
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.0, 0.25, n)
    c[f"{s}_collar_elev"][idx] = _u(rng, -0.3, 0.0, n)
    c[f"{s}_sh_alpha"][idx] = _u(rng, np.radians(70), np.radians(95), n)
    # Gravity: the arms hang, i.e. swing forward by the trunk's tilt.
    c[f"{s}_sh_beta"][idx] = np.clip(pitch + c["spine_flex"][idx], 0, 2.2)
    c[f"{s}_elbow"][idx] = _u(rng, 0.0, 0.8, n)
  c["neck_flex"][idx] = _u(rng, -0.6, 0.2, n)


def _lying(c, idx, rng):
  """Relaxed limbs; the root is turned to lie on the back, front or side."""
  n = len(idx)
  for s in "lr":
    c[f"{s}_collar_elev"][idx] = _u(rng, -0.5, 0.3, n)
    c[f"{s}_sh_alpha"][idx] = _u(rng, np.radians(20), np.radians(95), n)
    c[f"{s}_sh_beta"][idx] = _u(rng, -0.6, 3.3, n)
    c[f"{s}_elbow"][idx] = _u(rng, 0.0, 1.8, n)
    c[f"{s}_hip_flex"][idx] = _u(rng, -0.1, 1.0, n)
    c[f"{s}_hip_abd"][idx] = _u(rng, 0.0, 0.5, n)
    c[f"{s}_knee"][idx] = _u(rng, 0.0, 1.6, n)
  c["root_roll"][idx] = rng.choice([0.0, np.pi / 2, -np.pi / 2, np.pi], n)
  c["root_pitch"][idx] = -np.pi / 2      # Head towards -z before the roll.


def _sports(c, idx, rng):
  """Lunges, high kicks, jumps and throws: the extremes of the limits."""
  n = len(idx)
  kind = rng.integers(0, 4, n)
  for s in "lr":
    _arms_down(c, idx, rng, s, spread=0.6)
  r = idx[kind == 0]                                       # lunge
  m = len(r)
  c["l_hip_flex"][r], c["l_knee"][r] = _u(rng, 1.0, 1.6, m), _u(rng, 1.0, 1.7, m)
  c["r_hip_flex"][r], c["r_knee"][r] = _u(rng, -0.5, -0.2, m), _u(rng, 0.1, 1.2, m)
  c["spine_flex"][r] = _u(rng, -0.1, 0.5, m)
  r = idx[kind == 1]                                       # high kick
  m = len(r)
  c["l_hip_flex"][r], c["l_knee"][r] = _u(rng, 1.3, 2.1, m), _u(rng, 0.0, 0.5, m)
  c["l_hip_abd"][r] = _u(rng, 0.0, 0.8, m)
  c["r_knee"][r] = _u(rng, 0.0, 0.3, m)
  for s in "lr":
    c[f"{s}_sh_alpha"][r] = _u(rng, 0.0, np.radians(60), m)
    c[f"{s}_sh_beta"][r] = _u(rng, -1.0, 2.5, m)
  c["root_pitch"][r] = _u(rng, -0.4, 0.0, m)
  r = idx[kind == 2]                                       # jump
  m = len(r)
  for s in "lr":
    c[f"{s}_hip_flex"][r] = _u(rng, 0.0, 1.6, m)
    c[f"{s}_knee"][r] = _u(rng, 0.2, 2.2, m)
    c[f"{s}_ankle_flex"][r] = _u(rng, 0.2, 0.8, m)
    c[f"{s}_collar_elev"][r] = _u(rng, 0.0, 0.5, m)
    c[f"{s}_sh_alpha"][r] = _u(rng, np.radians(30), np.radians(100), m)
    c[f"{s}_sh_beta"][r] = _u(rng, 1.5, 3.4, m)
  c["spine_flex"][r] = _u(rng, -0.4, 0.3, m)
  r = idx[kind == 3]                                       # throw / swing
  m = len(r)
  c["l_sh_alpha"][r] = _u(rng, np.radians(20), np.radians(80), m)
  c["l_sh_beta"][r] = _u(rng, -3.1, -1.6, m)
  c["l_elbow"][r] = _u(rng, 0.5, 2.0, m)
  c["r_sh_alpha"][r] = _u(rng, np.radians(40), np.radians(120), m)
  c["r_sh_beta"][r] = _u(rng, 1.2, 2.0, m)
  c["spine_turn"][r] = _u(rng, -0.8, 0.8, m)
  c["l_hip_flex"][r] = _u(rng, -0.3, 0.6, m)
  c["r_hip_flex"][r] = _u(rng, -0.3, 0.6, m)
  c["l_hip_abd"][r] = _u(rng, 0.1, 0.5, m)
  c["r_hip_abd"][r] = _u(rng, 0.1, 0.5, m)


_FAMILY_FNS = {
    "standing": _standing, "walking": _walking, "sitting": _sitting,
    "crouching": _crouching, "kneeling": _kneeling,
    "arms_raised": _arms_raised, "arms_crossed": _arms_crossed,
    "bending": _bending, "lying": _lying, "sports": _sports,
    **pose_families.FUNCTIONS,
}


def _add_noise(c: Controls, rng: np.random.Generator, scale: float) -> None:
  n = len(c["spine_flex"])
  for name in CONTROL_NAMES:
    base = name[2:] if name[:2] in ("l_", "r_") else name
    sd = _NOISE[base] * scale
    # Always draw, so that a sample's randomness does not depend on scale.
    c[name] = c[name] + sd * rng.standard_normal(n)


def clip_to_limits(c: Controls) -> Controls:
  """Clips controls to the ranges of `synth/joint_limits.py` (a copy)."""
  c = {k: np.array(v, dtype=np.float64) for k, v in c.items()}
  c["spine_flex"] = np.clip(c["spine_flex"], -0.2 / 0.35, 0.6 / 0.35)
  c["spine_turn"] = np.clip(c["spine_turn"], -1.0, 1.0)
  c["spine_lean"] = np.clip(c["spine_lean"], -0.7, 0.7)
  c["neck_flex"] = np.clip(c["neck_flex"], -0.7, 0.9)
  c["neck_turn"] = np.clip(c["neck_turn"], -1.3, 1.3)
  c["neck_tilt"] = np.clip(c["neck_tilt"], -0.6, 0.6)
  ankle_lo, ankle_hi = jl.BOXES[jl.L_ANKLE]
  collar_lo, collar_hi = jl.BOXES[jl.L_COLLAR]
  wrist_lo, wrist_hi = jl.BOXES[jl.L_WRIST]
  toe_lo, toe_hi = jl.BOXES[jl.L_FOOT]
  for s in "lr":
    c[f"{s}_hip_flex"] = np.clip(c[f"{s}_hip_flex"], *jl.HIP_FLEX)
    c[f"{s}_hip_abd"] = np.clip(c[f"{s}_hip_abd"], *jl.HIP_ABD)
    c[f"{s}_hip_rot"] = np.clip(c[f"{s}_hip_rot"], *jl.HIP_ROT)
    c[f"{s}_knee"] = np.clip(c[f"{s}_knee"], *jl.KNEE)
    c[f"{s}_elbow"] = np.clip(c[f"{s}_elbow"], *jl.ELBOW)
    c[f"{s}_ankle_flex"] = np.clip(c[f"{s}_ankle_flex"], ankle_lo[0],
                                   ankle_hi[0])
    c[f"{s}_ankle_rot"] = np.clip(c[f"{s}_ankle_rot"], ankle_lo[1],
                                  ankle_hi[1])
    c[f"{s}_ankle_inv"] = np.clip(c[f"{s}_ankle_inv"], ankle_lo[2],
                                  ankle_hi[2])
    c[f"{s}_toe"] = np.clip(c[f"{s}_toe"], toe_lo[0], toe_hi[0])
    c[f"{s}_collar_prot"] = np.clip(c[f"{s}_collar_prot"], -collar_hi[1],
                                    -collar_lo[1])
    c[f"{s}_collar_elev"] = np.clip(c[f"{s}_collar_elev"], collar_lo[2],
                                    collar_hi[2])
    beta = np.angle(np.exp(1j * c[f"{s}_sh_beta"]))       # wrap to (-π, π]
    c[f"{s}_sh_beta"] = beta
    c[f"{s}_sh_alpha"] = np.clip(c[f"{s}_sh_alpha"], 0.0,
                                 jl.alpha_max(beta))
    c[f"{s}_sh_twist"] = np.clip(c[f"{s}_sh_twist"], *jl.SHOULDER_TWIST)
    for k, axis in enumerate("xyz"):
      c[f"{s}_wrist_{axis}"] = np.clip(c[f"{s}_wrist_{axis}"], wrist_lo[k],
                                       wrist_hi[k])
  return c


def _side_axis_angles(c: Controls, s: str) -> Dict[int, np.ndarray]:
  """Left-form axis-angles `[n, 3]` of one side's joints, keyed by the
  left joint id."""
  zero = np.zeros_like(c[f"{s}_knee"])
  hip = (rotation.rot_x(-c[f"{s}_hip_flex"]) @ rotation.rot_z(c[f"{s}_hip_abd"])
         @ rotation.rot_y(c[f"{s}_hip_rot"]))
  swing = rotation.axis_angle_to_matrix(jl.shoulder_swing_axis_angle(
      c[f"{s}_sh_alpha"], c[f"{s}_sh_beta"]))
  shoulder = swing @ rotation.rot_x(c[f"{s}_sh_twist"])
  return {
      jl.L_HIP: rotation.matrix_to_axis_angle(hip),
      jl.L_KNEE: np.stack([c[f"{s}_knee"], zero, zero], -1),
      jl.L_ANKLE: np.stack([c[f"{s}_ankle_flex"], c[f"{s}_ankle_rot"],
                            c[f"{s}_ankle_inv"]], -1),
      jl.L_FOOT: np.stack([c[f"{s}_toe"], zero, zero], -1),
      jl.L_COLLAR: np.stack([zero, -c[f"{s}_collar_prot"],
                             c[f"{s}_collar_elev"]], -1),
      jl.L_SHOULDER: rotation.matrix_to_axis_angle(shoulder),
      jl.L_ELBOW: np.stack([zero, -c[f"{s}_elbow"], zero], -1),
      jl.L_WRIST: np.stack([c[f"{s}_wrist_x"], c[f"{s}_wrist_y"],
                            c[f"{s}_wrist_z"]], -1),
  }


def controls_to_theta(c: Mapping[str, np.ndarray]) -> np.ndarray:
  """Builds θ `[n, 72]` from controls (no clipping; see `clip_to_limits`).

  The root gets the family orientation `Rx(root_pitch)` composed with a roll
  about the body's long axis, `Rx(root_pitch) · Ry(root_roll)`.
  """
  n = len(c["spine_flex"])
  theta = np.zeros((n, jl.NUM_JOINTS, 3))
  root = rotation.rot_x(c["root_pitch"]) @ rotation.rot_y(c["root_roll"])
  theta[:, jl.PELVIS] = rotation.matrix_to_axis_angle(root)
  spine = np.stack([c["spine_flex"], c["spine_turn"], c["spine_lean"]], -1)
  for j, f in zip((jl.SPINE1, jl.SPINE2, jl.SPINE3), _SPINE_SPLIT):
    theta[:, j] = f * spine
  neck = np.stack([c["neck_flex"], c["neck_turn"], c["neck_tilt"]], -1)
  for j, f in zip((jl.NECK, jl.HEAD), _NECK_SPLIT):
    theta[:, j] = f * neck
  pairs = dict(jl.JOINT_PAIRS)
  for s in "lr":
    for left, aa in _side_axis_angles(c, s).items():
      if s == "l":
        theta[:, left] = aa
      else:
        theta[:, pairs[left]] = rotation.mirror_axis_angle(aa)
  return theta.reshape(n, 3 * jl.NUM_JOINTS)


def mirror_poses(theta: np.ndarray) -> np.ndarray:
  """Mirrors poses left↔right: swap paired joints, `(x, y, z) -> (x, -y, -z)`.

  Args:
    theta: `[N, 72]` axis-angle poses (root first).

  Returns:
    `[N, 72]` mirrored poses; mirroring twice is the identity.
  """
  theta = np.asarray(theta, dtype=np.float64)
  if theta.ndim != 2 or theta.shape[1] != 3 * jl.NUM_JOINTS:
    raise ValueError(f"theta must have shape [N, 72], got {theta.shape}.")
  aa = theta.reshape(-1, jl.NUM_JOINTS, 3)
  perm = np.arange(jl.NUM_JOINTS)
  for left, right in jl.JOINT_PAIRS:
    perm[left], perm[right] = right, left
  return rotation.mirror_axis_angle(aa[:, perm]).reshape(theta.shape)


def wide_config(**kwargs) -> PosePriorConfig:
  """The "wide" mode: all families, `pose_families.WIDE_WEIGHTS`."""
  return PosePriorConfig(family_weights=pose_families.WIDE_WEIGHTS, **kwargs)


def without_families(config: PosePriorConfig, names) -> PosePriorConfig:
  """`config` with the families `names` left out (a leave-out protocol's
  training distribution)."""
  unknown = sorted(set(names) - set(FAMILIES))
  if unknown:
    raise ValueError(f"unknown pose families {unknown}; known: {FAMILIES}.")
  kept = tuple((f, w) for f, w in config.family_weights if f not in names)
  return dataclasses.replace(config, family_weights=kept)


def with_family_weights(config: PosePriorConfig, weights) -> PosePriorConfig:
  """`config` with the families of `weights` ((name, weight) pairs) drawn
  at those relative weights; the others keep theirs, and a named family the
  config lacks is added (0 removes one)."""
  weights = dict(weights)
  unknown = sorted(set(weights) - set(FAMILIES))
  if unknown:
    raise ValueError(f"unknown pose families {unknown}; known: {FAMILIES}.")
  have = [f for f, _ in config.family_weights]
  out = [(f, float(weights.get(f, w))) for f, w in config.family_weights]
  out += [(f, float(w)) for f, w in weights.items() if f not in have]
  return dataclasses.replace(
      config, family_weights=tuple((f, w) for f, w in out if w > 0))


def parse_family_weights(items) -> Tuple[Tuple[str, float], ...]:
  """("uniform:0.15", "kicks:0.05") → (("uniform", 0.15), ("kicks", 0.05)),
  the form of the binaries' --family_weights flag; a ValueError names the
  bad item."""
  out = []
  for item in items:
    name, sep, value = str(item).partition(":")
    try:
      weight = float(value) if sep else float("nan")
    except ValueError:
      weight = float("nan")
    if not name or not weight >= 0:
      raise ValueError(f"--family_weights item {item!r} is not "
                       "family:weight with a weight ≥ 0.")
    if name not in FAMILIES:
      raise ValueError(f"unknown pose family {name!r}; known: {FAMILIES}.")
    out.append((name, weight))
  return tuple(out)


def only_family(config: PosePriorConfig, name: str) -> PosePriorConfig:
  """`config` drawing family `name` alone (per-family evaluation)."""
  if name not in FAMILIES:
    raise ValueError(f"unknown pose family {name!r}; known: {FAMILIES}.")
  return dataclasses.replace(config, family_weights=((name, 1.0),))


def sample_families(rng: np.random.Generator, n: int,
                    config: PosePriorConfig) -> np.ndarray:
  """`[n]` family indices into `FAMILIES`."""
  names = [f for f, _ in config.family_weights]
  weights = np.array([w for _, w in config.family_weights], dtype=np.float64)
  picks = rng.choice(len(names), size=n, p=weights / weights.sum())
  lookup = np.array([FAMILIES.index(f) for f in names])
  return lookup[picks]


def sample_controls(rng: np.random.Generator, n: int,
                    config: PosePriorConfig = PosePriorConfig()
                    ) -> Tuple[Controls, np.ndarray]:
  """Samples clipped controls and the family of each of `n` poses."""
  families = sample_families(rng, n, config)
  c = neutral_controls(n)
  for k, name in enumerate(FAMILIES):
    idx = np.flatnonzero(families == k)
    if len(idx):
      _FAMILY_FNS[name](c, idx, rng)
  _add_noise(c, rng, config.noise_scale)
  return clip_to_limits(c), families


def sample_poses(rng: np.random.Generator, n: int,
                 config: PosePriorConfig = PosePriorConfig()
                 ) -> Tuple[np.ndarray, np.ndarray]:
  """Samples `n` poses from the structured prior.

  Args:
    rng: the only source of randomness.
    n: number of poses.
    config: family weights, noise and mirroring.

  Returns:
    theta `[n, 72]` (root = the family's body orientation in the SMPL world)
    and family `[n]` int indices into `FAMILIES`.
  """
  if n < 0:
    raise ValueError(f"n must be ≥ 0, got {n}.")
  controls, families = sample_controls(rng, n, config)
  theta = controls_to_theta(controls)
  flip = rng.uniform(size=n) < config.mirror_probability
  theta[flip] = mirror_poses(theta[flip])
  return theta, families
