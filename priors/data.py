"""Training and evaluation data for the priors, from synth's samples.

Dimensions: N examples, B batch, K keypoints, S shape components, R×R
silhouette.

`generate_arrays` draws N samples with `synth.sample.SampleGenerator` and
keeps what the priors need as NumPy arrays (`ARRAY_KEYS`):

  keypoints   [N, K, 2] float32  ground-truth 2D keypoints, normalised crop
                                 coordinates ([−1, 1], see
                                 `pose_prior.normalize_keypoints`)
  visibility  [N, K]    uint8    0 out of frame, 1 occluded, 2 visible
  theta       [N, 72]   float32  camera-frame θ
  betas       [N, S]    float32
  camera      [N, 3]    float32  weak perspective (s, t_x, t_y) equivalent to
                                 the sample's perspective camera at the
                                 pelvis depth Z_p: s = 2f / (S_crop · Z_p),
                                 t = the body's translation (x, y)
  silhouette  [N, R, R] uint8    0/1

`arrays_from_records` reads the same arrays from a dataset written by
`python -m synth.generate` (or its Beam pipeline): the directory holding
`manifest.json` and the TFRecord shards. `save_arrays` / `load_arrays` keep
them in one `.npz` (write, then rename), so a long run generates once.
`make_dataset` turns them into a `tf.data` pipeline of `Batch` dicts,
corrupting the keypoints with `synth.corruption`.
"""

import dataclasses
import logging
import os
import types
from typing import Dict, Optional
import zipfile
import zlib

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import finite
from body import keypoints as keypoints_lib
from body import rotation
from priors import pose_sources
from priors import roll as roll_lib
from runtime import input_order
from synth import corruption
from synth import pose_bank as pose_bank_lib
from synth import record
from synth import sample as sample_lib

ARRAY_KEYS = ("keypoints", "visibility", "theta", "betas", "camera",
              "silhouette")


@dataclasses.dataclass(frozen=True)
class DataConfig:
  """Where training examples come from.

  Attributes:
    source: "generate" (draw `num_examples` with synth at start-up), a
      synth dataset directory (`python -m synth.generate --output=...`), or
      the path of an `.npz` written by `save_arrays` (or by a previous run's
      cache).
    num_examples: N when generating.
    seed: seed of the generator (use another one for held-out sets).
    keypoint_set: the keypoint set of the samples.
    cache: when generating, also save the arrays here ("" = do not).
    noise: keypoint corruption applied to the training inputs.
    clean_fraction: fraction of examples fed without corruption.
    mirror: fraction of examples replaced by their mirror image (x ↦ −x:
      left and right swap, `mirror_example`). It doubles the poses seen,
      which helped short runs over few poses and cost a little over many
      (priors/weights/README.md), so it is off by default.
    roll: fraction of examples seen by a camera rolled about its optical
      axis by an angle uniform in [−π, π) (`priors.roll`): upside-down and
      tilted bodies, which the viewpoint sampler never draws.
    poses: where generated examples' poses come from (structured / wide
      families, a pose bank, left-out families or activities).
  """
  source: str = "generate"
  num_examples: int = 20000
  seed: int = 0
  keypoint_set: str = "COCO_17"
  cache: str = ""
  noise: corruption.CorruptionConfig = corruption.CorruptionConfig()
  clean_fraction: float = 0.2
  mirror: float = 0.0
  roll: float = 0.0
  poses: pose_sources.PoseSourceConfig = pose_sources.PoseSourceConfig()

  def __post_init__(self):
    finite.check_fields(self)
    if isinstance(self.noise, dict):
      object.__setattr__(self, "noise",
                         corruption.CorruptionConfig(**self.noise))
    if isinstance(self.poses, dict):
      object.__setattr__(self, "poses",
                         pose_sources.PoseSourceConfig(**self.poses))
    if (self.source != "generate"
        and self.poses != pose_sources.PoseSourceConfig()):
      raise ValueError(
          f"pose sources ({self.poses}) apply to generated examples only, "
          f"not to source {self.source!r}: generate the data with them "
          f"(python -m synth.generate --pose_mode/--pose_bank) or use "
          f"source='generate'.")
    if self.num_examples <= 0:
      raise ValueError(f"num_examples must be positive, got "
                       f"{self.num_examples}.")
    if not 0.0 <= self.clean_fraction <= 1.0:
      raise ValueError(f"clean_fraction must be in [0, 1], got "
                       f"{self.clean_fraction}.")
    for name in ("mirror", "roll"):
      if not 0.0 <= getattr(self, name) <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got "
                         f"{getattr(self, name)}.")


