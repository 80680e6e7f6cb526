"""Procedural appearance of a rendered person: skin, clothes, hair, shoes.

Garments are regions of the body surface, defined on the rest pose (the
model's template, T-pose, y up, arms along ±x) from the skinning weights and
rest-pose coordinates, so they move with the body:

  SKIN 0, TOP 1 (torso, sleeves of random length, neckline, hem; a dress
  continues over the thighs), BOTTOM 2 (waist down; trousers, capris, shorts,
  skirt-like lengths), SHOES 3 (feet, sometimes boots; barefoot now and
  then), HAIR 4 (top and back of the head, short or long, or none), HAT 5.

Each garment has two colours and a pattern evaluated as a 3-D solid texture
of the rest-pose position p (so stripes stay on the cloth when it moves):
solid, stripes (s = sin(2π f p·d + φ)), checks (product of two), a warped
"print" (sin(2π f p·d + φ + 2 sin(2π 1.7 f p·e))) and dots. Colours are
drawn in sRGB: skin tones along a palette from very light to very dark,
clothes half neutral (black, white, greys, navy, denim, khaki, browns) and
half random hues.

Clothes also bend the shading normals by a fixed solid noise of the rest
position (`wrinkled_normals`: folds and creases).

`Appearance.sample_garments` / `sample_tables` draw per-image garments (`[n, V]` int ids of
each vertex) and garment tables (`[n, NUM_GARMENTS, TABLE_WIDTH]`);
`albedo_at` turns them into linear-RGB reflectance at rendered pixels.
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import smpl_layout

SKIN, TOP, BOTTOM, SHOES, HAIR, HAT = range(6)
NUM_GARMENTS = 6
SOLID, STRIPES, CHECKS, PRINT, DOTS = range(5)
NUM_PATTERNS = 5
# Table row: colour a (3), colour b (3), pattern, frequency (cycles per
# metre), direction d (3), direction e (3), phase.
TABLE_WIDTH = 15

_J = {n: i for i, n in enumerate(smpl_layout.SMPL_JOINT_NAMES)}
_TORSO = ("pelvis", "spine1", "spine2", "spine3", "left_collar",
          "right_collar")
_ARMS = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
         "left_wrist", "right_wrist", "left_hand", "right_hand")
_LEGS = ("left_hip", "right_hip", "left_knee", "right_knee")
_FEET = ("left_ankle", "right_ankle", "left_foot", "right_foot")
_HEAD = ("neck", "head")

# sRGB skin palette, very light to very dark (interpolated).
_SKIN = np.array([
    [255, 228, 206], [243, 206, 176], [230, 184, 150], [211, 160, 122],
    [190, 132, 96], [160, 104, 70], [125, 80, 55], [95, 60, 42],
    [66, 43, 32]], np.float64) / 255.0
_NEUTRALS = np.array([
    [20, 20, 22], [40, 40, 45], [235, 235, 230], [250, 250, 248],
    [128, 128, 128], [90, 90, 95], [170, 170, 165], [30, 40, 80],
    [50, 70, 120], [70, 100, 150], [190, 170, 130], [120, 90, 60],
    [80, 55, 35], [60, 75, 50], [140, 30, 35]], np.float64) / 255.0
_HAIR = np.array([
    [15, 12, 10], [35, 25, 20], [60, 40, 25], [100, 70, 40],
    [160, 120, 70], [210, 180, 120], [140, 60, 30], [150, 150, 150],
    [220, 220, 215]], np.float64) / 255.0
_HAIR_WEIGHTS = np.array([30, 25, 18, 10, 5, 4, 3, 3, 2], np.float64)


class BodyRegions(NamedTuple):
  """Rest-pose coordinates that define the garments, per vertex `[V]`.

  Attributes:
    joint: the joint of the largest skinning weight.
    arm: 0 at the shoulder, 1 at the wrist along the arm (arm vertices;
      −1 elsewhere).
    leg: 0 at the hip, 1 at the ankle along the leg (leg and foot vertices;
      −1 elsewhere).
    torso: 0 at the pelvis, 1 at the neck (height, every vertex).
    head: 0 at the head joint, 1 at the top of the head (height).
    back: rest z minus the head joint's z (metres; < 0 behind it).
  """
  joint: np.ndarray
  arm: np.ndarray
  leg: np.ndarray
  torso: np.ndarray
  head: np.ndarray
  back: np.ndarray


def body_regions(assets: assets_lib.BodyAssets) -> BodyRegions:
  """The `BodyRegions` of a model with SMPL's 24 joints."""
  if assets.num_joints != len(smpl_layout.SMPL_JOINT_NAMES):
    raise ValueError(f"appearance needs the 24 SMPL joints; model "
                     f"{assets.name!r} has {assets.num_joints}.")
  v = np.asarray(assets.v_template, np.float64)
  rest = assets.j_regressor @ v
  joint = np.argmax(assets.weights, axis=1)
  def member(names):
    return np.isin(joint, [_J[n] for n in names])
  x_sh = abs(rest[_J["left_shoulder"], 0])
  x_wr = abs(rest[_J["left_wrist"], 0])
  arm = np.where(member(_ARMS), (np.abs(v[:, 0]) - x_sh) / (x_wr - x_sh),
                 -1.0)
  y_hip, y_ank = rest[_J["left_hip"], 1], rest[_J["left_ankle"], 1]
  leg = np.where(member(_LEGS + _FEET), (y_hip - v[:, 1]) / (y_hip - y_ank),
                 -1.0)
  y_pel, y_neck = rest[_J["pelvis"], 1], rest[_J["neck"], 1]
  torso = (v[:, 1] - y_pel) / (y_neck - y_pel)
  y_head = rest[_J["head"], 1]
  top = v[member(_HEAD), 1].max() if member(_HEAD).any() else v[:, 1].max()
  head = (v[:, 1] - y_head) / max(top - y_head, 1e-6)
  back = v[:, 2] - rest[_J["head"], 2]
  return BodyRegions(joint=joint.astype(np.int32), arm=arm, leg=leg,
                     torso=torso, head=head, back=back)


