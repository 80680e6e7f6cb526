"""Human2D configuration: frozen dataclasses, validated, JSON round trip.

`ModelConfig` names the network (`PRESETS`: "paper", "medium", "small",
"tiny");
`TrainConfig` a training run. Both are written as `config.json` beside the
checkpoints so that every run can be rebuilt (`load_json`).
"""

import dataclasses
import json
import os
from typing import Any, Dict, Sequence, Tuple

from body import keypoints as keypoints_lib

OPTIMIZERS = ("rmsprop", "adam")
# Keras dtype policies a run may train under (weights stay float32).
PRECISIONS = ("float32", "mixed_bfloat16")
STRATEGIES = ("default", "one_device", "mirrored", "multi_worker")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
  """A stacked hourglass (Newell et al. 2016) with a silhouette head.

  Attributes:
    num_stacks: hourglasses in sequence, each supervised (≥ 1).
    channels: features inside the hourglasses (residual modules' width).
    depth: down-samplings per hourglass (4: 64² → 4²).
    stem_channels: width of the 7×7/2 stem convolution.
    keypoint_set: name in `body.keypoints` (one heatmap per keypoint).
    input_size: crop side in pixels (heatmaps are input_size / 4).
  """
  num_stacks: int = 2
  channels: int = 256
  depth: int = 4
  stem_channels: int = 64
  keypoint_set: str = "COCO_21_LSP"
  input_size: int = 256

  def __post_init__(self):
    for name in ("num_stacks", "channels", "depth", "stem_channels"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)}.")
    if self.channels % 2:
      raise ValueError(f"channels must be even, got {self.channels}.")
    keypoints_lib.get(self.keypoint_set)  # Raises on an unknown name.
    if self.input_size % (4 * 2 ** self.depth):
      raise ValueError(
          f"input_size {self.input_size} must be a multiple of "
          f"{4 * 2 ** self.depth} (4 × 2^depth).")

  @property
  def heatmap_size(self) -> int:
    return self.input_size // 4

  @property
  def num_keypoints(self) -> int:
    return keypoints_lib.get(self.keypoint_set).size


PRESETS: Dict[str, ModelConfig] = {
    # The paper's choice: 2 stacks, 256 channels, 256² in, 64² out.
    "paper": ModelConfig(num_stacks=2, channels=256, stem_channels=64),
    # Trains on 2 CPU cores in hours: the same architecture, 4× narrower.
    "small": ModelConfig(num_stacks=2, channels=64, stem_channels=32),
    # Half the paper's width: 2.2x the parameters of `small` at 1.3x its
    # training time per image; started from `small` by `human2d.widen`.
    "medium": ModelConfig(num_stacks=2, channels=96, stem_channels=48),
    # For tests.
    "tiny": ModelConfig(num_stacks=2, channels=8, depth=2, stem_channels=4,
                        input_size=64),
}


def preset(name: str, **overrides) -> ModelConfig:
  """A named preset, with fields replaced by `overrides`."""
  if name not in PRESETS:
    raise ValueError(f"unknown preset {name!r}; known: {sorted(PRESETS)}.")
  return dataclasses.replace(PRESETS[name], **overrides)


@dataclasses.dataclass(frozen=True)
class SourceConfig:
  """One training data source.

  Attributes:
    kind: "records" (TFRecords written by `human2d.convert`) or "rendered"
      (`synth.images` on the fly).
    path: a TFRecord file, a glob, or a folder of them ("records"); for
      "rendered", folders of background images separated by ',' (may be "").
    weight: relative share of each batch.
  """
  kind: str
  path: str = ""
  weight: float = 1.0

  def __post_init__(self):
    if self.kind not in ("records", "rendered"):
      raise ValueError(f"source kind must be 'records' or 'rendered', got "
                       f"{self.kind!r}.")
    if not self.weight > 0:
      raise ValueError(f"source weight must be positive, got {self.weight}.")
    if self.kind == "records" and not self.path:
      raise ValueError("a 'records' source needs a path.")


