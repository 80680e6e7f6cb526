"""End-to-end fine-tuning (Pavlakos et al. 2018, Sec. 3.4); flags live in
`pipeline/finetune.py`.

    result = finetune(config)       # config: FinetuneConfig

The chain `pipeline.end_to_end.EndToEnd` (Human2D → priors → body → render)
is trained with the render loss on data that has 2D labels only: rendered
people (`human2d.data.rendered_dataset`, whose 3D truth is dropped) and/or
photo TFRecords (`human2d.record`; the silhouette term is masked where a
record has no mask). The paper's schedule is the default: 2,000 iterations,
batch 4, RMSprop at 8e-5.

Alternation. Iterations take turns in blocks of `alternate_every`: a block
updates Human2D's weights, the next the priors' (PosePrior and ShapePrior),
each with its own RMSprop (its own moments), so one block's step never
moves the other's weights. `update="priors"` freezes Human2D (every
iteration updates the priors: the render loss cannot trade Human2D's
heatmaps for a better mesh), `update="human2d"` freezes the priors.
A Human2D iteration minimises the render loss plus `human2d_loss_weight` ×
Human2D's own 2D loss (`human2d.losses`: λ·heatmap MSE + silhouette CE, on
the same labels), which keeps its outputs heatmaps; a priors iteration
minimises the render loss plus `prior_loss_weight` × the priors' own
training loss on synthetic bodies (`pipeline.synthetic_loss`; 0, the
paper's setting, leaves the render loss alone), which keeps the PosePrior's
depth right where 2D labels cannot. Each iteration is one gradient step;
`num_steps` counts both kinds.

`model_dir` follows `human2d.training`: `config.json` (a rerun with other
settings is refused), checkpoints every `checkpoint_every` steps (both
networks, both optimisers, the step), TensorBoard scalars in `train/`
(loss terms, images/s), resume from the newest checkpoint with the input
order a function of (seed, step), and the final weights
`human2d.weights.h5` + `human2d.config.json`, `pose_prior.weights.h5` +
`pose_prior.config.json`, `shape_prior.weights.h5` + `shape_prior.config.json`
(each loadable like the shipped ones: `pipeline.model.BodyFromImage.load`).
"""

import dataclasses
import json
import logging
import os
import shutil
import time
from typing import Dict, Optional, Tuple

import keras
import tensorflow as tf

from human2d import config as h2d_config
from human2d import data as h2d_data
from human2d import inference as h2d_inference
from human2d import losses as h2d_losses
from human2d import training as h2d_training
from pipeline import end_to_end
from pipeline import model as model_lib
from pipeline import synthetic_loss
from priors import pretrained
from priors import training as priors_training
from runtime import checkpoints
from runtime import loop
from synth import progress as progress_lib
from synth import summaries

POSE_NAME = "pose_prior"
SHAPE_NAME = "shape_prior"
UPDATES = ("both", "priors", "human2d")


