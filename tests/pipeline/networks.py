"""Untrained networks for pipeline tests (no trained Human2D weights needed)."""

import dataclasses
import json
import os

from human2d import config as h2d_config
from human2d import hourglass
from human2d import inference as h2d_inference
from pipeline import model as model_lib
from priors import config as priors_config
from priors import data as priors_data
from priors import inference as priors_inference
from priors import pose_prior
from priors import shape_prior


def tiny_human2d(keypoint_set: str = "COCO_21_LSP") -> h2d_inference.Human2D:
  """Human2D's `tiny` preset (64² crops), randomly initialised."""
  cfg = h2d_config.preset("tiny", keypoint_set=keypoint_set)
  return h2d_inference.Human2D(hourglass.build(cfg), cfg)


def tiny_model() -> model_lib.BodyFromImage:
  """A tiny untrained Human2D with the shipped priors, no flip test."""
  return model_lib.BodyFromImage(
      tiny_human2d(), priors_inference.Priors.from_pretrained(flip_test=False),
      flip_test=False)


def write_tiny_weights(directory: str, body_model: str = "toy"):
  """Untrained tiny Human2D (`tiny` preset), PosePrior (COCO_21) and
  ShapePrior weights files with their configs in `directory`; returns the
  three weights paths (human2d, pose, shape)."""
  net = tiny_human2d()
  h2d = os.path.join(directory, "human2d.weights.h5")
  net.model.save_weights(h2d)
  with open(os.path.join(directory, "human2d.config.json"), "w") as f:
    json.dump(dataclasses.asdict(net.config), f)
  pose_cfg = pose_prior.PosePriorConfig(num_keypoints=21, hidden_units=32,
                                        num_units=1)
  shape_cfg = shape_prior.ShapePriorConfig(conv_channels=(4, 4, 4, 4, 4),
                                           hidden_units=32)
  paths = [h2d]
  for prior, model in (("pose", pose_prior.PosePrior(pose_cfg)),
                       ("shape", shape_prior.ShapePrior(shape_cfg))):
    path = os.path.join(directory, f"{prior}_prior.weights.h5")
    model.save_weights(path)
    priors_config.write_json(priors_config.TrainConfig(
        prior=prior, model_dir=directory, body_model=body_model,
        data=priors_data.DataConfig(keypoint_set="COCO_21"),
        pose_model=pose_cfg, shape_model=shape_cfg),
        path[:-len(".weights.h5")] + ".config.json")
    paths.append(path)
  return tuple(paths)