def _hsv_colours(rng, n):
  """`[n, 3]` sRGB colours of random hue, moderate saturation/value."""
  import cv2  # pylint: disable=g-import-not-at-top
  hsv = np.stack([rng.uniform(0, 180, n), rng.uniform(60, 230, n),
                  rng.uniform(50, 240, n)], -1).astype(np.uint8)
  return cv2.cvtColor(hsv[None], cv2.COLOR_HSV2RGB)[0] / 255.0


def cloth_colours(rng: np.random.Generator, n: int) -> np.ndarray:
  """`[n, 3]` sRGB clothing colours: half neutrals (jittered), half hues."""
  neutral = _NEUTRALS[rng.integers(0, len(_NEUTRALS), n)]
  neutral = np.clip(neutral * rng.uniform(0.8, 1.2, (n, 1)) +
                    rng.normal(0, 0.03, (n, 3)), 0, 1)
  return np.where(rng.random((n, 1)) < 0.5, neutral, _hsv_colours(rng, n))


def skin_tones(rng: np.random.Generator, n: int) -> np.ndarray:
  """`[n, 3]` sRGB skin colours over the whole palette, jittered."""
  pos = rng.uniform(0, len(_SKIN) - 1, n)
  i = np.minimum(pos.astype(int), len(_SKIN) - 2)
  w = (pos - i)[:, None]
  tone = _SKIN[i] * (1 - w) + _SKIN[i + 1] * w
  return np.clip(tone * rng.uniform(0.92, 1.08, (n, 1)) +
                 rng.normal(0, 0.015, (n, 3)), 0, 1)


def _unit(rng, n, mean, spread):
  d = np.asarray(mean, np.float64) + rng.normal(0, spread, (n, 3))
  return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)


