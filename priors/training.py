"""The training library of both priors (flags live in `priors/train.py`).

    result = train(config)     # config: priors.config.TrainConfig

Checkpoints (model, optimiser, step; `runtime.checkpoints`) are saved every
`checkpoint_every` steps in `model_dir/checkpoints`; a new run in the same
`model_dir` restores the newest intact one and continues, so a killed run
loses fewer than `checkpoint_every` steps and ends with the weights of an
uninterrupted run. A rerun whose config differs (other than in
`RESUMABLE_CHANGES`) is refused before anything is written. `config.json` is
written beside them,
TensorBoard scalars (every loss term, learning rate, steps/s) and overlay
images (predicted silhouette red, ground truth green) go to `model_dir/train`,
and the final weights to `model_dir/<prior>_prior.weights.h5`.
"""

import dataclasses
import logging
import math
import os
import time
from typing import Dict, Optional

import keras
import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import bundled
from body import keypoints as keypoints_lib
from body import lbs
from body import toy
from priors import config as config_lib
from priors import data as data_lib
from priors import losses
from priors import pose_prior
from priors import roll as roll_lib
from priors import shape_prior
from synth import summaries
from render import camera as camera_lib
from render import losses as render_losses
from render import soft_silhouette
from synth import progress as progress_lib
from runtime import checkpoints
from runtime import strategy as strategy_lib
from synth import raster
from synth import sample as sample_lib

TERMS = ("parameter", "camera", "vertex", "joint", "reprojection", "render")


@dataclasses.dataclass(frozen=True)
class TrainResult:
  """What a run did.

  Attributes:
    final_step: the step reached.
    start_step: the step it resumed from (0 for a fresh run).
    last_losses: the loss terms of the last step.
    weights_path: the final weights file.
    seconds: wall time of this invocation's training loop.
  """
  final_step: int
  start_step: int
  last_losses: Dict[str, float]
  weights_path: str
  seconds: float


def load_body(name: str) -> assets_lib.BodyAssets:
  """"" → the bundled model, "toy" → `body.toy`, otherwise a model file."""
  if name == "toy":
    return toy.make_assets()
  return bundled.load_model(name or None)


def build_model(config: config_lib.TrainConfig) -> keras.Model:
  if config.prior == "pose":
    return pose_prior.PosePrior(config.pose_model)
  return shape_prior.ShapePrior(config.shape_model)


def initialise(model: keras.Model, config: config_lib.TrainConfig):
  """Loads `config.init_weights` into `model`. A PosePrior's weights whose
  recorded config (beside them, `config.config_path`) has fewer units
  are deepened first (`pose_prior.deepen`; nothing but the dropout rate may
  differ); weights with more units than asked are refused, naming the flag
  to pass."""
  path = config.init_weights
  beside = config_lib.config_path(path)
  if config.prior == "pose" and os.path.isfile(beside):
    source = config_lib.load_json(beside).pose_model
    target = config.pose_model
    if source.num_units > target.num_units:
      raise ValueError(
          f"--init_weights={path} holds a PosePrior with {source.num_units} "
          f"units (its config {beside}); this run asks for "
          f"{target.num_units}: pass --num_units={source.num_units} (or "
          f"more, to deepen it). A prior is never made shallower.")
    if source.num_units < target.num_units:
      # Dropout holds no weights, so it may differ too.
      if dataclasses.replace(source, num_units=target.num_units,
                             dropout=target.dropout) != target:
        raise ValueError(
            f"--init_weights={path} can only be deepened into a PosePrior "
            f"that differs in num_units (and dropout) alone: {source} "
            f"against {target}.")
      shallow = pose_prior.PosePrior(source)
      shallow.load_weights(path)
      model.set_weights(
          pose_prior.deepen(shallow, target.num_units).get_weights())
      logging.info("initialised from %s, deepened from %d to %d units", path,
                   source.num_units, target.num_units)
      return
  model.load_weights(path)
  logging.info("initialised from %s", path)


def loss_weights(config: config_lib.TrainConfig, step: int
                 ) -> Dict[str, float]:
  """The weight of each term of `TERMS` at `step` (the schedule)."""
  lc = config.loss
  body_on = step >= lc.vertex_start * config.num_steps
  render_on = lc.uses_render and step >= lc.render_start * config.num_steps
  pose = config.prior == "pose"
  return {
      "parameter": lc.parameter_weight,
      "camera": lc.camera_weight if pose else 0.0,
      "vertex": lc.vertex_weight if body_on else 0.0,
      "joint": lc.joint_weight if body_on and pose else 0.0,
      "reprojection": lc.reprojection_weight if body_on and pose else 0.0,
      "render": lc.render_weight if render_on and pose else 0.0,
  }