@dataclasses.dataclass(frozen=True)
class FinetuneConfig:
  """An end-to-end fine-tuning run.

  Attributes:
    model_dir: checkpoints, config.json, TensorBoard and final weights.
    sources: 2D-labelled data (`human2d.config.SourceConfig`: "records" or
      "rendered").
    human2d_weights, human2d_config: the start (default: shipped).
    pose_weights, shape_weights: the priors' start (default: shipped); their
      `*.config.json` must lie beside them (`priors.pretrained`).
    augment: augmentation of every source (Human2D's).
    sigma: heatmap target σ (Human2D's own loss).
    batch_size, num_steps, learning_rate: the schedule (paper: 4, 2000,
      8e-5, constant rate, RMSprop).
    alternate_every: iterations per block of the alternation (module doc).
    update: which networks learn: "both" (the alternation), "priors"
      (Human2D frozen) or "human2d" (the priors frozen).
    keypoint_weight: μ of the render loss.
    keypoint_loss, keypoint_sigma: the render loss's keypoint term,
      "squared" (the paper's) or "gmof" (Geman–McClure with scale σ in crop
      pixels; `pipeline.end_to_end`).
    human2d_loss_weight: weight of Human2D's own loss in its iterations
      (0: the render loss only).
    prior_loss_weight: weight of the priors' own loss on synthetic bodies
      in their iterations (0: the render loss only, as in the paper).
    prior_examples, prior_batch_size: the synthetic bodies generated for
      it at the start of a run, and the batch of each priors iteration.
    heatmap_weight: λ inside Human2D's own loss.
    silhouette_blur, proxy_cell, render_jit_compile: the soft silhouette
      (`pipeline.fit.FitConfig`'s meanings).
    seed, checkpoint_every, log_every: as `human2d.config.TrainConfig`.
  """
  model_dir: str
  sources: Tuple[h2d_config.SourceConfig, ...] = ()
  human2d_weights: str = ""
  human2d_config: str = ""
  pose_weights: str = ""
  shape_weights: str = ""
  augment: h2d_config.AugmentConfig = h2d_config.AugmentConfig()
  sigma: float = 1.5
  batch_size: int = 4
  num_steps: int = 2000
  learning_rate: float = 8e-5
  alternate_every: int = 1
  update: str = "both"
  keypoint_weight: float = 10.0
  keypoint_loss: str = "squared"
  keypoint_sigma: float = 20.0
  human2d_loss_weight: float = 1.0
  prior_loss_weight: float = 0.0
  prior_examples: int = 4000
  prior_batch_size: int = 32
  heatmap_weight: float = 100.0
  silhouette_blur: float = 0.1
  proxy_cell: float = 0.03
  render_jit_compile: bool = True
  seed: int = 0
  checkpoint_every: int = 100
  log_every: int = 10

  def __post_init__(self):
    if not self.model_dir:
      raise ValueError("model_dir must not be empty.")
    for name in ("batch_size", "num_steps", "alternate_every",
                 "checkpoint_every", "log_every", "prior_examples",
                 "prior_batch_size"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)}.")
    if self.update not in UPDATES:
      raise ValueError(f"update must be one of {UPDATES}, got "
                       f"{self.update!r}.")
    if self.keypoint_loss not in end_to_end.KEYPOINT_LOSSES:
      raise ValueError(f"keypoint_loss must be one of "
                       f"{end_to_end.KEYPOINT_LOSSES}, got "
                       f"{self.keypoint_loss!r}.")
    for name in ("learning_rate", "sigma", "silhouette_blur",
                 "keypoint_sigma"):
      if not 0 < getattr(self, name) < float("inf"):
        raise ValueError(f"{name} must be positive and finite, got "
                         f"{getattr(self, name)}.")
    if self.prior_batch_size > self.prior_examples:
      raise ValueError(f"prior_batch_size ({self.prior_batch_size}) must "
                       f"not exceed prior_examples ({self.prior_examples}).")
    for name in ("keypoint_weight", "human2d_loss_weight", "heatmap_weight",
                 "prior_loss_weight", "proxy_cell"):
      if not 0 <= getattr(self, name) < float("inf"):
        raise ValueError(f"{name} must be ≥ 0 and finite, got "
                         f"{getattr(self, name)}.")
    for name in ("human2d_weights", "human2d_config", "pose_weights",
                 "shape_weights"):
      path = getattr(self, name)
      if path and not os.path.exists(path):
        raise ValueError(f"{name} {path!r} does not exist.")

  def human2d_train_config(self) -> h2d_config.TrainConfig:
    """The Human2D input pipeline's view of this run."""
    return h2d_config.TrainConfig(
        model_dir=self.model_dir, model=load_human2d(self).config,
        sources=self.sources, augment=self.augment,
        batch_size=self.batch_size, sigma=self.sigma, seed=self.seed)


@dataclasses.dataclass(frozen=True)
class FinetuneResult:
  final_step: int
  start_step: int
  last_losses: Dict[str, float]
  weights: Dict[str, str]
  seconds: float


