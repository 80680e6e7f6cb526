r"""Trains the PosePrior or the ShapePrior.

    python -m priors.train --prior=pose --model_dir=/tmp/pose \
        --num_examples=50000 --data_cache=/tmp/synth_train.npz

Flags → a frozen `priors.config.TrainConfig` → `priors.training.train`. The
config is written to `<model_dir>/config.json` (package versions, commit and
data fingerprint to `provenance.json`); rerunning the same command
resumes from the latest checkpoint (a rerun with other settings is refused:
use another `--model_dir`). `--strategy=multi_worker` trains on several
machines: the same command on each, with `TF_CONFIG` naming the cluster and
the task (`runtime.strategy`), and a `--model_dir` that all of them reach.
`--data` is "generate" (draw
`--num_examples` synth samples at start-up, optionally cached with
`--data_cache`), the output directory of `python -m synth.generate` (its
TFRecords), or the path of an `.npz` of `priors.data` arrays.
"""

import dataclasses
import logging as std_logging

from absl import app
from absl import flags
from absl import logging

from body import keypoints
from priors import config as config_lib
from priors import data
from priors import pose_prior
from priors import pose_sources
from priors import shape_prior
from priors import training
from synth import corruption
from synth import pose_prior as pose_sampler
from synth import progress

flags.DEFINE_enum("prior", None, list(config_lib.PRIORS),
                          "Which prior to train.")
flags.DEFINE_string("model_dir", None, "Checkpoints, config and logs.")
flags.DEFINE_string("data", "generate",
                    "'generate', a synth.generate output directory, or an "
                    ".npz of arrays.")
flags.DEFINE_integer("num_examples", 20000, "Examples to generate.")
flags.DEFINE_integer("data_seed", 0, "Seed of the generated examples.")
flags.DEFINE_string("data_cache", "", "Save/reuse generated examples here.")
flags.DEFINE_string("keypoint_set", "COCO_17", "Keypoint set.")
flags.DEFINE_string("body_model", "", "'' = bundled, 'toy', or a file.")
flags.DEFINE_enum("noise", "detector", list(corruption.PRESETS),
                  "Keypoint corruption of the training inputs "
                  "(synth.corruption.PRESETS): detector = the PCKh-calibrated "
                  "default, human2d = the shipped Human2D's measured errors.")
flags.DEFINE_float("noise_sigma", None,
                   "Keypoint jitter, fraction of the person size (default: "
                   "the --noise preset's).")
flags.DEFINE_float("clean_fraction", 0.2, "Fraction of uncorrupted inputs.")
flags.DEFINE_float("mirror", 0.0,
                   "Fraction of examples replaced by their mirror image.")
flags.DEFINE_float("roll", 0.0,
                   "Fraction of examples seen by a camera rolled about its "
                   "optical axis (uniform angle; upside-down bodies).")
flags.DEFINE_enum("pose_mode", "structured", list(pose_sources.MODES),
                  "Pose families: the original ten or the wide set.")
flags.DEFINE_string("pose_bank", "", "Pose bank .npz mixed into the poses.")
flags.DEFINE_float("bank_fraction", 0.5, "Fraction of poses from the bank.")
flags.DEFINE_list("leave_out", [],
                  "Pose families / bank activities never trained on.")
flags.DEFINE_list("family_weights", [],
                  "family:weight items re-weighting (or adding) the pose "
                  "mode's families, e.g. uniform:0.15,kicks:0.05.")


def _check_family_weights(items):
  try:
    pose_sampler.parse_family_weights(items)
  except ValueError as e:
    raise flags.ValidationError(str(e)) from e
  return True


flags.register_validator("family_weights", _check_family_weights)
flags.DEFINE_float("part_mix", 0.0,
                   "Fraction of generated poses whose legs, arms and spine "
                   "are recombined with other poses (synth/part_mix.py).",
                   lower_bound=0.0, upper_bound=1.0)

flags.DEFINE_integer("hidden_units", 1024, "Width of the bilinear units.")
flags.DEFINE_integer("num_units", 2,
                     "PosePrior: number of residual bilinear units.",
                     lower_bound=0)
flags.DEFINE_float("dropout", 0.5, "Dropout inside the bilinear units.")
flags.DEFINE_enum("rotation_head", "6d", list(pose_prior.ROTATION_HEADS),
                  "PosePrior rotation output.")
flags.DEFINE_enum("parameter_loss", "rotmat", list(config_lib.PARAMETER_LOSSES),
                  "PosePrior parameter loss.")
flags.DEFINE_float("parameter_weight", 1.0,
                   "Parameter loss weight (θ as rotations, or β).")
