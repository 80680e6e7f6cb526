r"""Writes synthetic samples as TFRecord shards (see `synth/generation.py`).

    python -m synth.generate --output=/tmp/synth --num_samples=10000 \
        --num_shards=8 --seed=0 [--preview=48]

Flags build a frozen `GenerationConfig`; the library does the rest. A rerun
with the same flags writes only the missing shards.
"""

import os

from absl import app
from absl import flags
from absl import logging

from synth import framing
from synth import generation
from synth import pose_prior
from synth import sample
from synth import shape_prior

_OUTPUT = flags.DEFINE_string("output", None, "Output directory.",
                              required=True)
_NUM_SAMPLES = flags.DEFINE_integer("num_samples", 10000, "Samples N.")
_NUM_SHARDS = flags.DEFINE_integer("num_shards", 8, "TFRecord shards.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed K of the job.")
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", 256, "Samples per body-model/rasterizer call.")
_BODY_MODEL = flags.DEFINE_string(
    "body_model", "", "'' = bundled model, 'toy' = test body, or a path.")
_POSE_BANK = flags.DEFINE_string(
    "pose_bank", "",
    "Optional pose bank: AMASS-style .npz, SPIN/HMR .npz, [N,72] .npy, or "
    "a bank of synth.build_pose_bank.")
_POSE_BANK_UP_AXIS = flags.DEFINE_enum(
    "pose_bank_up_axis", "z", ["y", "z", "-y"],
    "Vertical axis of the pose bank ('-y': camera-frame fits).")
_POSE_MODE = flags.DEFINE_enum(
    "pose_mode", "structured", ["structured", "wide"],
    "Structured prior: the original ten families or the wide set "
    "(synth/pose_families.py).")
_FAMILY_WEIGHTS = flags.DEFINE_list(
    "family_weights", [],
    "family:weight items re-weighting (or adding) the pose mode's "
    "families, e.g. uniform:0.15,kicks:0.05.")


def _check_family_weights(items):
  try:
    pose_prior.parse_family_weights(items)
  except ValueError as e:
    raise flags.ValidationError(str(e)) from e
  return True


flags.register_validator("family_weights", _check_family_weights)

_PART_MIX = flags.DEFINE_float(
    "part_mix", 0.0,
    "Fraction of poses whose legs, arms and spine are recombined with "
    "other poses of the draw (synth/part_mix.py).",
    lower_bound=0.0, upper_bound=1.0)
_BANK_FRACTION = flags.DEFINE_float(
    "bank_fraction", 1.0,
    "With --pose_bank: fraction of poses from the bank, the rest from the "
    "structured prior.")
_KEYPOINT_SET = flags.DEFINE_string("keypoint_set", "COCO_17",
                                    "Keypoint set (body.keypoints).")
_SILHOUETTE_SIZE = flags.DEFINE_integer("silhouette_size", 64,
                                        "Silhouette side R.")
_BETA_SIGMA = flags.DEFINE_float("beta_sigma", 1.0, "σ of β.")
_BETA_TRUNCATION = flags.DEFINE_float("beta_truncation", 2.5,
                                      "Largest |β_i|.")
_NUM_BETAS = flags.DEFINE_integer("num_betas", 10, "Shape coefficients.")
_FOCAL = flags.DEFINE_float("focal_length", 1000.0,
                            "Focal length, pixels of the 256² crop.")
_POSE_NOISE = flags.DEFINE_float("pose_noise_scale", 1.0,
                                 "Scale of the pose prior's noise.")
_PREVIEW = flags.DEFINE_integer(
    "preview", 0, "If > 0, also write preview.png with this many samples.")


def config_from_flags() -> generation.GenerationConfig:
  return generation.GenerationConfig(
      sample=sample.SampleConfig(
          pose=pose_prior.with_family_weights(
              pose_prior.wide_config(noise_scale=_POSE_NOISE.value)
              if _POSE_MODE.value == "wide" else
              pose_prior.PosePriorConfig(noise_scale=_POSE_NOISE.value),
              pose_prior.parse_family_weights(_FAMILY_WEIGHTS.value)),
          shape=shape_prior.ShapePriorConfig(
              num_betas=_NUM_BETAS.value, sigma=_BETA_SIGMA.value,
              truncation=_BETA_TRUNCATION.value),
          camera=framing.CameraConfig(focal_length=_FOCAL.value),
          keypoint_set=_KEYPOINT_SET.value,
          silhouette_size=_SILHOUETTE_SIZE.value,
          bank_fraction=_BANK_FRACTION.value,
          part_mix=_PART_MIX.value),
      num_samples=_NUM_SAMPLES.value,
      num_shards=_NUM_SHARDS.value,
      seed=_SEED.value,
      batch_size=_BATCH_SIZE.value,
      body_model=_BODY_MODEL.value,
      pose_bank=_POSE_BANK.value,
      pose_bank_up_axis=_POSE_BANK_UP_AXIS.value)


def main(argv):
  del argv
  config = config_from_flags()
  generator = generation.make_generator(config)
  manifest = generation.generate(config, _OUTPUT.value,
                                 assets=generator.assets)
  logging.info("%s: %d samples in %d shards (%s)", _OUTPUT.value,
               manifest["num_samples"], len(manifest["shards"]),
               manifest["status"])
  if _PREVIEW.value > 0:
    generation.write_preview(config, os.path.join(_OUTPUT.value,
                                                  "preview.png"),
                             _PREVIEW.value, generator)


if __name__ == "__main__":
  app.run(main)
