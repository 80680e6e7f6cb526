"""The Human2D training library (flags live in `human2d/train.py`).

    result = train(config)     # config: human2d.config.TrainConfig

`model_dir` holds `config.json` (a rerun with other settings is refused
before anything is written, `runtime.checkpoints`), checkpoints every
`checkpoint_every` steps (a killed run loses fewer; a new run in the same
directory resumes from the newest checkpoint that reads back), TensorBoard
scalars (loss terms, learning rate, images/s) and pictures (crops with the
predicted heatmaps and silhouette) in `train/`, and the final weights
`human2d.weights.h5` beside `human2d.config.json` (the model config alone,
what `human2d.inference.Human2D.load` reads). `strategy` picks a
`runtime.strategy` ("multi_worker" for several machines, as priors.train).

The data order is a function of (seed, step): the input pipeline is rebuilt
on resume and skips the batches already seen, so a resumed run sees the
same batches as an uninterrupted one.
"""

import contextlib
import dataclasses
import json
import logging
import math
import os
import time
from typing import Dict, Optional

import keras
import numpy as np
import tensorflow as tf

from human2d import config as config_lib
from human2d import data as data_lib
from human2d import hourglass
from human2d import losses
from runtime import checkpoints
from runtime import loop
from runtime import strategy as strategy_lib
from synth import progress as progress_lib
from synth import summaries

WEIGHTS_NAME = "human2d.weights.h5"
MODEL_CONFIG_NAME = "human2d.config.json"


@dataclasses.dataclass(frozen=True)
class TrainResult:
  final_step: int
  start_step: int
  last_losses: Dict[str, float]
  weights_path: str
  seconds: float


def learning_rate(config: config_lib.TrainConfig):
  """Linear warm-up, then cosine decay to `final_lr_fraction`."""
  peak = config.learning_rate
  floor = peak * config.final_lr_fraction
  warm = max(config.warmup_steps, 1)
  total = max(config.num_steps - config.warmup_steps, 1)

  def rate(step):
    step = tf.cast(step, tf.float32)
    cos = floor + 0.5 * (peak - floor) * (
        1 + tf.cos(math.pi * tf.minimum((step - warm) / total, 1.0)))
    return tf.where(step < warm, peak * (step + 1) / warm, cos)

  return rate


def make_optimizer(config: config_lib.TrainConfig, rate):
  schedule = _Schedule(rate)
  if config.optimizer == "adam":
    return keras.optimizers.Adam(schedule)
  return keras.optimizers.RMSprop(schedule)


class _Schedule(keras.optimizers.schedules.LearningRateSchedule):

  def __init__(self, rate):
    self._rate = rate

  def __call__(self, step):
    return self._rate(step)

  def get_config(self):
    return {}


# Settings a resumed run may change: they change neither the model nor the
# data order (precision changes the arithmetic of the steps that follow).
RESUMABLE_CHANGES = ("strategy", "log_every", "image_every",
                     "checkpoint_every", "precision")


# CPU flags of native bfloat16 arithmetic (Linux /proc/cpuinfo names).
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_bfloat16(cpuinfo: str = "/proc/cpuinfo") -> Optional[bool]:
  """Whether the CPU does bfloat16 arithmetic natively (`BF16_CPU_FLAGS`);
  None where it cannot be told (no /proc/cpuinfo, or no x86 `flags` line:
  ARM kernels list `Features` under other names)."""
  try:
    with open(cpuinfo) as f:
      flags = set()
      for line in f:
        if line.startswith("flags"):
          flags.update(line.split(":", 1)[1].split())
  except OSError:
    return None
  if not flags:
    return None
  return any(flag in flags for flag in BF16_CPU_FLAGS)


def check_precision(precision: str, cpuinfo: str = "/proc/cpuinfo"
                    ) -> Optional[str]:
  """A warning (or None) for `precision` on this machine: bfloat16 on a
  CPU without native support is emulated, several times slower than
  float32 (measured: 4.8× on an AVX2-only AMD EPYC, `README.md`)."""
  if precision != "mixed_bfloat16" or tf.config.list_physical_devices("GPU"):
    return None
  if cpu_has_bfloat16(cpuinfo) is False:
    return ("--precision=mixed_bfloat16 on a CPU without native bfloat16 "
            f"({' / '.join(BF16_CPU_FLAGS)} not in {cpuinfo}): bfloat16 is "
            "emulated here and trains several times slower than float32. "
            "Use --precision=float32 on this machine.")
  return None


@contextlib.contextmanager
def dtype_policy(name: str):
  """Builds layers under the Keras dtype policy `name`, then restores the
  global one (layers keep the policy they were built with)."""
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy(name)
  try:
    yield
  finally:
    keras.config.set_dtype_policy(previous)


def heatmap_picture(images, heatmaps, silhouettes):
  """`[B, S, S, 3]` uint8: the crop with the last stack's heatmaps (max over
  keypoints, red) and silhouette (green) blended in."""
  s = images.shape[1]
  images = tf.cast(images, tf.float32)
  hm = tf.reduce_max(tf.cast(heatmaps[:, -1], tf.float32), axis=-1,
                     keepdims=True)
  sil = tf.nn.softmax(tf.cast(silhouettes[:, -1], tf.float32), axis=-1)[..., 1:]
  hm = tf.image.resize(tf.clip_by_value(hm, 0, 1), [s, s])
  sil = tf.image.resize(sil, [s, s])
  overlay = tf.concat([hm, sil, tf.zeros_like(hm)], axis=-1) * 255.0
  return tf.cast(tf.clip_by_value(0.55 * images + 0.45 * overlay, 0, 255),
                 tf.uint8)


