"""Backgrounds and occluders for rendered person crops (NumPy / OpenCV).

    bank = PhotoBank(("/data/backgrounds",))       # optional real photos
    image = background(rng, 256, bank, photo_probability=0.5)   # uint8 RGB
    mask, rgb = occluder(rng, 256, keypoints)       # something in front

Procedural backgrounds combine a layout (a two-colour gradient, or a room:
wall and floor meeting at a horizon, the floor tiled or planked in
perspective), multi-scale value noise (textures at 4 … 64 px), and a few
rectangles / ellipses (furniture, windows, posters), lightly blurred. Photo
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
  """`[size, size]` float32 multi-scale noise, roughly in [−1, 1]."""
  total = np.zeros((size, size), np.float32)
  weight = 0.0
  for s in scales:
    cells = max(2, size // s)
    grid = rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    amp = s ** 0.5 * rng.uniform(0.3, 1.0)
    total += amp * cv2.resize(grid, (size, size),
                              interpolation=cv2.INTER_CUBIC)
    weight += amp
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
  img = (_room(rng, size) if rng.random() < 0.5 else _gradient(rng, size))
  img = np.ascontiguousarray(img, np.float32)
  img = _shapes(rng, img, int(rng.integers(0, 6)))
  noise = value_noise(rng, size)
  img = img * (1 + rng.uniform(0.05, 0.4) * noise[..., None])
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
