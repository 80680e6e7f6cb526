"""Input pipelines: records or rendered images → augmented crops + targets.

Every source becomes the same training example (a dict):
  image        float32 [S, S, 3] 0..255 crop
  keypoints    float32 [K, 2] crop pixels
  weights      float32 [K] 1 where the point is labelled and inside the crop
  heatmaps     float32 [M, M, K] Gaussian targets (0 where weights = 0)
  silhouette   float32 [M, M] body coverage in [0, 1]
  has_silhouette float32 [] 1 where the source has a silhouette
  head_size    float32 [] PCKh normaliser in crop pixels (0: none)

Crops follow the hourglass papers' protocol: centred on the person box,
side 1.25 × its larger side (`BOX_MARGIN`); training adds the paper's
rotation (±30°), scale (0.75–1.25) and left-right flip with keypoints
swapped, a small shift, colour jitter and blur. Randomness is stateless,
from (seed, example index), so a pipeline is the same on every run.
"""

import math
from typing import Dict, Optional

import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from human2d import config as config_lib
from human2d import heatmaps as heatmaps_lib
from human2d import record

BOX_MARGIN = 1.25


def crop_transform(centre, side, size: int, rotation=0.0, flip=False):
  """The affine map of a crop: output crop pixel → input image pixel.

  Args:
    centre: `[2]` image pixels at the crop's centre.
    side: the image length that the crop's side spans.
    size: S, the crop side in pixels.
    rotation: radians, counter-clockwise on screen (the person turns).
    flip: mirror the crop horizontally.

  Returns:
    `[2, 3]` float32 matrix A with `[x_in, y_in] = A @ [x_out, y_out, 1]`.
  """
  centre = tf.cast(centre, tf.float32)
  scale = tf.cast(side, tf.float32) / size
  c, s = tf.cos(rotation), tf.sin(rotation)
  half = (size - 1) / 2.0
  fx = tf.where(flip, -1.0, 1.0)
  # x_in = centre + scale · R · (F · (x_out − half)).
  a = tf.stack([[scale * c * fx, -scale * s], [scale * s * fx, scale * c]])
  b = centre - tf.linalg.matvec(a, tf.fill([2], half))
  return tf.concat([a, b[:, None]], axis=1)


def warp_image(image, transform, size: int, interpolation="BILINEAR"):
  """Crop `[H, W, C]` through `transform` (`crop_transform`) → `[S, S, C]`
  float32; outside the image is black."""
  image = tf.cast(image, tf.float32)
  t = tf.reshape(transform, [6])
  flat = tf.concat([t, tf.zeros([2])], axis=0)[None]
  out = tf.raw_ops.ImageProjectiveTransformV3(
      images=image[None], transforms=flat, output_shape=[size, size],
      interpolation=interpolation, fill_mode="CONSTANT", fill_value=0.0)
  return out[0]


def transform_points(points, transform):
  """Image pixels `[K, 2]` → crop pixels through the inverse of `transform`."""
  a, b = transform[:, :2], transform[:, 2]
  return tf.linalg.matvec(tf.linalg.inv(a)[None], points - b[None])


def _uniform(seed, lo, hi, shape=()):
  return tf.random.stateless_uniform(shape, seed, lo, hi)


def augment_params(aug: config_lib.AugmentConfig, seed, training: bool):
  """(scale factor, rotation rad, flip, shift [2] in crop sides) of one
  example; the identity when not training."""
  if not training:
    return 1.0, 0.0, tf.constant(False), tf.zeros([2])
  seeds = tf.random.experimental.stateless_split(seed, 4)
  scale = _uniform(seeds[0], aug.scale_min, aug.scale_max)
  rot = _uniform(seeds[1], -1.0, 1.0) * math.radians(aug.rotation_deg)
  flip = tf.logical_and(tf.constant(aug.flip), _uniform(seeds[2], 0., 1.) < .5)
  shift = _uniform(seeds[3], -aug.translate, aug.translate, [2])
  return scale, rot, flip, shift