class LossComputer:
  """Computes the loss terms of a batch for one prior and body model.

  With `config.loss.vertex_stride` > 1 and no render loss, the body is posed
  through `synth.sample.reduced_body`: every stride-th vertex (the vertex
  loss's subset), with exact joints and keypoints.
  """

  def __init__(self, config: config_lib.TrainConfig,
               assets: assets_lib.BodyAssets):
    self.config = config
    self.assets = assets
    kset = keypoints_lib.get(config.data.keypoint_set)
    regressor = keypoints_lib.regressor(assets, kset)
    stride = config.loss.vertex_stride
    self.loss_body = assets
    self.num_loss_vertices = None   # None: the vertex loss uses every row
    if stride > 1 and not config.loss.uses_render:
      subset = np.arange(0, assets.num_vertices, stride)
      reduced = sample_lib.reduced_body(assets, subset, regressor)
      self.loss_body = reduced.assets
      self.num_loss_vertices = len(subset)  # loss_body's first rows
      regressor = reduced.keypoint_regressor
    self.regressor = tf.constant(regressor.astype(np.float32))
    self.faces = tf.constant(assets.faces)
    size = config.shape_model.silhouette_size
    self.silhouette_settings = soft_silhouette.SoftSilhouetteSettings(
        image_size=(size, size), sigma=config.loss.render_sigma,
        z_near=None)

  def _loss_vertices(self, vertices):
    if self.num_loss_vertices is None:
      return vertices
    return vertices[:, :self.num_loss_vertices]

  def __call__(self, model, batch, weights, training=True):
    """Returns (total loss, {term: value}, predictions) for `batch`.

    `weights` maps each term to a float or scalar tensor; terms whose weight
    is a Python 0, or that are absent, are not computed.
    """
    active = {t for t, w in weights.items()
              if not isinstance(w, (int, float)) or w > 0}
    zero = tf.constant(0.0)
    terms = {t: zero for t in TERMS}
    num_betas = self.config.shape_model.num_betas
    gt_betas = batch["betas"][:, :num_betas]
    needs_body = bool(active & {"vertex", "joint", "reprojection", "render"})
    if self.config.prior == "pose":
      pred = model(batch["inputs"], batch["confidence"], training=training)
      if self.config.loss.parameter == "rotmat":
        terms["parameter"] = losses.rotation_matrix_loss(pred.rotmats,
                                                         batch["rotmats"])
      else:
        terms["parameter"] = losses.axis_angle_loss(pred.theta,
                                                    batch["theta"])
      terms["camera"] = losses.camera_loss(pred.camera, batch["camera"])
      pred_rotmats, pred_betas = pred.rotmats, gt_betas
    else:
      pred = model(batch["silhouette"], training=training)
      terms["parameter"] = losses.betas_loss(pred, gt_betas)
      pred_rotmats, pred_betas = batch["rotmats"], pred
    if needs_body:
      gt_body = lbs.forward(self.loss_body, gt_betas, batch["rotmats"])
      body = lbs.forward(self.loss_body, pred_betas, pred_rotmats)
      terms["vertex"] = losses.vertex_loss(
          self._loss_vertices(body.vertices),
          self._loss_vertices(gt_body.vertices))
      if self.config.prior == "pose":
        terms["joint"] = losses.joint_loss(body.joints, gt_body.joints)
        kp3d = tf.einsum("kv,bvc->bkc", self.regressor, body.vertices)
        projected = pose_prior.project_weak_perspective(kp3d, pred.camera)
        terms["reprojection"] = losses.reprojection_loss(
            projected, batch["keypoints"], batch["keypoint_weight"])
        if "render" in active:
          rendered = self.render(body.vertices, pred.camera)
          size = self.config.shape_model.silhouette_size
          terms["render"] = tf.reduce_mean(render_losses.silhouette_l2(
              rendered, batch["silhouette"])) / float(size * size)
    total = tf.add_n([tf.cast(weights[t], tf.float32) * terms[t]
                      for t in TERMS if t in active] + [zero])
    return total, terms, pred

  def render(self, vertices, camera):
    """Soft silhouettes `[B, R, R]` of model vertices under the weak
    perspective camera `[B, 3]`."""
    size = self.config.shape_model.silhouette_size
    cam = camera_lib.WeakPerspectiveCamera(
        scale=camera[:, 0], translation=camera[:, 1:], crop_size=size)
    screen = cam.transform_points_screen(vertices)
    return soft_silhouette.soft_silhouette(screen, self.faces,
                                           self.silhouette_settings)


