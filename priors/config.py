"""Training configuration: frozen dataclasses, validated, JSON round trip.

Binaries build a `TrainConfig` from their flags and hand it to
`priors.training.train`, which writes it as `config.json` beside the
checkpoints so every run can be reproduced (`load_json`).
"""

import dataclasses
import json
import os
from typing import Any, Dict

from body import finite
from body import keypoints
from priors import data as data_lib
from priors import pose_prior
from priors import shape_prior
from runtime import strategy as strategy_lib
from synth import corruption

PRIORS = ("pose", "shape")
PARAMETER_LOSSES = ("rotmat", "axis_angle")
STRATEGIES = strategy_lib.STRATEGIES


@dataclasses.dataclass(frozen=True)
class LossConfig:
  """Loss weights and the schedule (fractions of `num_steps`).

  The paper's schedule is the default: the parameter loss alone for the
  first `vertex_start` of training, then the per-vertex loss (and the
  joint / reprojection terms) added. `render_start` < 1 adds the
  differentiable-silhouette loss from that point (fine-tuning).

  Attributes:
    parameter: "rotmat" (‖R̂ − R‖²_F) or "axis_angle" (‖θ̂ − θ‖²); pose only.
    parameter_weight: weight of the parameter loss (θ for pose, β for shape).
    camera_weight: weight of the camera parameter loss (pose only).
    vertex_weight: weight of the per-vertex loss (m²).
    joint_weight: weight of the root-aligned 3D joint loss (m²; pose only).
    reprojection_weight: weight of the 2D reprojection loss (pose only).
    render_weight: weight of the soft-silhouette loss (pose only).
    vertex_start: fraction of steps after which vertex/joint/reprojection
      losses are on (0 = from the start, 1 = never).
    render_start: fraction of steps after which the render loss is on.
    render_sigma: blur σ (pixels²) of the soft silhouette in the render loss.
    vertex_stride: the vertex loss uses every `vertex_stride`-th vertex of
      the model (1 = all). The mean over an even subset estimates the mean
      over all vertices, and the posed body is then computed for that subset
      (plus the keypoint regressor's vertices) only, which makes the body
      phase several times cheaper; joints stay exact. The render loss, when
      on, always uses the whole mesh.
  """
  parameter: str = "rotmat"
  parameter_weight: float = 1.0
  camera_weight: float = 10.0
  vertex_weight: float = 100.0
  joint_weight: float = 100.0
  reprojection_weight: float = 100.0
  render_weight: float = 10.0
  vertex_start: float = 0.5
  render_start: float = 1.0
  render_sigma: float = 0.5
  vertex_stride: int = 1

  @property
  def uses_render(self) -> bool:
    """Whether the render loss is on at some step (`render_start` < 1)."""
    return self.render_start < 1.0

  def __post_init__(self):
    finite.check_fields(self)
    if self.vertex_stride < 1:
      raise ValueError(f"vertex_stride must be ≥ 1, got "
                       f"{self.vertex_stride}.")
    if self.render_sigma <= 0:
      raise ValueError(f"render_sigma must be positive, got "
                       f"{self.render_sigma}.")
    if self.parameter not in PARAMETER_LOSSES:
      raise ValueError(f"parameter must be one of {PARAMETER_LOSSES}, got "
                       f"{self.parameter!r}.")
    for name in ("vertex_start", "render_start"):
      if not 0.0 <= getattr(self, name) <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got "
                         f"{getattr(self, name)}.")
    for f in dataclasses.fields(self):
      if f.name.endswith("_weight") and getattr(self, f.name) < 0:
        raise ValueError(f"{f.name} must be ≥ 0.")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """One training run.

  Attributes:
    prior: "pose" or "shape".
    model_dir: checkpoints, `config.json`, TensorBoard logs and the final
      `<prior>_prior.weights.h5` go here.
    body_model: "" for the bundled model, "toy" for the test model, or the
      path of an SMPL-format file.
    data: where examples come from.
    pose_model: PosePrior architecture (for the pose prior, its
      num_keypoints must be the size of `data.keypoint_set`).
    shape_model: ShapePrior architecture.
    loss: loss weights and schedule.
    batch_size: global batch size.
    num_steps: total optimiser steps.
    learning_rate: Adam's initial learning rate (cosine decay to 1% of it).
    init_weights: weights file to start from (e.g. for fine-tuning), or "".
      A PosePrior's with fewer units than `pose_model` (per the config
      beside them) is deepened (`pose_prior.deepen`).
    checkpoint_every: save a checkpoint every N steps (a kill loses < N).
    log_every: log and write scalars every N steps.
    image_every: write overlay images every N steps (0 = never).
    max_to_keep: checkpoints kept.
    strategy: "default" (one device), "one_device" (/cpu:0 or /gpu:0),
      "mirrored" (all local devices) or "multi_worker" (the processes of
      `TF_CONFIG`'s cluster; `runtime.strategy`).
    seed: seed of shuffling, noise and initialisation.
    jit_compile: compile the training step with XLA (the PosePrior's dense
      layers gain; on CPU the ShapePrior's convolutions lose, 197 against
      73 ms per step at batch 128); ignored in runs with
      the render loss (the soft rasterizer's lists of (pixel, face) pairs
      have data-dependent sizes, which XLA cannot compile).
  """
  prior: str
  model_dir: str
  body_model: str = ""
  data: data_lib.DataConfig = data_lib.DataConfig()
  pose_model: pose_prior.PosePriorConfig = pose_prior.PosePriorConfig()
  shape_model: shape_prior.ShapePriorConfig = shape_prior.ShapePriorConfig()
  loss: LossConfig = LossConfig()
  batch_size: int = 64
  num_steps: int = 20000
  learning_rate: float = 1e-3
  init_weights: str = ""
  checkpoint_every: int = 500
  log_every: int = 100
  image_every: int = 2000
  max_to_keep: int = 3
  strategy: str = "default"
  seed: int = 0
  jit_compile: bool = False

  def __post_init__(self):
    finite.check_fields(self)
    if self.prior not in PRIORS:
      raise ValueError(f"prior must be one of {PRIORS}, got {self.prior!r}.")
    if not self.model_dir:
      raise ValueError("model_dir must be set.")
    num_keypoints = keypoints.get(self.data.keypoint_set).size
    if self.prior == "pose" and self.pose_model.num_keypoints != num_keypoints:
      raise ValueError(
          f"pose_model.num_keypoints = {self.pose_model.num_keypoints} but "
          f"data.keypoint_set {self.data.keypoint_set} has {num_keypoints}.")
    if self.strategy not in STRATEGIES:
      raise ValueError(f"strategy must be one of {STRATEGIES}, got "
                       f"{self.strategy!r}.")
    for name in ("batch_size", "num_steps", "checkpoint_every", "log_every",
                 "max_to_keep"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive, got "
                         f"{getattr(self, name)}.")
    if self.learning_rate <= 0:
      raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}.")
    if self.image_every < 0:
      raise ValueError(f"image_every must be ≥ 0, got {self.image_every}.")