def data_sources(records: Sequence[str] = (), rendered_weight: float = 0.0,
                 backgrounds: Sequence[str] = (),
                 record_weights: Sequence[float] = ()
                 ) -> Tuple[SourceConfig, ...]:
  """A run's sources from the trainers' flags' values: one "records" source
  per path (weights `record_weights`, default 1 each), then a "rendered"
  one over the `backgrounds` folders when `rendered_weight` > 0. A
  ValueError when there is no source or the weights and records differ in
  number."""
  if record_weights and len(record_weights) != len(records):
    raise ValueError(f"--record_weights has {len(record_weights)} "
                     f"values for {len(records)} --records.")
  weights = [float(w) for w in record_weights] or [1.0] * len(records)
  sources = [SourceConfig("records", p, w) for p, w in zip(records, weights)]
  if rendered_weight > 0:
    sources.append(SourceConfig("rendered", ",".join(backgrounds),
                                rendered_weight))
  if not sources:
    raise ValueError("give --records and/or --rendered_weight > 0.")
  return tuple(sources)


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
  """The paper's augmentation (rotation, scale, flip) plus colour and blur."""
  rotation_deg: float = 30.0
  scale_min: float = 0.75
  scale_max: float = 1.25
  flip: bool = True
  translate: float = 0.05
  colour: float = 0.2
  blur_probability: float = 0.2

  def __post_init__(self):
    if not 0 < self.scale_min <= self.scale_max:
      raise ValueError(f"need 0 < scale_min ≤ scale_max, got "
                       f"{self.scale_min}, {self.scale_max}.")
    for name in ("rotation_deg", "translate", "colour", "blur_probability"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}.")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """A Human2D training run.

  Attributes:
    model_dir: checkpoints, config.json, TensorBoard and final weights.
    model: the network.
    sources: where batches come from, with weights.
    augment: augmentation of every source.
    batch_size, num_steps: the schedule.
    optimizer: "rmsprop" (the paper's, 3e-4) or "adam".
    learning_rate: peak rate; cosine decay to `final_lr_fraction` of it.
    warmup_steps: linear warm-up.
    heatmap_weight: λ of `λ·MSE(heatmaps) + CE(silhouette)` (paper: 100).
    foreground_weight: pixel weight 1 + this × target in the MSE (0: the
      paper's plain MSE; see `human2d.losses.heatmap_mse`).
    sigma: Gaussian σ of the target heatmaps, in heatmap pixels.
    seed: data order and augmentation.
    checkpoint_every, log_every, image_every: steps.
    init_weights: optional weights file to start from (fine-tuning).
    strategy: a `runtime.strategy` name.
    precision: "float32" or "mixed_bfloat16" (bfloat16 activations and
      float32 weights: 1.2-1.5× the float32 training rate on CPUs with
      AVX512_BF16, measured in the top README; the exported weights are
      float32 either way).
  """
  model_dir: str
  model: ModelConfig = ModelConfig()
  sources: Tuple[SourceConfig, ...] = ()
  augment: AugmentConfig = AugmentConfig()
  batch_size: int = 16
  num_steps: int = 10000
  optimizer: str = "rmsprop"
  learning_rate: float = 3e-4
  final_lr_fraction: float = 0.05
  warmup_steps: int = 200
  heatmap_weight: float = 100.0
  foreground_weight: float = 0.0
  sigma: float = 1.5
  seed: int = 0
  checkpoint_every: int = 500
  log_every: int = 50
  image_every: int = 1000
  init_weights: str = ""
  strategy: str = "default"
  precision: str = "float32"

  def __post_init__(self):
    if self.precision not in PRECISIONS:
      raise ValueError(f"precision must be one of {PRECISIONS}, got "
                       f"{self.precision!r}.")
    if self.strategy not in STRATEGIES:
      raise ValueError(f"strategy must be one of {STRATEGIES}, got "
                       f"{self.strategy!r}.")
    if not self.model_dir:
      raise ValueError("model_dir must not be empty.")
    if not self.sources:
      raise ValueError("give at least one data source.")
    if self.optimizer not in OPTIMIZERS:
      raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got "
                       f"{self.optimizer!r}.")
    for name in ("batch_size", "num_steps", "checkpoint_every", "log_every",
                 "image_every"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)}.")
    for name in ("learning_rate", "sigma", "heatmap_weight"):
      value = getattr(self, name)
      if not (value > 0 and value < float("inf")):  # Also refuses NaN.
        raise ValueError(f"{name} must be a positive finite number, got "
                         f"{value}.")
    if not 0 <= self.final_lr_fraction <= 1:
      raise ValueError(f"final_lr_fraction must be in [0, 1], got "
                       f"{self.final_lr_fraction}.")
    if not 0 <= self.foreground_weight < float("inf"):
      raise ValueError(f"foreground_weight must be ≥ 0 and finite, got "
                       f"{self.foreground_weight}.")
    if self.warmup_steps < 0:
      raise ValueError(f"warmup_steps must be ≥ 0, got {self.warmup_steps}.")

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)


def from_dict(d: Dict[str, Any]) -> TrainConfig:
  d = dict(d)
  d["model"] = ModelConfig(**d["model"])
  d["augment"] = AugmentConfig(**d["augment"])
  d["sources"] = tuple(SourceConfig(**s) for s in d["sources"])
  return TrainConfig(**d)


def load_json(path: str) -> TrainConfig:
  """The run's config from its `config.json` (a file or its folder)."""
  if os.path.isdir(path):
    path = os.path.join(path, "config.json")
  try:
    with open(path) as f:
      return from_dict(json.load(f))
  except (OSError, ValueError, KeyError, TypeError) as e:
    raise ValueError(f"cannot read a Human2D config from {path}: {e}") from e


def model_from_json(path: str) -> ModelConfig:
  """The `ModelConfig` of a `*.config.json` (a bare ModelConfig or a
  TrainConfig)."""
  try:
    with open(path) as f:
      d = json.load(f)
    return ModelConfig(**(d["model"] if "model" in d else d))
  except (OSError, ValueError, KeyError, TypeError) as e:
    raise ValueError(f"cannot read a Human2D model config from {path}: "
                     f"{e}") from e