def weak_perspective_from_samples(batch: sample_lib.SampleBatch,
                                  crop_size: int) -> np.ndarray:
  """`[N, 3]` (s, t_x, t_y) matching the samples' cameras at pelvis depth."""
  depth = batch.joints3d[:, 0, 2].astype(np.float64)
  scale = 2.0 * batch.focal.astype(np.float64) / (crop_size * depth)
  return np.concatenate([scale[:, None], batch.transl[:, :2]],
                        axis=1).astype(np.float32)


def arrays_from_samples(batch: sample_lib.SampleBatch,
                        crop_size: int) -> Dict[str, np.ndarray]:
  """The arrays of `ARRAY_KEYS` for a SampleBatch (or any object with its
  keypoints2d, visibility, theta, betas, joints3d, focal, transl and
  silhouette fields as NumPy arrays)."""
  half = 0.5 * crop_size
  return {
      "keypoints": ((batch.keypoints2d - (half - 0.5)) / half).astype(
          np.float32),
      "visibility": batch.visibility.astype(np.uint8),
      "theta": batch.theta.astype(np.float32),
      "betas": batch.betas.astype(np.float32),
      "camera": weak_perspective_from_samples(batch, crop_size),
      "silhouette": batch.silhouette.astype(np.uint8),
  }


def generate_arrays(assets: assets_lib.BodyAssets, num_examples: int,
                    seed: int, keypoint_set: str = "COCO_17",
                    chunk: int = 250,
                    sample_config: Optional[sample_lib.SampleConfig] = None,
                    pose_bank: Optional[pose_bank_lib.PoseBank] = None
                    ) -> Dict[str, np.ndarray]:
  """Draws `num_examples` synth samples (a pure function of `seed`)."""
  config = sample_config or sample_lib.SampleConfig(
      keypoint_set=keypoint_set)
  generator = sample_lib.SampleGenerator(assets, config, pose_bank=pose_bank)
  rng = np.random.default_rng(seed)
  parts = []
  for start in range(0, num_examples, chunk):
    n = min(chunk, num_examples - start)
    parts.append(arrays_from_samples(generator.generate(rng, n),
                                     config.camera.image_size))
    logging.info("generated %d / %d examples", start + n, num_examples)
  return {k: np.concatenate([p[k] for p in parts]) for k in ARRAY_KEYS}


def arrays_from_records(directory: str, keypoint_set: str = "",
                        batch_size: int = 1024) -> Dict[str, np.ndarray]:
  """The arrays of every sample of a synth dataset directory, in shard order.

  The dataset is first checked against its manifest
  (`record.verify_dataset`: status "complete", every listed shard present
  with its recorded size and sha256), and each shard must hold the count the
  manifest gives it.

  Raises:
    FileNotFoundError: if `directory` has no manifest.
    record.DatasetError: an incomplete dataset, or a missing, truncated or
      damaged file (named).
    ValueError: if `keypoint_set` is given and the dataset has another one.
  """
  manifest = record.verify_dataset(directory)
  schema = manifest["schema"]
  if keypoint_set and schema["keypoint_set"] != keypoint_set:
    raise ValueError(f"{directory} holds {schema['keypoint_set']} keypoints, "
                     f"not {keypoint_set}.")
  parts = []
  for shard in manifest["shards"]:
    path = os.path.join(directory, shard["file"])
    count = 0
    try:
      for x in record.read_dataset(directory, batch_size=batch_size,
                                   files=[path]):
        fields = types.SimpleNamespace(**{k: v.numpy() for k, v in x.items()})
        parts.append(arrays_from_samples(fields, schema["image_size"]))
        count += len(fields.theta)
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
      raise record.DatasetError(
          f"{path!r} is damaged ({type(e).__name__}: {e.message}). "
          f"{record.RERUN.format(directory)}") from e
    if count != shard["count"]:
      raise record.DatasetError(
          f"{path!r} holds {count} samples, the manifest says "
          f"{shard['count']}. {record.RERUN.format(directory)}")
  logging.info("read %d examples from %s", sum(len(p["theta"]) for p in parts),
               directory)
  return {k: np.concatenate([p[k] for p in parts]) for k in ARRAY_KEYS}


