"""The Human2D training library (flags live in `human2d/train.py`).

    result = train(config)     # config: human2d.config.TrainConfig

`model_dir` holds `config.json` (written only when it is new or equal to the
run's config, so a rerun with other flags cannot spoil a model directory),
checkpoints every `checkpoint_every` steps (a killed run loses fewer; a new
run in the same directory resumes from the newest intact one), TensorBoard
scalars (loss terms, learning rate, images/s) and pictures (crops with the
predicted heatmaps and silhouette) in `train/`, and the final weights
`human2d.weights.h5` beside `human2d.config.json` (the model config alone,
what `human2d.pretrained.load` reads).

The data order is a function of (seed, step): the input pipeline is rebuilt
on resume and skips the batches already seen, so a resumed run sees the
same batches as an uninterrupted one.
"""

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


def write_config(config: config_lib.TrainConfig) -> None:
  """config.json, refusing to replace a different one (resume safety)."""
  os.makedirs(config.model_dir, exist_ok=True)
  path = os.path.join(config.model_dir, "config.json")
  if os.path.exists(path):
    old = config_lib.load_json(path)
    if old != config:
      changed = [f.name for f in dataclasses.fields(config)
                 if getattr(old, f.name) != getattr(config, f.name)]
      raise ValueError(
          f"{config.model_dir} holds a run with another config (differs in "
          f"{changed}); resume with the same flags or use a new model_dir.")
    return
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    f.write(config.to_json())
  os.replace(tmp, path)


def _restore(manager: tf.train.CheckpointManager, checkpoint) -> int:
  """Restores the newest intact checkpoint; returns its step (0: none)."""
  for path in reversed(manager.checkpoints):
    try:
      checkpoint.restore(path).expect_partial()
      logging.info("resumed from %s", path)
      return int(checkpoint.step.numpy())
    except (tf.errors.OpError, ValueError, IndexError) as e:
      logging.warning("checkpoint %s unreadable (%s); trying an older one",
                      path, e)
  return 0


def heatmap_picture(images, heatmaps, silhouettes):
  """`[B, S, S, 3]` uint8: the crop with the last stack's heatmaps (max over
  keypoints, red) and silhouette (green) blended in."""
  s = images.shape[1]
  hm = tf.reduce_max(heatmaps[:, -1], axis=-1, keepdims=True)
  sil = tf.nn.softmax(silhouettes[:, -1], axis=-1)[..., 1:]
  hm = tf.image.resize(tf.clip_by_value(hm, 0, 1), [s, s])
  sil = tf.image.resize(sil, [s, s])
  overlay = tf.concat([hm, sil, tf.zeros_like(hm)], axis=-1) * 255.0
  return tf.cast(tf.clip_by_value(0.55 * images + 0.45 * overlay, 0, 255),
                 tf.uint8)


def train(config: config_lib.TrainConfig,
          dataset: Optional[tf.data.Dataset] = None) -> TrainResult:
  """Trains (or resumes) the run of `config`; `dataset` replaces the
  configured sources (tests)."""
  write_config(config)
  model = hourglass.build(config.model)
  if config.init_weights:
    model.load_weights(config.init_weights)
  optimizer = make_optimizer(config, learning_rate(config))
  step = tf.Variable(0, dtype=tf.int64, name="step")
  checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer,
                                   step=step)
  manager = tf.train.CheckpointManager(
      checkpoint, os.path.join(config.model_dir, "checkpoints"),
      max_to_keep=3)
  start = _restore(manager, checkpoint)
  if dataset is None:
    dataset = data_lib.training_dataset(config)
  dataset = dataset.skip(start)   # Same batches as an uninterrupted run.
  writer = tf.summary.create_file_writer(
      os.path.join(config.model_dir, "train"))

  @tf.function
  def train_step(batch):
    with tf.GradientTape() as tape:
      hms, sils = model(batch["image"], training=True)
      terms = losses.total(hms, sils, batch, config.heatmap_weight,
                           config.foreground_weight)
    grads = tape.gradient(terms["total"], model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    step.assign_add(1)
    return terms, hms, sils

  t0 = time.time()
  rate_start, rate_step = None, start
  last = {}
  it = iter(dataset)
  current = start
  while current < config.num_steps:
    try:
      batch = next(it)
    except StopIteration:
      raise ValueError(f"the training data ran out at step {current}; "
                       f"sources must be infinite.") from None
    terms, hms, sils = train_step(batch)
    current += 1
    if rate_start is None:   # The first step traces: keep it out of the rate.
      rate_start, rate_step = time.time(), current
    if not np.isfinite(float(terms["total"])):
      raise FloatingPointError(
          f"loss is {float(terms['total'])} at step {current}; lower the "
          f"learning rate ({config.learning_rate}) or check the data.")
    if current % config.log_every == 0 or current == config.num_steps:
      last = {k: float(v) for k, v in terms.items()}
      done = current - rate_step
      rate = done / max(time.time() - rate_start, 1e-9)
      eta = (config.num_steps - current) / max(rate, 1e-9)
      lr = float(optimizer.learning_rate)
      logging.info(
          "step %d/%d  loss %.4f (heatmap %.5f, silhouette %.4f)  lr %.2e  "
          "%.1f img/s  ETA %s", current, config.num_steps, last["total"],
          last["heatmap"], last["silhouette"], lr,
          rate * config.batch_size, _duration(eta))
      with writer.as_default():
        for k, v in last.items():
          summaries.scalar("loss/" + k, v, current)
        summaries.scalar("learning_rate", lr, current)
        summaries.scalar("images_per_second", rate * config.batch_size,
                         current)
    if current % config.image_every == 0:
      with writer.as_default():
        summaries.image("prediction", heatmap_picture(
            batch["image"][:4], hms[:4], sils[:4]), current)
    if current % config.checkpoint_every == 0:
      manager.save(checkpoint_number=current)
  if int(step.numpy()) != (manager.latest_checkpoint and int(
      manager.latest_checkpoint.rsplit("-", 1)[1]) or -1):
    manager.save(checkpoint_number=int(step.numpy()))
  weights = save_final(model, config)
  return TrainResult(final_step=current, start_step=start, last_losses=last,
                     weights_path=weights, seconds=time.time() - t0)


def save_final(model: keras.Model, config: config_lib.TrainConfig) -> str:
  """Writes the final weights and the model config beside them."""
  path = os.path.join(config.model_dir, WEIGHTS_NAME)
  tmp = path[:-len(".weights.h5")] + ".tmp.weights.h5"
  model.save_weights(tmp)
  os.replace(tmp, path)
  cfg = os.path.join(config.model_dir, MODEL_CONFIG_NAME)
  with open(cfg + ".tmp", "w") as f:
    json.dump(dataclasses.asdict(config.model), f, indent=2, sort_keys=True)
  os.replace(cfg + ".tmp", cfg)
  return path


def _duration(seconds: float) -> str:
  seconds = int(seconds)
  h, rem = divmod(seconds, 3600)
  m, s = divmod(rem, 60)
  return f"{h}:{m:02d}:{s:02d}"