def overlay_images(assets, vertices: np.ndarray, camera: np.ndarray,
                   silhouettes: np.ndarray) -> np.ndarray:
  """`[B, R, R, 3]` uint8: predicted mesh (red) over the ground truth
  silhouette (green), hard-rasterized with the weak-perspective camera."""
  size = silhouettes.shape[-1]
  half = 0.5 * size
  xy = camera[:, None, :1] * (vertices[..., :2] + camera[:, None, 1:])
  screen = np.concatenate([xy * half + (half - 0.5),
                           vertices[..., 2:] + 100.0], axis=-1)
  mask = raster.rasterize(screen, assets.faces, size, size).mask
  image = np.zeros(silhouettes.shape + (3,), np.uint8)
  image[..., 0] = 255 * mask
  image[..., 1] = 255 * (silhouettes > 0)
  return image


def weights_path(config: config_lib.TrainConfig) -> str:
  """Where `train` writes the final weights of `config`'s run."""
  return os.path.join(config.model_dir, f"{config.prior}_prior.weights.h5")


# Fields a resumed run may change: they touch neither the maths nor the order.
RESUMABLE_CHANGES = ("strategy", "log_every", "image_every",
                     "checkpoint_every", "max_to_keep", "jit_compile")


def train(config: config_lib.TrainConfig,
          arrays: Optional[Dict[str, np.ndarray]] = None,
          stop_after: Optional[int] = None) -> TrainResult:
  """Trains one prior as `config` says, resuming from `model_dir` if there
  are checkpoints.

  A resumed run takes the same steps as an uninterrupted one: the batches
  are a function of the global step (`runtime.input_order`), dropout's seed
  state is in the checkpoint. Under `strategy="multi_worker"` every process
  of `TF_CONFIG`'s cluster calls `train` with the same config; the chief
  writes `model_dir`, the others write nothing there.

  Args:
    config: the run.
    arrays: training arrays (skips `config.data`'s source; for tests and
      scripts that share one generated set between runs).
    stop_after: stop after this many steps of this invocation (simulates a
      kill in tests), without the final export.

  Raises:
    ValueError: `model_dir` holds a run with another config (nothing is
      written), or only unreadable checkpoints.
  """
  # MultiWorkerMirroredStrategy must exist before any other TensorFlow op.
  strategy = strategy_lib.make(config.strategy)
  role = strategy_lib.role(strategy)
  checkpoints.prepare_model_dir(config.model_dir, config_lib.to_dict(config),
                                role, may_differ=RESUMABLE_CHANGES)
  tf.random.set_seed(config.seed)
  keras.utils.set_random_seed(config.seed)
  assets = load_body(config.body_model)
  if arrays is None:
    arrays = data_lib.load_or_generate(config.data, assets)

  with strategy.scope():
    model = build_model(config)
    strategy_lib.synchronize_batch_norm(model, strategy)
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, config.num_steps, alpha=0.01)
    optimizer = keras.optimizers.Adam(schedule)
    # Slots exist before a restore, so Adam's moments are restored too
    # (Keras 3 optimizers would otherwise create them lazily, unmatched).
    optimizer.build(model.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
  # Checkpoints written before the dropout seeds were saved still resume.
  keeper = checkpoints.CheckpointKeeper(
      dict(model=model, optimizer=optimizer, step=step,
           seeds=checkpoints.seed_states(model)),
      config.model_dir, role, config.max_to_keep, optional=("seeds",))
  if keeper.restore() is None and config.init_weights:
    initialise(model, config)
  start_step = int(step.numpy())

  pelvis = roll_lib.rest_pelvis(assets) if config.data.roll > 0 else None

  def dataset_fn(input_context):
    return data_lib.make_dataset(
        arrays, config.batch_size, config.data.noise,
        config.data.clean_fraction, seed=config.seed,
        keypoint_set=config.data.keypoint_set, mirror=config.data.mirror,
        start_step=start_step, input_context=input_context,
        roll=config.data.roll, pelvis=pelvis)

  iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))
  computer = LossComputer(config, assets)
  replicas = strategy.num_replicas_in_sync

  jit = config.jit_compile and not config.loss.uses_render

  @tf.function(jit_compile=jit or None)
  def replica_step(batch, weights):
    with tf.GradientTape() as tape:
      total, terms, _ = computer(model, batch, weights, training=True)
      scaled = total / replicas
    grads = tape.gradient(scaled, model.trainable_variables)
    if replicas > 1:
      # Clip the global batch's gradient, as one device does (clipping each
      # replica's part clips other vectors); the optimizer sums the
      # replicas' gradients again, so each hands it 1/R of the clipped one.
      grads = tf.distribute.get_replica_context().all_reduce(
          tf.distribute.ReduceOp.SUM, grads)
    grads, _ = tf.clip_by_global_norm(grads, 10.0)
    if replicas > 1:
      grads = [g / replicas for g in grads]
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return total, terms

  @tf.function
  def run_steps(weights, num):
    """`num` optimiser steps in one call (the Python loop costs more than a
    small model's step); returns the last step's losses."""
    total, terms = tf.constant(0.0), {t: tf.constant(0.0) for t in TERMS}
    for _ in tf.range(num):
      total, terms = strategy.run(replica_step, args=(next(iterator),
                                                      weights))
      step.assign_add(1)
    reduce = lambda v: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, None)
    return reduce(total), {k: reduce(v) for k, v in terms.items()}

  if role.is_chief:
    writer = tf.summary.create_file_writer(
        os.path.join(config.model_dir, "train"))
    image_batch = _image_batch(config, arrays)
  else:
    writer = tf.summary.create_noop_writer()
  last = {}
  t0 = time.time()
  tick, tick_step = t0, start_step
  current = start_step
  progress = progress_lib.Progress(config.num_steps, start=start_step)
  end = config.num_steps if stop_after is None else min(
      config.num_steps, start_step + stop_after)
  while current < end:
    weights = {k: tf.constant(v, tf.float32)
               for k, v in loss_weights(config, current).items() if v > 0}
    # Only the set of active terms changes the graph (one trace per phase);
    # a call ends at the next log, checkpoint, image or phase change.
    num = _steps_to_next_event(config, current, end)
    total, terms = run_steps(weights, tf.constant(num, tf.int32))
    current += num
    progress.update(current)
    if current % config.log_every == 0 or current == config.num_steps:
      last = {k: float(v) for k, v in terms.items()}
      last["total"] = float(total)
      if not math.isfinite(last["total"]):
        raise FloatingPointError(
            f"the loss is {last['total']} at step {current} ({last}); "
            f"nothing was exported. Lower --learning_rate (now "
            f"{config.learning_rate}) or check the training data.")
      now = time.time()
      rate = (current - tick_step) / max(now - tick, 1e-9)
      tick, tick_step = now, current
      logging.info("step %d/%d  loss %.4f  %s  (%s)", current,
                   config.num_steps, last["total"],
                   " ".join(f"{k}={v:.4g}" for k, v in last.items()
                            if k != "total" and v), progress.summary())
      with writer.as_default():
        for k, v in last.items():
          summaries.scalar(f"loss/{k}", v, current)
        summaries.scalar("learning_rate", float(schedule(current)), current)
        summaries.scalar("steps_per_second", rate, current)
    if role.is_chief and config.image_every and (
        current % config.image_every == 0):
      _write_images(writer, current, config, computer, model, image_batch)
    if current % config.checkpoint_every == 0:
      keeper.save(current)
  seconds = time.time() - t0
  final_weights = weights_path(config)
  if current >= config.num_steps:
    # Decided from this run's own steps, not by reading the directory: every
    # worker must take the same decision (a save may run collectives).
    if current % config.checkpoint_every:
      keeper.save(current)
    checkpoints.save_file(model.save_weights, final_weights, role)
  writer.flush()
  return TrainResult(final_step=current, start_step=start_step,
                     last_losses=last, weights_path=final_weights,
                     seconds=seconds)