def save_arrays(path: str, arrays: Dict[str, np.ndarray]) -> None:
  """Writes `arrays` to `path` (.npz) atomically."""
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  tmp = path + ".tmp.npz"
  np.savez(tmp, **{k: arrays[k] for k in ARRAY_KEYS})
  os.replace(tmp, path)


def load_arrays(path: str) -> Dict[str, np.ndarray]:
  """Reads arrays written by `save_arrays`; raises ValueError naming `path`
  if it is unreadable or incomplete."""
  try:
    with np.load(path, allow_pickle=False) as f:
      missing = [k for k in ARRAY_KEYS if k not in f]
      if missing:
        raise ValueError(f"{path} lacks arrays {missing}; write it with "
                         f"priors.data.save_arrays.")
      arrays = {k: f[k] for k in ARRAY_KEYS}
  except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
    raise ValueError(f"{path} is not a readable .npz of training arrays "
                     f"({type(e).__name__}: {e}); delete it to generate "
                     f"the examples again.") from e
  sizes = {k: len(v) for k, v in arrays.items()}
  if len(set(sizes.values())) != 1:
    raise ValueError(f"{path} holds arrays of different lengths {sizes}.")
  return arrays


def load_or_generate(config: DataConfig,
                     assets: assets_lib.BodyAssets) -> Dict[str, np.ndarray]:
  """The arrays `config` asks for."""
  if os.path.isdir(config.source):
    return arrays_from_records(config.source, config.keypoint_set)
  if config.source != "generate":
    return load_arrays(config.source)
  if config.cache and os.path.isfile(config.cache):
    logging.info("reading cached examples from %s", config.cache)
    return load_arrays(config.cache)
  arrays = generate_arrays(
      assets, config.num_examples, config.seed, config.keypoint_set,
      sample_config=pose_sources.sample_config(config.poses,
                                               config.keypoint_set),
      pose_bank=pose_sources.load_bank(config.poses))
  if config.cache:
    save_arrays(config.cache, arrays)
  return arrays


def clean_confidence(visibility):
  """`[B, K]` 1 inside the crop (occluded or not), 0 outside."""
  return tf.cast(tf.convert_to_tensor(visibility) > 0, tf.float32)


def mirror_example(arrays, keypoint_set: str = "COCO_17"):
  """The mirror image (x ↦ −x) of a batch of arrays: keypoints and joints
  swap sides, θ as `pose_prior.mirror_rotations` (axis-angle
  (a, b, c) ↦ (a, −b, −c)), t_x ↦ −t_x, the silhouette flipped left to
  right; β unchanged (the shape space is taken as symmetric, as the flip
  test does). t_x ↦ −t_x neglects the rest pelvis's x offset (5 μm for
  the bundled body). In TF, for the input pipeline: θ as NumPy's
  `synth.pose_prior.mirror_poses`."""
  out = dict(arrays)
  kp_perm = keypoints_lib.get(keypoint_set).flip_permutation()
  joint_perm = keypoints_lib.SMPL_24.flip_permutation()
  out["keypoints"] = tf.gather(arrays["keypoints"], kp_perm, axis=1) * (
      tf.constant([-1.0, 1.0]))
  out["visibility"] = tf.gather(arrays["visibility"], kp_perm, axis=1)
  theta = tf.reshape(arrays["theta"], [-1, 24, 3])
  theta = tf.gather(theta, joint_perm, axis=1) * tf.constant([1.0, -1.0, -1.0])
  out["theta"] = tf.reshape(theta, [-1, 72])
  out["camera"] = arrays["camera"] * tf.constant([1.0, -1.0, 1.0])
  out["silhouette"] = tf.reverse(arrays["silhouette"], axis=[2])
  return out


def _select(mask, a, b):
  """`a` where the `[B]` mask holds, else `b`, for each array of two dicts."""
  out = {}
  for key in a:
    m = tf.reshape(mask, [-1] + [1] * (len(a[key].shape) - 1))
    out[key] = tf.where(m, a[key], b[key])
  return out