_NESTED = {
    "data": data_lib.DataConfig,
    "pose_model": pose_prior.PosePriorConfig,
    "shape_model": shape_prior.ShapePriorConfig,
    "loss": LossConfig,
}


def to_dict(config: TrainConfig) -> Dict[str, Any]:
  return dataclasses.asdict(config)


def from_dict(values: Dict[str, Any]) -> TrainConfig:
  """Inverse of `to_dict` (unknown keys raise TypeError)."""
  values = dict(values)
  for key, cls in _NESTED.items():
    if key in values and isinstance(values[key], dict):
      nested = dict(values[key])
      if key == "data" and isinstance(nested.get("noise"), dict):
        nested["noise"] = corruption.CorruptionConfig(**nested["noise"])
      values[key] = cls(**nested)
  return TrainConfig(**values)


def write_json(config: TrainConfig, path: str) -> None:
  """Writes `config` as JSON at `path` (write, then rename)."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    json.dump(to_dict(config), f, indent=2, sort_keys=True)
  os.replace(tmp, path)


def config_path(weights_path: str) -> str:
  """`x/pose_prior.weights.h5` → `x/pose_prior.config.json`; a run's
  `model_dir/pose_prior.weights.h5` → `model_dir/config.json` if that exists."""
  beside = weights_path[:-len(".weights.h5")] + ".config.json"
  if os.path.isfile(beside):
    return beside
  return os.path.join(os.path.dirname(weights_path), "config.json")


def load_json(path: str) -> TrainConfig:
  with open(path) as f:
    return from_dict(json.load(f))