# Settings a resumed run may change (they do not change what is learnt).
RESUMABLE_CHANGES = ("log_every", "checkpoint_every")


def load_human2d(config: FinetuneConfig) -> h2d_inference.Human2D:
  return h2d_inference.Human2D.load(config.human2d_weights or None,
                                    config.human2d_config or None)


def build_chain(config: FinetuneConfig) -> end_to_end.EndToEnd:
  """The chain at the configured starting weights."""
  human2d = load_human2d(config)
  pose_weights = config.pose_weights or model_lib.POSE_WEIGHTS
  body = pretrained.training_config(pose_weights).body_model
  return end_to_end.EndToEnd(
      human2d.model, human2d.config,
      pretrained.load_pose_prior(pose_weights),
      pretrained.load_shape_prior(config.shape_weights or None),
      priors_training.load_body(body),
      pretrained.keypoint_set(pose_weights),
      keypoint_weight=config.keypoint_weight,
      keypoint_loss=config.keypoint_loss,
      keypoint_sigma=config.keypoint_sigma,
      silhouette_blur=config.silhouette_blur, proxy_cell=config.proxy_cell,
      render_jit_compile=config.render_jit_compile)


def updates_human2d(step: int, alternate_every: int,
                    update: str = "both") -> bool:
  """Whether iteration `step` (0-based) updates Human2D (else the priors)."""
  if update != "both":
    return update == "human2d"
  return (step // alternate_every) % 2 == 0


def priors_turns_before(step: int, alternate_every: int,
                        update: str = "both") -> int:
  """How many of iterations 0 … step − 1 update the priors."""
  return sum(not updates_human2d(i, alternate_every, update)
             for i in range(step))


def finetune(config: FinetuneConfig,
             dataset: Optional[tf.data.Dataset] = None) -> FinetuneResult:
  """Fine-tunes (or resumes) the run of `config`; `dataset` (batches of
  `human2d.data` examples) replaces the configured sources (tests)."""
  if dataset is None and not config.sources:
    raise ValueError("give at least one data source (sources).")
  checkpoints.prepare_model_dir(config.model_dir, dataclasses.asdict(config),
                                may_differ=RESUMABLE_CHANGES)
  chain = build_chain(config)
  opt_h2d = keras.optimizers.RMSprop(config.learning_rate)
  opt_priors = keras.optimizers.RMSprop(config.learning_rate)
  # Slots exist before a restore, so the moments are restored too.
  opt_h2d.build(chain.human2d_variables)
  opt_priors.build(chain.prior_variables)
  step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
  keeper = checkpoints.CheckpointKeeper(
      dict(human2d=chain.human2d, pose=chain.pose_model,
           shape=chain.shape_model, human2d_optimizer=opt_h2d,
           priors_optimizer=opt_priors, step=step),
      config.model_dir, max_to_keep=3)
  keeper.restore()
  start = int(step.numpy())
  if dataset is None:
    dataset = h2d_data.training_dataset(config.human2d_train_config())
  # The order is a function of (seed, step): a resumed run sees the batches
  # an uninterrupted one would.
  it = iter(dataset.skip(start))
  writer = tf.summary.create_file_writer(os.path.join(config.model_dir,
                                                      "train"))
  anchor, anchor_it = None, None
  if config.prior_loss_weight > 0 and config.update != "human2d":
    anchor = synthetic_loss.SyntheticPriorLoss(
        config.pose_weights or model_lib.POSE_WEIGHTS,
        config.shape_weights or pretrained.SHAPE_WEIGHTS,
        config.prior_examples, config.prior_batch_size, config.seed + 1)
    # Batch j of the synthetic set goes with the j-th priors iteration.
    anchor_it = iter(anchor.dataset(priors_turns_before(
        start, config.alternate_every, config.update)))

  def losses_of(batch):
    out = chain(batch["image"])
    terms = chain.render_loss(out, batch)
    own = h2d_losses.total(out.heatmaps, out.silhouette_logits, batch,
                           config.heatmap_weight)
    terms["human2d"] = own["total"]
    return terms

  def make_step(variables, optimizer, own_weight):
    @tf.function
    def train_step(batch, synthetic=None):
      with tf.GradientTape() as tape:
        terms = losses_of(batch)
        total = terms["render"] + own_weight * terms["human2d"]
        if synthetic is not None:
          anchored, parts = anchor(chain.pose_model, chain.shape_model,
                                   synthetic)
          terms.update({"synthetic_" + k: v for k, v in parts.items()})
          total += config.prior_loss_weight * anchored
      grads = tape.gradient(total, variables)
      optimizer.apply_gradients(zip(grads, variables))
      step.assign_add(1)
      return terms
    return train_step

  h2d_step = make_step(chain.human2d_variables, opt_h2d,
                       config.human2d_loss_weight)
  priors_step = make_step(chain.prior_variables, opt_priors, 0.0)
  t0 = time.time()
  progress = progress_lib.Progress(config.num_steps, start=start)

  def one_step(index, batch) -> Tuple[Dict[str, tf.Tensor], bool]:
    human2d_turn = updates_human2d(index, config.alternate_every,
                                   config.update)
    if human2d_turn:
      return h2d_step(batch), True
    synthetic = next(anchor_it) if anchor_it is not None else None
    return priors_step(batch, synthetic), False

  def log(current, outputs) -> Dict[str, float]:
    terms, human2d_turn = outputs
    last = {k: float(v) for k, v in terms.items()}
    end_to_end.check_finite(last, current)
    images_per_s = (progress.rate or 0.0) * config.batch_size
    synthetic = "".join(f"  {k} {v:.3f}" for k, v in last.items()
                        if k.startswith("synthetic_"))
    logging.info("step %d/%d (%s)  render %.2f (keypoints %.2f, "
                 "silhouette %.2f)  human2d %.4f%s  %.1f img/s  %s", current,
                 config.num_steps, "human2d" if human2d_turn else "priors",
                 last["render"], last["keypoints"], last["silhouette"],
                 last["human2d"], synthetic, images_per_s, progress.summary())
    with writer.as_default():
      for k, v in last.items():
        summaries.scalar("loss/" + k, v, current)
      summaries.scalar("images_per_second", images_per_s, current)
    return last

  end = loop.run(one_step, it, start=start, num_steps=config.num_steps,
                 log_every=config.log_every,
                 checkpoint_every=config.checkpoint_every, save=keeper.save,
                 on_log=log, progress=progress)
  weights = export(chain, config)
  return FinetuneResult(final_step=end.final_step, start_step=start,
                        last_losses=end.last_log or {}, weights=weights,
                        seconds=time.time() - t0)


def _write_json(path: str, doc) -> None:
  with open(path + ".tmp", "w") as f:
    json.dump(doc, f, indent=2, sort_keys=True)
  os.replace(path + ".tmp", path)


def export(chain: end_to_end.EndToEnd, config: FinetuneConfig
           ) -> Dict[str, str]:
  """Writes the three weights files with their configs into `model_dir`
  (each written, then renamed); returns their paths by name."""
  d = config.model_dir
  out = {}
  h2d_path = os.path.join(d, h2d_training.WEIGHTS_NAME)
  checkpoints.save_file(chain.human2d.save_weights, h2d_path)
  _write_json(os.path.join(d, h2d_training.MODEL_CONFIG_NAME),
              dataclasses.asdict(chain.human2d_config))
  out["human2d"] = h2d_path
  for name, model, source in (
      (POSE_NAME, chain.pose_model,
       config.pose_weights or model_lib.POSE_WEIGHTS),
      (SHAPE_NAME, chain.shape_model,
       config.shape_weights or pretrained.SHAPE_WEIGHTS)):
    path = os.path.join(d, name + ".weights.h5")
    checkpoints.save_file(model.save_weights, path)
    beside = os.path.join(d, name + ".config.json")
    shutil.copyfile(pretrained.config_path(source), beside + ".tmp")
    os.replace(beside + ".tmp", beside)
    out[name] = path
  return out