def to_batch(arrays, noise: corruption.CorruptionConfig,
             clean_fraction: float, seed, keypoint_set: str = "COCO_17",
             mirror: float = 0.0, roll: float = 0.0, pelvis=None):
  """Adds the derived tensors to a batch of arrays (a dict of tensors):

    inputs    `[B, K, 2]` corrupted keypoints, `confidence` `[B, K]`
    rotmats   `[B, 24, 3, 3]` from θ
    keypoint_weight `[B, K]` 1 for keypoints inside the crop

  A fraction `mirror` of the examples is first replaced by its mirror image
  (`mirror_example`), then a fraction `roll` by a rolled view
  (`priors.roll`; `pelvis` from `roll.rest_pelvis` of the body model).
  """
  seed = tf.cast(seed, tf.int64)
  size = tf.shape(arrays["theta"])[0]
  if mirror > 0:
    flip = tf.random.stateless_uniform(
        [size], tf.random.experimental.stateless_fold_in(seed, 1)) < mirror
    arrays = _select(flip, mirror_example(arrays, keypoint_set), arrays)
  if roll > 0:
    if pelvis is None:
      raise ValueError("roll > 0 needs the body model's rest pelvis "
                       "(priors.roll.rest_pelvis).")
    turn = tf.random.stateless_uniform(
        [size], tf.random.experimental.stateless_fold_in(seed, 2)) < roll
    angles = roll_lib.random_angles(
        size, tf.random.experimental.stateless_fold_in(seed, 3))
    arrays = _select(turn, roll_lib.roll_example(arrays, angles, pelvis),
                     arrays)
  out = dict(arrays)
  seeds = tf.random.experimental.stateless_split(seed, num=2)
  noisy, confidence, _ = corruption.corrupt(
      arrays["keypoints"], arrays["visibility"], noise,
      keypoints_lib.get(keypoint_set).flip_pairs, seeds[0])
  clean_conf = clean_confidence(arrays["visibility"])
  clean_kp = arrays["keypoints"] * clean_conf[..., None]
  batch = tf.shape(confidence)[0]
  use_clean = tf.random.stateless_uniform([batch], seeds[1]) < clean_fraction
  out["inputs"] = tf.where(use_clean[:, None, None], clean_kp, noisy)
  out["confidence"] = tf.where(use_clean[:, None], clean_conf, confidence)
  out["keypoint_weight"] = clean_conf
  theta = tf.reshape(arrays["theta"], [batch, -1, 3])
  out["rotmats"] = rotation.axis_angle_to_matrix(theta)
  out["silhouette"] = tf.cast(arrays["silhouette"], tf.float32)
  return out


def make_dataset(arrays: Dict[str, np.ndarray], batch_size: int,
                 noise: corruption.CorruptionConfig, clean_fraction: float,
                 seed: int, training: bool = True,
                 keypoint_set: str = "COCO_17",
                 mirror: float = 0.0, start_step: int = 0,
                 roll: float = 0.0, pelvis=None,
                 input_context: Optional[tf.distribute.InputContext] = None
                 ) -> tf.data.Dataset:
  """Batches of `to_batch` dicts.

  Training: endless, in `runtime.input_order`'s order from global step
  `start_step` (a resumed run sees the batches of an uninterrupted one),
  `batch_size` the global batch, split between the replicas of
  `input_context` (for `strategy.distribute_datasets_from_function`); the
  corruption of replica r's part of step s is seeded by (seed, s·R + r).
  Otherwise: the arrays once, in order.
  """
  if not training:
    ds = tf.data.Dataset.from_tensor_slices(
        {k: arrays[k] for k in ARRAY_KEYS}).batch(batch_size)
    ds = ds.enumerate().map(
        lambda i, a: to_batch(a, noise, clean_fraction, tf.stack(
            [tf.cast(seed, tf.int64), i]), keypoint_set, mirror, roll,
                            pelvis),
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(2)
  tensors = {k: tf.constant(arrays[k]) for k in ARRAY_KEYS}
  replicas = input_context.num_replicas_in_sync if input_context else 1
  order = input_order.replica_batches(len(arrays["theta"]), batch_size, seed,
                                      start_step, input_context)

  def examples(step, replica, indices):
    batch = {k: tf.gather(v, indices) for k, v in tensors.items()}
    return to_batch(batch, noise, clean_fraction, tf.stack(
        [tf.cast(seed, tf.int64), step * replicas + replica]), keypoint_set,
                    mirror, roll, pelvis)

  ds = order.map(examples, num_parallel_calls=tf.data.AUTOTUNE,
                 deterministic=True)
  return ds.prefetch(2)
