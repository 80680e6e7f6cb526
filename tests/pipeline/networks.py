"""Untrained networks for pipeline tests (no trained Human2D weights needed)."""

from human2d import config as h2d_config
from human2d import hourglass
from human2d import inference as h2d_inference
from pipeline import model as model_lib
from priors import inference as priors_inference


def tiny_human2d(keypoint_set: str = "COCO_21_LSP") -> h2d_inference.Human2D:
  """Human2D's `tiny` preset (64² crops), randomly initialised."""
  cfg = h2d_config.preset("tiny", keypoint_set=keypoint_set)
  return h2d_inference.Human2D(hourglass.build(cfg), cfg)


def tiny_model() -> model_lib.BodyFromImage:
  """A tiny untrained Human2D with the shipped priors, no flip test."""
  return model_lib.BodyFromImage(
      tiny_human2d(), priors_inference.Priors.from_pretrained(flip_test=False),
      flip_test=False)
