"""Backgrounds and occluders for rendered person crops (NumPy / OpenCV).

    bank = PhotoBank(("/data/backgrounds",))       # optional real photos
    image = background(rng, 256, bank, photo_probability=0.5)   # uint8 RGB
    mask, rgb = occluder(rng, 256, keypoints)       # something in front

Procedural backgrounds combine a layout (a room: wall and floor meeting at a
horizon, the floor tiled or planked in perspective; outdoors: sky, a skyline
of buildings with windows or a tree line, textured ground; or a two-colour
gradient), multi-scale value noise (textures at 2 … 64 px), and a few
rectangles / ellipses (furniture, windows, posters), sometimes blurred. Photo
crops are random square windows (10–100 % of the shorter side) of the
images in the bank's folders, resized, sometimes mirrored.

Occluders are drawn in front of the body: a bar (pole, railing, table edge),
a box or ellipse, or a person-like silhouette (head and limbs as thick
strokes); they are placed near a random keypoint so they hide something.
"""

import os
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")


class PhotoBank:
  """Images from folders, loaded on first use, for random crops."""

  def __init__(self, directories: Sequence[str], max_side: int = 512):
    self.paths = []
    for d in directories:
      if not os.path.isdir(d):
        raise ValueError(f"background folder {d!r} does not exist or is not "
                         f"a folder; pass folders of .jpg/.png images.")
      try:
        names = sorted(os.listdir(d))
      except OSError as e:
        raise ValueError(f"background folder {d!r} cannot be read: {e}."
                         ) from e
      found = [os.path.join(d, n) for n in names
               if n.lower().endswith(IMAGE_EXTENSIONS)]
      if not found:
        raise ValueError(f"background folder {d!r} holds no "
                         f"{'/'.join(IMAGE_EXTENSIONS)} images.")
      # A header check per file (no decoding): fail now, not mid-job.
      bad = [p for p in found if not cv2.haveImageReader(p)]
      if bad:
        raise ValueError(f"background folder {d!r} holds {len(bad)} "
                         f"file(s) that cannot be decoded as images, e.g. "
                         f"{bad[0]!r}; remove or convert them.")
      self.paths += found
    self.max_side = max_side
    self._cache = {}

  def __len__(self):
    return len(self.paths)

  def image(self, index: int) -> np.ndarray:
    """Image `index` as uint8 RGB, its longer side ≤ max_side."""
    if index not in self._cache:
      path = self.paths[index]
      bgr = cv2.imread(path, cv2.IMREAD_COLOR)
      if bgr is None:
        raise ValueError(f"background image {path!r} cannot be decoded; "
                         f"remove it or convert it to .jpg/.png.")
      scale = self.max_side / max(bgr.shape[:2])
      if scale < 1:
        bgr = cv2.resize(bgr, None, fx=scale, fy=scale,
                         interpolation=cv2.INTER_AREA)
      self._cache[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return self._cache[index]

  def crop(self, rng: np.random.Generator, size: int) -> np.ndarray:
    """A random square crop, resized to `size`², uint8 RGB."""
    img = self.image(int(rng.integers(len(self.paths))))
    h, w = img.shape[:2]
    side = max(8, int(min(h, w) * rng.uniform(0.25, 1.0)))
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    out = cv2.resize(img[y:y + side, x:x + side], (size, size),
                     interpolation=cv2.INTER_AREA if side > size
                     else cv2.INTER_LINEAR)
    return out[:, ::-1].copy() if rng.random() < 0.5 else out


def _colour(rng, n=None):
  """Random sRGB colour(s) in [0, 1], biased to muted scene colours."""
  shape = (3,) if n is None else (n, 3)
  base = rng.uniform(0.1, 0.9, shape[:-1] + (1,))
  return np.clip(base + rng.normal(0, 0.15, shape), 0, 1)


def value_noise(rng: np.random.Generator, size: int,
                scales: Sequence[int] = (4, 8, 16, 32, 64)) -> np.ndarray:
  """`[size, size]` float32 multi-scale noise, roughly in [−1, 1].

  Octaves from coarse to fine as a pyramid: the running sum is upsampled
  ×2 and the next octave's random grid added, so the cost is about one
  full-size resize whatever the number of octaves."""
  scales = sorted(scales, reverse=True)              # coarse (large) first
  cells = max(2, size // scales[0])
  total = np.zeros((cells, cells), np.float32)
  weight = 0.0
  for s in scales:
    cells = max(2, size // s)
    if total.shape[0] != cells:
      total = cv2.resize(total, (cells, cells),
                         interpolation=cv2.INTER_LINEAR)
    amp = s ** 0.5 * rng.uniform(0.3, 1.0)
    total += amp * rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    weight += amp
  total = cv2.resize(total, (size, size), interpolation=cv2.INTER_CUBIC)
  return total / weight


def _gradient(rng, size):
  a, b = _colour(rng).astype(np.float32), _colour(rng).astype(np.float32)
  angle = rng.uniform(0, 2 * np.pi)
  ramp = (np.arange(size, dtype=np.float32) / size - 0.5)
  t = np.clip(0.5 + ramp[None, :] * np.float32(np.cos(angle)) +
              ramp[:, None] * np.float32(np.sin(angle)), 0, 1)
  return a + (b - a) * t[..., None]


def _room(rng, size):
  """Wall above a horizon, floor below it with perspective tiles/planks."""
  horizon = int(rng.uniform(0.2, 0.75) * size)
  wall, floor = (_colour(rng).astype(np.float32),
                 _colour(rng).astype(np.float32))
  img = np.empty((size, size, 3), np.float32)
  img[:] = wall
  rows = size - horizon
  if rows > 0:
    dy = np.arange(1, rows + 1, dtype=np.float32)[:, None]   # below horizon
    xx = np.arange(size, dtype=np.float32)[None, :]
    depth = 1.0 / dy                                          # ∝ 1 / distance
    u = (xx - size * rng.uniform(0.3, 0.7)) * depth
    v = depth * size
    tile = np.float32(rng.uniform(0.3, 1.5))
    kind = rng.integers(3)
    if kind == 0:      # checker tiles
      pattern = (np.floor(u * (4 / tile)) + np.floor(v / tile)) % 2
    elif kind == 1:    # planks
      pattern = np.broadcast_to((np.floor(u * (8 / tile)) % 2) * 0.5 + 0.25,
                                (rows, size))
    else:              # plain (carpet, concrete)
      pattern = np.full((rows, size), 0.5, np.float32)
    # Fade the pattern near the horizon (where it would alias).
    pattern = 0.5 + (pattern - 0.5) * np.clip(dy / (0.15 * size), 0, 1)
    floor2 = np.clip(floor * np.float32(rng.uniform(0.6, 1.3)), 0, 1)
    img[horizon:] = floor + (floor2 - floor) * pattern[..., None]
  if rng.random() < 0.5:    # skirting board
    img[max(horizon - int(0.02 * size), 0):horizon] = _colour(rng)
  return img


_SKY = np.array([[0.45, 0.65, 0.9], [0.7, 0.8, 0.92], [0.85, 0.87, 0.9],
                 [0.55, 0.6, 0.68], [0.95, 0.75, 0.55]], np.float32)
_GROUND = np.array([[0.25, 0.45, 0.15], [0.35, 0.55, 0.2], [0.45, 0.45, 0.45],
                    [0.3, 0.3, 0.32], [0.75, 0.65, 0.45], [0.55, 0.4, 0.3]],
                   np.float32)


def _outdoor(rng, size):
  """Sky, a skyline of buildings (lit windows) or trees, textured ground."""
  horizon = int(rng.uniform(0.15, 0.6) * size)
  img = np.empty((size, size, 3), np.float32)
  sky = _SKY[rng.integers(len(_SKY))] * np.float32(rng.uniform(0.8, 1.1))
  ramp = np.linspace(0.85, 1.1, size, dtype=np.float32)[:, None, None]
  img[:] = np.clip(sky * ramp, 0, 1)
  ground = _GROUND[rng.integers(len(_GROUND))] * np.float32(
      rng.uniform(0.7, 1.2))
  fine = value_noise(rng, size, (2, 4, 8))
  img[horizon:] = ground * (1 + 0.35 * fine[horizon:, :, None])
  x = 0
  if rng.random() < 0.5:                     # buildings
    while x < size:
      w = int(rng.uniform(0.1, 0.35) * size)
      top = int(horizon - rng.uniform(0.05, 0.5) * size)
      colour = tuple(float(c) for c in _colour(rng))
      cv2.rectangle(img, (x, top), (x + w, horizon), colour, -1)
      win = tuple(float(c) for c in np.clip(_colour(rng) * 1.3, 0, 1))
      step = max(int(rng.uniform(0.03, 0.07) * size), 4)
      for wy in range(top + step // 2, horizon - step, step):
        for wx in range(x + step // 2, x + w - step // 2, step):
          cv2.rectangle(img, (wx, wy), (wx + step // 2, wy + step // 2),
                        win, -1)
      x += w + int(rng.uniform(0, 0.1) * size)
  else:                                      # a tree line
    band = value_noise(rng, size, (4, 8, 16))[0]
    heights = horizon - (0.05 + 0.2 * (band - band.min()) /
                         max(np.ptp(band), 1e-6)) * size
    green = np.array([0.12, 0.25, 0.1], np.float32) * np.float32(
        rng.uniform(0.6, 1.4))
    rows = np.arange(size)[:, None]
    trees = (rows >= heights[None, :]) & (rows < horizon)
    tex = 1 + 0.5 * value_noise(rng, size, (2, 4))[..., None]
    img = np.where(trees[..., None], green * tex, img)
  return img


def _shapes(rng, img, count):
  size = img.shape[0]
  for _ in range(count):
    colour = tuple(float(c) for c in _colour(rng))
    x0, y0 = rng.uniform(-0.2, 1.0, 2) * size
    w, h = rng.uniform(0.05, 0.6, 2) * size
    if rng.random() < 0.6:
      cv2.rectangle(img, (int(x0), int(y0)), (int(x0 + w), int(y0 + h)),
                    colour, -1)
    else:
      cv2.ellipse(img, (int(x0), int(y0)), (int(w / 2), int(h / 2)),
                  float(rng.uniform(0, 180)), 0, 360, colour, -1)
  return img


def procedural_background(rng: np.random.Generator, size: int) -> np.ndarray:
  """A `[size, size, 3]` uint8 RGB procedural scene."""
  kind = rng.choice(3, p=[0.4, 0.35, 0.25])
  img = (_room, _outdoor, _gradient)[kind](rng, size)
  img = np.ascontiguousarray(img, np.float32)
  img = _shapes(rng, img, int(rng.integers(0, 5 if kind < 2 else 8)))
  noise = value_noise(rng, size)
  img = img * (1 + rng.uniform(0.03, 0.3) * noise[..., None])
  if rng.random() < 0.5:
    sigma = rng.uniform(0.5, 2.5)
    img = cv2.GaussianBlur(img, (0, 0), sigma)
  return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def background(rng: np.random.Generator, size: int,
               bank: Optional[PhotoBank] = None,
               photo_probability: float = 0.5) -> np.ndarray:
  """A photo crop (with probability `photo_probability` when a bank is
  given) or a procedural scene, `[size, size, 3]` uint8 RGB."""
  if bank is not None and len(bank) and rng.random() < photo_probability:
    return bank.crop(rng, size)
  return procedural_background(rng, size)


def contact_shadow(rng: np.random.Generator, image: np.ndarray,
                   mask: np.ndarray) -> np.ndarray:
  """`image` (uint8 RGB background) darkened by a soft elliptical shadow
  under the lowest part of the person `mask` (standing on the ground)."""
  rows = np.flatnonzero(mask.any(axis=1))
  if len(rows) == 0:
    return image
  size = image.shape[0]
  bottom = rows[-1]
  height = bottom - rows[0] + 1
  band = mask[max(bottom - max(height // 8, 2), 0):bottom + 1]
  cols = np.flatnonzero(band.any(axis=0))
  width = (cols[-1] - cols[0] + 1) * rng.uniform(1.0, 1.6) + 0.1 * height
  centre = (int(0.5 * (cols[0] + cols[-1]) +
                rng.normal(0, 0.1) * width), int(bottom))
  shade = np.zeros((size, size), np.float32)
  cv2.ellipse(shade, centre, (int(width / 2) + 1,
                              int(width * rng.uniform(0.08, 0.2)) + 1),
              0, 0, 360, 1.0, -1)
  shade = cv2.GaussianBlur(shade, (0, 0), max(width * 0.1, 1.0))
  strength = rng.uniform(0.25, 0.6)
  return (image * (1 - strength * shade[..., None])).astype(np.uint8)


def occluder(rng: np.random.Generator, size: int,
             near: Tuple[float, float],
             bank: Optional[PhotoBank] = None) -> Tuple[np.ndarray,
                                                        np.ndarray]:
  """Something in front of the body near pixel `near` (x, y), textured
  with a photo crop (half the time, when a bank is given), a procedural
  texture or a plain shaded colour.

  Returns:
    (mask `[size, size]` bool, colour `[size, size, 3]` uint8 RGB).
  """
  mask = np.zeros((size, size), np.uint8)
  cx, cy = (float(near[0]) + rng.normal(0, 0.08 * size),
            float(near[1]) + rng.normal(0, 0.08 * size))
  kind = rng.choice(4, p=[0.35, 0.25, 0.2, 0.2])
  if kind == 0:          # a bar across the crop
    angle = rng.uniform(0, np.pi) if rng.random() < 0.5 else rng.choice(
        [0.0, np.pi / 2]) + rng.normal(0, 0.1)
    dx, dy = np.cos(angle) * 2 * size, np.sin(angle) * 2 * size
    thick = int(rng.uniform(0.03, 0.15) * size)
    cv2.line(mask, (int(cx - dx), int(cy - dy)), (int(cx + dx), int(cy + dy)),
             1, max(thick, 2))
  elif kind == 1:        # a box
    w, h = rng.uniform(0.15, 0.5, 2) * size
    cv2.rectangle(mask, (int(cx - w / 2), int(cy)),
                  (int(cx + w / 2), int(cy + h)), 1, -1)
  elif kind == 2:        # an ellipse
    w, h = rng.uniform(0.08, 0.3, 2) * size
    cv2.ellipse(mask, (int(cx), int(cy)), (int(w), int(h)),
                float(rng.uniform(0, 180)), 0, 360, 1, -1)
  else:                  # a person-like silhouette passing in front
    scale = rng.uniform(0.5, 1.1) * size
    head = (int(cx), int(cy - 0.38 * scale))
    cv2.circle(mask, head, max(int(0.07 * scale), 2), 1, -1)
    hip = (int(cx + rng.normal(0, 0.02) * scale), int(cy + 0.05 * scale))
    neck = (int(cx), int(cy - 0.28 * scale))
    thick = max(int(0.1 * scale), 3)
    cv2.line(mask, neck, hip, 1, int(thick * 1.6))
    for side in (-1, 1):
      hand = (int(cx + side * rng.uniform(0.05, 0.3) * scale),
              int(cy + rng.uniform(-0.3, 0.1) * scale))
      foot = (int(cx + side * rng.uniform(0.02, 0.2) * scale),
              int(cy + 0.5 * scale))
      cv2.line(mask, neck, hand, 1, max(thick // 2, 2))
      cv2.line(mask, hip, foot, 1, max(int(thick * 0.7), 2))
  colour = (bank.crop(rng, size) if bank is not None and len(bank) and
            rng.random() < 0.5 else procedural_background(rng, size))
  if kind == 3 or rng.random() < 0.3:      # mostly plain, darker
    colour = np.clip(colour.astype(np.float32) * 0.2 +
                     _colour(rng) * 255 * rng.uniform(0.2, 0.8), 0, 255
                     ).astype(np.uint8)
  return mask.astype(bool), colour