def _steps_to_next_event(config: config_lib.TrainConfig, current: int,
                         end: int) -> int:
  """Steps from `current` to the next step that needs the Python loop: a
  multiple of log_every / checkpoint_every / image_every, a change of loss
  weights, or `end`."""
  events = [end]
  for every in (config.log_every, config.checkpoint_every,
                config.image_every):
    if every:
      events.append((current // every + 1) * every)
  for start in (config.loss.vertex_start, config.loss.render_start):
    boundary = math.ceil(start * config.num_steps)
    if boundary > current:
      events.append(boundary)
  return min(events) - current


def _image_batch(config: config_lib.TrainConfig, arrays) -> Dict:
  """The first 4 training examples, uncorrupted: the overlays show the same
  people at every step (and drawing them takes nothing from the iterator)."""
  dataset = data_lib.make_dataset(
      {k: v[:4] for k, v in arrays.items()}, 4, config.data.noise, 1.0,
      seed=config.seed, training=False, keypoint_set=config.data.keypoint_set)
  return next(iter(dataset))


def _write_images(writer, current, config, computer, model, batch):
  """Overlays of `batch` (`_image_batch`) under the model of `current`."""
  small = batch
  num_betas = config.shape_model.num_betas
  if config.prior == "pose":
    pred = model(small["inputs"], small["confidence"], training=False)
    body = lbs.forward(computer.assets, small["betas"][:, :num_betas],
                       pred.rotmats)
    camera = pred.camera.numpy()
  else:
    betas = model(small["silhouette"], training=False)
    body = lbs.forward(computer.assets, betas, small["rotmats"])
    camera = small["camera"].numpy()
  images = overlay_images(computer.assets, body.vertices.numpy(), camera,
                          small["silhouette"].numpy())
  with writer.as_default():
    summaries.image("overlay/pred_red_gt_green", images, current)