class Appearance:
  """Samples garments and colours for one body model."""

  def __init__(self, assets: assets_lib.BodyAssets):
    self.regions = body_regions(assets)
    j = self.regions.joint
    self._torso = np.isin(j, [_J[n] for n in _TORSO])
    self._arm = np.isin(j, [_J[n] for n in _ARMS])
    self._hand = np.isin(j, [_J[n] for n in ("left_hand", "right_hand",
                                             "left_wrist", "right_wrist")])
    self._leg = np.isin(j, [_J[n] for n in _LEGS])
    self._foot = np.isin(j, [_J[n] for n in _FEET])
    self._head = j == _J["head"]
    self._neck = j == _J["neck"]

  def sample_garments(self, rng: np.random.Generator, n: int) -> np.ndarray:
    """`[n, V]` uint8 garment id of each vertex."""
    r = self.regions
    def u(lo, hi):
      return rng.uniform(lo, hi, (n, 1))
    sleeve = rng.choice([-0.05, 0.2, 0.45, 0.8, 1.05], (n, 1),
                        p=[0.12, 0.33, 0.1, 0.1, 0.35])
    neckline = u(0.8, 1.02)
    hem = u(-0.45, 0.1)                    # torso height of the top's hem
    waist = u(0.1, 0.4)
    legs = rng.choice([0.3, 0.55, 0.8, 1.02], (n, 1),
                      p=[0.12, 0.18, 0.1, 0.6])
    dress = rng.random((n, 1)) < 0.1
    dress_len = u(0.2, 0.8)
    shoes = rng.random((n, 1)) < 0.92
    boots = np.where(rng.random((n, 1)) < 0.12, u(0.6, 0.85), 2.0)
    hair = rng.choice([0, 1, 2], (n, 1), p=[0.1, 0.55, 0.35])
    hairline = u(0.45, 0.7)
    hat = rng.random((n, 1)) < 0.12
    hat_line = u(0.45, 0.75)

    g = np.zeros((n, len(r.joint)), np.uint8)
    bottom = ((self._torso & (r.torso < waist)) |
              (self._leg & (r.leg < legs)) | (self._foot & (r.leg < legs)
                                              & (legs > 1)))
    g[bottom] = BOTTOM
    top = (((self._torso | self._neck) & (r.torso > hem) &
            (r.torso < neckline)) |
           (self._arm & ~self._hand & (r.arm < sleeve)) |
           (self._leg & dress & (r.leg < dress_len)) |
           (self._leg & (r.leg >= 0) & (r.leg < -hem * 0.6)))
    g[top] = TOP
    g[self._foot & shoes] = SHOES
    g[(self._foot | self._leg) & shoes & (r.leg > boots)] = SHOES
    head = self._head | self._neck
    on_head = head & (r.head > hairline)
    behind = head & (r.back < -0.02) & (r.head > np.where(hair == 2, -1.2,
                                                          -0.2))
    g[(hair > 0) & (on_head | behind)] = HAIR
    g[hat & head & (r.head > hat_line)] = HAT
    return g

  def sample_tables(self, rng: np.random.Generator, n: int) -> np.ndarray:
    """`[n, NUM_GARMENTS, TABLE_WIDTH]` float32 garment tables (sRGB
    colours)."""
    t = np.zeros((n, NUM_GARMENTS, TABLE_WIDTH))
    g = NUM_GARMENTS
    a = cloth_colours(rng, n * g).reshape(n, g, 3)
    b = np.where(rng.random((n, g, 1)) < 0.5,
                 cloth_colours(rng, n * g).reshape(n, g, 3),
                 np.clip(a * rng.uniform(0.4, 1.6, (n, g, 1)), 0, 1))
    pattern = rng.choice(NUM_PATTERNS, (n, g),
                         p=[0.45, 0.2, 0.12, 0.13, 0.1])
    freq = np.exp(rng.uniform(np.log(4), np.log(30), (n, g)))
    d = _unit(rng, n * g, [0, 1, 0], 0.3).reshape(n, g, 3)
    vertical = rng.random((n, g)) < 0.25
    d[vertical] = _unit(rng, int(vertical.sum()), [1, 0, 0], 0.2)
    e = _unit(rng, n * g, [0, 0, 0], 1.0).reshape(n, g, 3)
    e[pattern == CHECKS] = np.cross(d[pattern == CHECKS], [0.0, 0.0, 1.0])
    phase = rng.uniform(0, 2 * np.pi, (n, g))
    skin = skin_tones(rng, n)
    a[:, SKIN] = skin
    b[:, SKIN] = np.clip(skin * 0.93, 0, 1)
    pattern[:, SKIN] = SOLID
    hair = _HAIR[rng.choice(len(_HAIR), n,
                            p=_HAIR_WEIGHTS / _HAIR_WEIGHTS.sum())]
    a[:, HAIR] = hair
    b[:, HAIR] = np.clip(hair * 0.75, 0, 1)
    pattern[:, HAIR] = STRIPES
    freq[:, HAIR] = rng.uniform(80, 150, n)
    d[:, HAIR] = _unit(rng, n, [1, 0, 0], 0.2)
    # Shoes: mostly dark or white, plain.
    a[:, SHOES] = np.where(rng.random((n, 1)) < 0.7,
                           rng.uniform(0.02, 0.25, (n, 1)) * np.ones(3),
                           a[:, SHOES])
    pattern[:, SHOES] = np.where(rng.random(n) < 0.85, SOLID,
                                 pattern[:, SHOES])
    t[..., 0:3], t[..., 3:6] = a, b
    t[..., 6], t[..., 7] = pattern, freq
    t[..., 8:11], t[..., 11:14], t[..., 14] = d, e, phase
    return t.astype(np.float32)


def face_points(assets: assets_lib.BodyAssets) -> np.ndarray:
  """`[3, 3]` rest positions of the left eye, right eye and nose (the
  model's landmarks), for the painted face features."""
  names = ("left_eye", "right_eye", "nose")
  missing = [n for n in names if n not in assets.landmarks]
  if missing:
    raise ValueError(f"model {assets.name!r} lacks the landmarks {missing}.")
  return np.asarray(assets.v_template, np.float32)[
      [assets.landmarks[n] for n in names]]


