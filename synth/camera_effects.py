"""Camera effects on rendered crops (NumPy / OpenCV, one image at a time).

    image = apply(rng, image, EffectsConfig())      # uint8 RGB in and out

In order: Gaussian blur (defocus), motion blur (a line kernel of random
length and angle), colour jitter (per-channel gains: white balance;
brightness, contrast, saturation), gamma, sensor noise (Gaussian, partly
per channel, partly luminance), JPEG re-compression at a random quality.
Each effect fires with its own probability; 0 switches it off.
"""

import dataclasses

import cv2
import numpy as np


@dataclasses.dataclass(frozen=True)
class EffectsConfig:
  """Probabilities and ranges of the camera effects.

  Attributes:
    blur_probability: chance of a Gaussian blur of σ ∈ blur_sigma pixels.
    motion_blur_probability: chance of a motion blur of motion_length px.
    colour_probability: chance of colour jitter (gains, contrast,
      saturation, brightness).
    gamma_probability: chance of a gamma in gamma_range.
    noise_probability: chance of sensor noise of σ ∈ noise_sigma (of 255).
    jpeg_probability: chance of JPEG re-compression at a quality in
      jpeg_quality.
  """
  blur_probability: float = 0.3
  blur_sigma: tuple = (0.4, 1.5)
  motion_blur_probability: float = 0.15
  motion_length: tuple = (3, 9)
  colour_probability: float = 0.8
  gamma_probability: float = 0.5
  gamma_range: tuple = (0.7, 1.4)
  noise_probability: float = 0.5
  noise_sigma: tuple = (1.0, 8.0)
  jpeg_probability: float = 0.5
  jpeg_quality: tuple = (30, 95)

  def __post_init__(self):
    for f in dataclasses.fields(self):
      value = getattr(self, f.name)
      if f.name.endswith("probability"):
        if not 0 <= value <= 1:
          raise ValueError(f"{f.name} must be in [0, 1], got {value}.")
      elif len(value) != 2 or not 0 < value[0] <= value[1]:
        raise ValueError(f"{f.name} must be a range (lo, hi) with "
                         f"0 < lo ≤ hi, got {value}.")
    if self.jpeg_quality[1] > 100:
      raise ValueError(f"jpeg_quality must lie in (0, 100], got "
                       f"{self.jpeg_quality}.")

  def off(self) -> "EffectsConfig":
    """The same ranges with every effect switched off."""
    return dataclasses.replace(
        self, **{f.name: 0.0 for f in dataclasses.fields(self)
                 if f.name.endswith("probability")})


def motion_kernel(length: int, angle: float) -> np.ndarray:
  """A normalized line kernel of `length` pixels at `angle` radians."""
  k = np.zeros((length, length), np.float32)
  c = (length - 1) / 2
  dx, dy = np.cos(angle) * c, np.sin(angle) * c
  cv2.line(k, (int(round(c - dx)), int(round(c - dy))),
           (int(round(c + dx)), int(round(c + dy))), 1.0, 1,
           lineType=cv2.LINE_AA)
  return k / k.sum()


_NOISE = {}


def _noise_patch(rng: np.random.Generator, height: int,
                 width: int) -> np.ndarray:
  """`[H, W, 3]` float32 unit Gaussian noise (a luminance part shared by the
  channels plus a per-channel part): a random window of a fixed 512² bank,
  randomly flipped, so each image costs a slice."""
  side = max(512, 2 * height, 2 * width)
  if side not in _NOISE:
    bank_rng = np.random.default_rng(12345)
    _NOISE[side] = (bank_rng.standard_normal((side, side, 1), np.float32) +
                    bank_rng.standard_normal((side, side, 3), np.float32)
                    ) / np.sqrt(2.0)
  bank = _NOISE[side]
  y = int(rng.integers(0, side - height + 1))
  x = int(rng.integers(0, side - width + 1))
  patch = bank[y:y + height, x:x + width]
  return patch[::-1] if rng.random() < 0.5 else patch


def apply(rng: np.random.Generator, image: np.ndarray,
          config: EffectsConfig) -> np.ndarray:
  """`image` (uint8 `[H, W, 3]` RGB) through the effects drawn from `rng`.

  Every effect's parameters are drawn whether or not it fires, and the
  result is a pure function of `rng`'s state.
  """
  draws = rng.random(6)
  sigma = rng.uniform(*config.blur_sigma)
  length = int(rng.integers(config.motion_length[0],
                            config.motion_length[1] + 1))
  angle = rng.uniform(0, np.pi)
  gains = rng.uniform(0.85, 1.15, 3)
  contrast, saturation, brightness = (rng.uniform(0.7, 1.3),
                                      rng.uniform(0.5, 1.4),
                                      rng.uniform(-0.12, 0.12))
  gamma = rng.uniform(*config.gamma_range)
  noise_sigma = rng.uniform(*config.noise_sigma)
  quality = int(rng.integers(config.jpeg_quality[0],
                             config.jpeg_quality[1] + 1))
  img = image
  if draws[0] < config.blur_probability:
    img = cv2.GaussianBlur(img, (0, 0), sigma)
  if draws[1] < config.motion_blur_probability:
    img = cv2.filter2D(img, -1, motion_kernel(length, angle))
  colour = draws[2] < config.colour_probability
  if colour and saturation != 1:
    grey = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY),
                        cv2.COLOR_GRAY2RGB)
    img = cv2.addWeighted(img, saturation, grey, 1 - saturation, 0)
  # Per-channel tone curve (contrast, brightness, gains, gamma) as a LUT.
  x = np.arange(256, dtype=np.float64)[:, None] / 255.0 * np.ones(3)
  changed = False
  if colour:
    x = ((x - 0.5) * contrast + 0.5 + brightness) * gains
    changed = True
  if draws[3] < config.gamma_probability:
    x = np.power(np.clip(x, 0, 1), gamma)
    changed = True
  if changed:
    lut = (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)     # [256, 3]
    img = cv2.LUT(np.ascontiguousarray(img), lut.reshape(256, 1, 3))
  if draws[4] < config.noise_probability:
    h, w = img.shape[:2]
    noise = _noise_patch(rng, h, w) * noise_sigma
    img = np.clip(img + noise, 0, 255).astype(np.uint8)
  if draws[5] < config.jpeg_probability:
    ok, data = cv2.imencode(".jpg", img[..., ::-1],
                            [cv2.IMWRITE_JPEG_QUALITY, quality])
    if ok:
      img = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]
  return np.ascontiguousarray(img)