flags.DEFINE_float("vertex_weight", 100.0, "Per-vertex loss weight.")
flags.DEFINE_float("vertex_start", 0.5,
                   "Fraction of steps before the vertex loss is added.")
flags.DEFINE_integer("vertex_stride", 1,
                     "Vertex loss on every N-th vertex (1 = all; see "
                     "priors.config.LossConfig).")
flags.DEFINE_float("joint_weight", 100.0, "3D joint loss weight.")
flags.DEFINE_float("reprojection_weight", 100.0,
                   "2D keypoint reprojection loss weight.")
flags.DEFINE_float("camera_weight", 10.0, "Camera parameter loss weight.")
flags.DEFINE_float("render_weight", 10.0, "Soft-silhouette loss weight.")
flags.DEFINE_float("render_start", 1.0,
                   "Fraction of steps before the render loss (1 = never).")
flags.DEFINE_integer("batch_size", 64, "Global batch size.")
flags.DEFINE_integer("num_steps", 20000, "Optimiser steps.")
flags.DEFINE_float("learning_rate", 1e-3, "Initial learning rate.")
flags.DEFINE_string(
    "init_weights", "",
    "Start from these weights. A PosePrior's with fewer units (read from the "
    "config beside them) is deepened first, the new units near identity.")
flags.DEFINE_integer("checkpoint_every", 500, "Checkpoint interval (steps).")
flags.DEFINE_integer("log_every", 100, "Logging interval (steps).")
flags.DEFINE_integer("image_every", 2000, "Overlay image interval (0 = off).")
flags.DEFINE_enum("strategy", "default", list(config_lib.STRATEGIES),
                  "tf.distribute strategy; multi_worker reads TF_CONFIG.")
flags.DEFINE_integer("seed", 0, "Seed of initialisation, shuffling, noise.")
flags.DEFINE_bool("jit_compile", False, "Compile the training step with XLA.")


def _noise(preset: str, sigma) -> corruption.CorruptionConfig:
  noise = corruption.PRESETS[preset]
  return noise if sigma is None else dataclasses.replace(noise, sigma=sigma)


def config_from_flags() -> config_lib.TrainConfig:
  f = flags.FLAGS
  return config_lib.TrainConfig(
      prior=f.prior,
      model_dir=f.model_dir,
      body_model=f.body_model,
      data=data.DataConfig(
          source=f.data, num_examples=f.num_examples, seed=f.data_seed,
          keypoint_set=f.keypoint_set, cache=f.data_cache,
          noise=_noise(f.noise, f.noise_sigma),
          clean_fraction=f.clean_fraction, mirror=f.mirror, roll=f.roll,
          poses=pose_sources.PoseSourceConfig(
              mode=f.pose_mode, pose_bank=f.pose_bank,
              bank_fraction=f.bank_fraction, leave_out=tuple(f.leave_out),
              family_weights=pose_sampler.parse_family_weights(
                  f.family_weights),
              part_mix=f.part_mix)),
      pose_model=pose_prior.PosePriorConfig(
          num_keypoints=keypoints.get(f.keypoint_set).size,
          hidden_units=f.hidden_units, num_units=f.num_units,
          dropout=f.dropout, rotation_head=f.rotation_head),
      shape_model=shape_prior.ShapePriorConfig(
          hidden_units=f.hidden_units, dropout=f.dropout),
      loss=config_lib.LossConfig(
          parameter=f.parameter_loss, parameter_weight=f.parameter_weight,
          vertex_weight=f.vertex_weight,
          vertex_start=f.vertex_start, vertex_stride=f.vertex_stride,
          joint_weight=f.joint_weight,
          reprojection_weight=f.reprojection_weight,
          camera_weight=f.camera_weight, render_weight=f.render_weight,
          render_start=f.render_start),
      batch_size=f.batch_size, num_steps=f.num_steps,
      learning_rate=f.learning_rate, init_weights=f.init_weights,
      checkpoint_every=f.checkpoint_every, log_every=f.log_every,
      image_every=f.image_every, strategy=f.strategy, seed=f.seed,
      jit_compile=f.jit_compile)


def main(argv):
  del argv
  std_logging.getLogger().setLevel(std_logging.INFO)
  config = config_from_flags()
  data = config.data.source
  progress.write_run_provenance(
      config.model_dir, data if data != "generate" else config.data.cache)
  result = training.train(config)
  logging.info("done: step %d (from %d) in %.0f s; weights at %s",
               result.final_step, result.start_step, result.seconds,
               result.weights_path)


if __name__ == "__main__":
  flags.mark_flags_as_required(["prior", "model_dir"])
  app.run(main)