def train(config: config_lib.TrainConfig,
          dataset: Optional[tf.data.Dataset] = None) -> TrainResult:
  """Trains (or resumes) the run of `config`; `dataset` (batches of the
  global batch size) replaces the configured sources (tests).

  Under `strategy="multi_worker"` every worker runs this with the same
  config and a shared `model_dir`; the chief writes it (`runtime`), each
  worker reads its own shard of the sources, BatchNorm statistics are
  synchronised over the global batch.
  """
  # MultiWorkerMirroredStrategy must exist before any other TensorFlow op.
  strategy = strategy_lib.make(config.strategy)
  role = strategy_lib.role(strategy)
  checkpoints.prepare_model_dir(config.model_dir, dataclasses.asdict(config),
                                role, may_differ=RESUMABLE_CHANGES)
  keras.utils.set_random_seed(config.seed)   # Same initial weights per seed.
  warning = check_precision(config.precision)
  if warning:
    logging.warning(warning)
  with strategy.scope():
    with dtype_policy(config.precision):
      model = hourglass.build(config.model)
    strategy_lib.synchronize_batch_norm(model, strategy)
    optimizer = make_optimizer(config, learning_rate(config))
    # Slots exist before a restore, so the moments are restored too.
    optimizer.build(model.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
  keeper = checkpoints.CheckpointKeeper(
      dict(model=model, optimizer=optimizer, step=step), config.model_dir,
      role, max_to_keep=3)
  if keeper.restore() is None and config.init_weights:
    model.load_weights(config.init_weights)
    logging.info("initialised from %s", config.init_weights)
  start = int(step.numpy())
  replicas = strategy.num_replicas_in_sync

  def dataset_fn(input_context: tf.distribute.InputContext):
    if dataset is not None:
      ds = dataset.unbatch().batch(
          input_context.get_per_replica_batch_size(config.batch_size),
          drop_remainder=True)
    else:
      ds = data_lib.training_dataset(
          config, seed=config.seed + 7919 * input_context.input_pipeline_id,
          batch_size=input_context.get_per_replica_batch_size(
              config.batch_size))
    # The order is a function of (seed, step): skipping the batches done
    # gives a resumed run the batches an uninterrupted one would see.
    return ds.skip(start)

  it = iter(strategy.distribute_datasets_from_function(dataset_fn))
  writer = (tf.summary.create_file_writer(
      os.path.join(config.model_dir, "train")) if role.is_chief
            else tf.summary.create_noop_writer())

  def replica_step(batch):
    with tf.GradientTape() as tape:
      hms, sils = model(batch["image"], training=True)
      terms = losses.total(hms, sils, batch, config.heatmap_weight,
                           config.foreground_weight)
      scaled = terms["total"] / replicas
    grads = tape.gradient(scaled, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return terms, hms, sils

  @tf.function
  def train_step(batch):
    terms, hms, sils = strategy.run(replica_step, args=(batch,))
    terms = {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
             for k, v in terms.items()}
    step.assign_add(1)
    return terms, hms, sils

  t0 = time.time()
  progress = progress_lib.Progress(config.num_steps, start=start)

  def log(current, outputs) -> Dict[str, float]:
    last = {k: float(v) for k, v in outputs[0].items()}
    if not all(np.isfinite(v) for v in last.values()):
      raise FloatingPointError(
          f"loss is {last} at step {current}; nothing was exported. Lower "
          f"the learning rate ({config.learning_rate}) or check the data.")
    lr = float(optimizer.learning_rate)
    images_per_s = (progress.rate or 0.0) * config.batch_size
    logging.info(
        "step %d/%d  loss %.4f (heatmap %.5f, silhouette %.4f)  lr %.2e  "
        "%.1f img/s  %s", current, config.num_steps, last["total"],
        last["heatmap"], last["silhouette"], lr, images_per_s,
        progress.summary())
    with writer.as_default():
      for k, v in last.items():
        summaries.scalar("loss/" + k, v, current)
      summaries.scalar("learning_rate", lr, current)
      summaries.scalar("images_per_second", images_per_s, current)
    return last

  def write_images(current, batch, outputs):
    if current % config.image_every == 0 and role.is_chief:
      _, hms, sils = outputs
      local = strategy.experimental_local_results
      with writer.as_default():
        summaries.image("prediction", heatmap_picture(
            local(batch["image"])[0][:4], local(hms)[0][:4],
            local(sils)[0][:4]), current)

  end = loop.run(lambda _, batch: train_step(batch), it, start=start,
                 num_steps=config.num_steps, log_every=config.log_every,
                 checkpoint_every=config.checkpoint_every, save=keeper.save,
                 on_log=log, on_step=write_images, progress=progress)
  weights = save_final(model, config, role)
  return TrainResult(final_step=end.final_step, start_step=start,
                     last_losses=end.last_log or {}, weights_path=weights,
                     seconds=time.time() - t0)


def save_final(model: keras.Model, config: config_lib.TrainConfig,
               role: strategy_lib.WorkerRole = strategy_lib.SINGLE) -> str:
  """Writes the final weights and the model config beside them (the chief
  only; every worker calls it)."""
  path = os.path.join(config.model_dir, WEIGHTS_NAME)
  checkpoints.save_file(model.save_weights, path, role)
  if role.is_chief:
    cfg = os.path.join(config.model_dir, MODEL_CONFIG_NAME)
    with open(cfg + ".tmp", "w") as f:
      json.dump(dataclasses.asdict(config.model), f, indent=2,
                sort_keys=True)
    os.replace(cfg + ".tmp", cfg)
  return path