def _ellipse(p, centre, half_x, half_y):
  """1 inside an ellipse of the rest (x, y) plane around `centre`, soft."""
  d = (((p[:, 0] - centre[0]) / half_x) ** 2 +
       ((p[:, 1] - centre[1]) / half_y) ** 2)
  return tf.sigmoid(8.0 * (1.0 - d))


def _face_features(srgb, garment, p, row_hair, face):
  """Paints eyes, eyebrows (hair colour) and lips on bare skin."""
  left, right, nose = face[0], face[1], face[2]
  front = tf.cast((garment == SKIN) & (p[:, 2] > nose[2] - 0.06),
                  tf.float32)[:, None]
  eyes = (_ellipse(p, left, 0.009, 0.0045) +
          _ellipse(p, right, 0.009, 0.0045))[:, None] * front
  brows = (_ellipse(p, left + [0.003, 0.017, 0], 0.013, 0.003) +
           _ellipse(p, right + [-0.003, 0.017, 0], 0.013, 0.003)
           )[:, None] * front
  lips = _ellipse(p, nose + [0, -0.043, 0], 0.02, 0.006)[:, None] * front
  srgb = srgb * (1 - 0.75 * lips) + 0.75 * lips * srgb * [0.8, 0.5, 0.5]
  srgb = srgb * (1 - 0.8 * brows) + 0.8 * brows * row_hair
  return srgb * (1 - 0.85 * eyes) + 0.85 * eyes * [0.08, 0.06, 0.05]


def wrinkled_normals(normal, rest_position, garment,
                     strength: float = 0.18) -> tf.Tensor:
  """Normals `[N, 3]` bent by a fixed solid noise of the rest position on
  clothes (not on skin or hair): folds and creases under the light.

  The perturbation is a sum of three warped sinusoids (wavelengths of about
  4–12 cm along fixed rest-pose directions), so it moves with the cloth."""
  p = tf.cast(rest_position, tf.float32)
  k = 2 * np.pi
  bend = tf.stack([
      tf.sin(k * 9.0 * (p[:, 1] + 0.3 * p[:, 2]) +
             2.0 * tf.sin(k * 4.0 * p[:, 0])),
      tf.sin(k * 13.0 * (p[:, 0] - 0.4 * p[:, 1]) +
             1.5 * tf.sin(k * 5.0 * p[:, 2])),
      tf.sin(k * 7.0 * (p[:, 2] + 0.5 * p[:, 0]) +
             2.0 * tf.sin(k * 6.0 * p[:, 1]))], -1)
  garment = tf.cast(garment, tf.int32)
  cloth = tf.cast((garment != SKIN) & (garment != HAIR), tf.float32)
  return tf.math.l2_normalize(
      tf.cast(normal, tf.float32) + strength * cloth[:, None] * bend, -1)


def albedo_at(garment, rest_position, batch_ids, tables,
              face=None) -> tf.Tensor:
  """Linear-RGB reflectance `[N, 3]` at N rendered points.

  Args:
    garment: `[N]` int garment id at each point.
    rest_position: `[N, 3]` rest-pose position (metres) of each point.
    batch_ids: `[N]` int image of each point.
    tables: `[B, NUM_GARMENTS, TABLE_WIDTH]` garment tables.
    face: None, or `face_points` of the model: paints eyes, eyebrows and
      lips on bare skin.
  """
  tables = tf.convert_to_tensor(tables, tf.float32)
  row = tf.gather_nd(tables, tf.stack(
      [tf.cast(batch_ids, tf.int32), tf.cast(garment, tf.int32)], -1))
  p = tf.cast(rest_position, tf.float32)
  a, b = row[:, 0:3], row[:, 3:6]
  kind = tf.cast(tf.round(row[:, 6]), tf.int32)
  freq = row[:, 7] * 2 * np.pi
  d, e, phase = row[:, 8:11], row[:, 11:14], row[:, 14]
  pd = tf.reduce_sum(p * d, -1)
  pe = tf.reduce_sum(p * e, -1)
  stripes = tf.sin(freq * pd + phase)
  checks = tf.sin(freq * pd + phase) * tf.sin(freq * pe)
  prints = tf.sin(freq * pd + phase + 2.0 * tf.sin(1.7 * freq * pe))
  dots = tf.cos(freq * pd) + tf.cos(freq * pe) - 1.1
  s = tf.stack([-tf.ones_like(pd), stripes, checks, prints, dots], -1)
  s = tf.gather(s, kind, batch_dims=1)
  m = tf.sigmoid(6.0 * s)[:, None]
  srgb = a * (1 - m) + b * m
  if face is not None:
    hair = tf.gather(tables[:, HAIR, 0:3], tf.cast(batch_ids, tf.int32))
    srgb = _face_features(srgb, tf.cast(garment, tf.int32), p, hair,
                          tf.constant(face, tf.float32))
  return tf.pow(srgb, 2.2)