def colour_and_blur(image, aug: config_lib.AugmentConfig, seed):
  """Brightness, contrast, per-channel gain, saturation, blur; `[S, S, 3]`
  0..255 in and out."""
  seeds = tf.random.experimental.stateless_split(seed, 6)
  x = image / 255.0
  if aug.colour > 0:
    a = aug.colour
    x = x * _uniform(seeds[0], 1 - a, 1 + a, [3]) + _uniform(
        seeds[1], -a / 2, a / 2)
    mean = tf.reduce_mean(x)
    x = (x - mean) * _uniform(seeds[2], 1 - a, 1 + a) + mean
    grey = tf.reduce_mean(x, axis=-1, keepdims=True)
    x = grey + (x - grey) * _uniform(seeds[3], 1 - 2 * a, 1 + 2 * a)
  if aug.blur_probability > 0:
    sigma = _uniform(seeds[4], 0.5, 1.5)
    r = tf.range(-3, 4, dtype=tf.float32)
    g = tf.exp(-r ** 2 / (2 * sigma ** 2))
    g /= tf.reduce_sum(g)
    kernel_x = tf.tile(tf.reshape(g, [1, 7, 1, 1]), [1, 1, 3, 1])
    kernel_y = tf.tile(tf.reshape(g, [7, 1, 1, 1]), [1, 1, 3, 1])
    blurred = tf.nn.depthwise_conv2d(x[None], kernel_x, [1] * 4, "SAME")
    blurred = tf.nn.depthwise_conv2d(blurred, kernel_y, [1] * 4, "SAME")[0]
    x = tf.where(_uniform(seeds[5], 0., 1.) < aug.blur_probability,
                 blurred, x)
  return tf.clip_by_value(x, 0.0, 1.0) * 255.0


def make_example(image, keypoints, labelled, silhouette, has_silhouette,
                 centre, side, head_size, model: config_lib.ModelConfig,
                 aug: config_lib.AugmentConfig, sigma: float, seed,
                 training: bool) -> Dict[str, tf.Tensor]:
  """One training example (module docstring) from an image and its labels.

  Args:
    image: `[H, W, 3]` uint8 or float 0..255.
    keypoints: `[K, 2]` image pixels; labelled: `[K]`.
    silhouette: `[H, W]` 0..1 (any values when `has_silhouette` is 0).
    centre, side: the un-augmented crop (image pixels).
    head_size: image pixels (0: none).
  """
  size, m = model.input_size, model.heatmap_size
  scale, rot, flip, shift = augment_params(aug, seed, training)
  side = side * scale
  centre = centre + shift * side
  t = crop_transform(centre, side, size, rot, flip)
  crop = warp_image(image, t, size)
  pts = transform_points(tf.cast(keypoints, tf.float32), t)
  perm = keypoints_lib.get(model.keypoint_set).flip_permutation()
  pts = tf.where(flip, tf.gather(pts, perm), pts)
  labelled = tf.where(flip, tf.gather(labelled, perm), labelled)
  inside = tf.reduce_all((pts >= 0) & (pts <= size - 1), axis=-1)
  weights = tf.cast(labelled, tf.float32) * tf.cast(inside, tf.float32)
  sil = warp_image(tf.cast(silhouette, tf.float32)[..., None], t, size)
  sil = tf.nn.avg_pool2d(sil[None], 4, 4, "VALID")[0, :, :, 0]
  if training:
    crop = colour_and_blur(crop, aug, tf.random.experimental.stateless_fold_in(
        seed, 7))
  return {
      "image": crop,
      "keypoints": pts,
      "weights": weights,
      "heatmaps": heatmaps_lib.gaussian_targets(pts, weights, m, sigma),
      "silhouette": sil,
      "has_silhouette": tf.cast(has_silhouette, tf.float32),
      "head_size": tf.cast(head_size, tf.float32) * size / side,
  }


def box_crop(box):
  """(centre, side) of the standard crop around a person box."""
  centre = 0.5 * (box[:2] + box[2:])
  side = BOX_MARGIN * tf.reduce_max(box[2:] - box[:2])
  return centre, tf.maximum(side, 8.0)


def record_example(ex, model, aug, sigma, seed, training):
  """A parsed record (`record.parse_fn`) → training example."""
  image = tf.io.decode_image(ex["image"], channels=3, expand_animations=False)
  has_sil = tf.strings.length(ex["silhouette"]) > 0
  shape = tf.shape(image)[:2]
  sil = tf.cond(
      has_sil,
      lambda: tf.cast(tf.io.decode_png(ex["silhouette"], 1)[..., 0],
                      tf.float32) / 255.0,
      lambda: tf.zeros(shape, tf.float32))
  centre, side = box_crop(ex["box"])
  return make_example(image, ex["keypoints"], ex["labelled"], sil, has_sil,
                      centre, side, ex["head_size"], model, aug, sigma, seed,
                      training)


def records_dataset(path: str, model: config_lib.ModelConfig,
                    aug: config_lib.AugmentConfig, sigma: float, seed: int,
                    training: bool = True) -> tf.data.Dataset:
  """Examples from TFRecords (infinite and shuffled when training)."""
  files = record.record_files(path)
  ds = tf.data.TFRecordDataset(files)
  if training:
    ds = ds.shuffle(4096, seed=seed, reshuffle_each_iteration=True).repeat()
  ds = ds.map(record.parse_fn(model.keypoint_set),
              num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  ds = ds.enumerate()
  return ds.map(
      lambda i, ex: record_example(ex, model, aug, sigma,
                                   tf.stack([tf.cast(seed, tf.int64), i]),
                                   training),
      num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def rendered_dataset(background_dirs: str, model: config_lib.ModelConfig,
                     aug: config_lib.AugmentConfig, sigma: float,
                     seed: int) -> tf.data.Dataset:
  """Rendered people (`synth.images`) on the fly, augmented like photos."""
  from synth import images as images_lib  # Heavy; only when asked for.
  dirs = tuple(d for d in background_dirs.split(",") if d)
  cfg = images_lib.ImageConfig(keypoint_set=model.keypoint_set,
                               image_size=model.input_size,
                               background_dirs=dirs)
  size = model.input_size
  ds = images_lib.image_dataset(cfg, seed=seed).enumerate()

  def convert(i, ex):
    # Cropped like a photo: the box of the labelled keypoints (head top to
    # feet), 1.25 × its larger side, so both sources show people at the
    # same scale.
    inside = ex["in_image"] > 0
    pts = tf.boolean_mask(ex["keypoints"], inside)
    box = tf.cond(
        tf.shape(pts)[0] >= 2,
        lambda: tf.concat([tf.reduce_min(pts, 0), tf.reduce_max(pts, 0)], 0),
        lambda: tf.constant([0.0, 0.0, size - 1.0, size - 1.0]))
    centre, side = box_crop(box)
    return make_example(
        ex["image"], ex["keypoints"], ex["in_image"],
        tf.cast(ex["silhouette256"], tf.float32), True, centre,
        side, 0.0, model, aug, sigma,
        tf.stack([tf.cast(seed + 1, tf.int64), i]), True)

  return ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True)


def training_dataset(config: config_lib.TrainConfig,
                     seed: Optional[int] = None,
                     batch_size: Optional[int] = None) -> tf.data.Dataset:
  """Batches mixing every source by its weight (defaults: the config's seed
  and batch size)."""
  seed = config.seed if seed is None else seed
  batch_size = batch_size or config.batch_size
  parts, weights = [], []
  for i, src in enumerate(config.sources):
    if src.kind == "records":
      ds = records_dataset(src.path, config.model, config.augment,
                           config.sigma, seed + 1000 * i)
    else:
      ds = rendered_dataset(src.path, config.model, config.augment,
                            config.sigma, seed + 1000 * i)
    parts.append(ds)
    weights.append(src.weight)
  if len(parts) == 1:
    ds = parts[0]
  else:
    total = float(np.sum(weights))
    ds = tf.data.Dataset.sample_from_datasets(
        parts, [w / total for w in weights], seed=seed)
  return ds.batch(batch_size, drop_remainder=True).prefetch(2)
