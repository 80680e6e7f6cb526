r"""Trains Human2D (the stacked hourglass) on TFRecords and rendered images.

    python -m human2d.train --model_dir=/tmp/h2d --preset=small \
        --records=/data/lspet.tfrecord,/data/lsp_train.tfrecord \
        --rendered_weight=0.3 --backgrounds=/data/backgrounds

Flags → a frozen `human2d.config.TrainConfig` → `human2d.training.train`.
Rerunning the same command resumes from the newest checkpoint. Records come
from `python -m human2d.convert`. Defaults follow the paper (RMSprop 3e-4,
λ = 100); the shipped weights' commands are in `human2d/weights/README.md`.
"""

from absl import app
from absl import flags
from absl import logging

from human2d import config as config_lib
from human2d import training
from synth import progress

flags.DEFINE_string("model_dir", None, "Checkpoints, config and logs.")
flags.DEFINE_enum("preset", "small", sorted(config_lib.PRESETS),
                  "Network preset.")
flags.DEFINE_integer("channels", 0, "Override the preset's width (0: keep).")
flags.DEFINE_integer("num_stacks", 0, "Override the preset's stacks (0: keep).")
flags.DEFINE_string("keypoint_set", "COCO_21_LSP", "Keypoint set.")
flags.DEFINE_list("records", [], "TFRecord files / globs / folders "
                  "(human2d.convert), one source each.")
flags.DEFINE_list("record_weights", [], "Weight of each --records source "
                  "(default 1 each).")
flags.DEFINE_float("rendered_weight", 0.0, "Weight of rendered images "
                   "(synth.images on the fly; 0 = none).")
flags.DEFINE_list("backgrounds", [], "Folders of background photos for the "
                  "rendered images.")
flags.DEFINE_integer("batch_size", 16, "Batch size.")
flags.DEFINE_integer("num_steps", 10000, "Optimiser steps.")
flags.DEFINE_enum("optimizer", "rmsprop", list(config_lib.OPTIMIZERS),
                  "Optimiser.")
flags.DEFINE_float("learning_rate", 3e-4, "Peak learning rate.")
flags.DEFINE_integer("warmup_steps", 200, "Linear warm-up steps.")
flags.DEFINE_float("heatmap_weight", 100.0, "λ of the heatmap MSE.")
flags.DEFINE_float("foreground_weight", 0.0, "Heatmap MSE pixel weight "
                   "1 + this × target (0: the paper's plain MSE).")
flags.DEFINE_float("sigma", 1.5, "Target Gaussian σ, heatmap pixels.")
flags.DEFINE_float("rotation_deg", 30.0, "Augmentation: rotation ±deg.")
flags.DEFINE_float("scale_min", 0.75, "Augmentation: scale range.")
flags.DEFINE_float("scale_max", 1.25, "Augmentation: scale range.")
flags.DEFINE_integer("seed", 0, "Seed of data order and augmentation.")
flags.DEFINE_integer("checkpoint_every", 500, "Checkpoint interval (steps).")
flags.DEFINE_integer("log_every", 50, "Logging interval (steps).")
flags.DEFINE_integer("image_every", 1000, "TensorBoard image interval.")
flags.DEFINE_string("init_weights", "", "Start from these weights.")
flags.DEFINE_enum("precision", "float32", list(config_lib.PRECISIONS),
                  "Training dtype policy: mixed_bfloat16 trains 1.2-1.5x faster "
                  "on CPUs with AVX512_BF16 and ~5x slower on CPUs without "
                  "(a warning says so; README.md; weights stay float32).")
flags.DEFINE_enum("strategy", "default", list(config_lib.STRATEGIES),
                  "tf.distribute strategy (multi_worker: TF_CONFIG names the "
                  "cluster; run the same command on every machine).")


def config_from_flags() -> config_lib.TrainConfig:
  f = flags.FLAGS
  overrides = {"keypoint_set": f.keypoint_set}
  if f.channels:
    overrides["channels"] = f.channels
  if f.num_stacks:
    overrides["num_stacks"] = f.num_stacks
  model = config_lib.preset(f.preset, **overrides)
  return config_lib.TrainConfig(
      model_dir=f.model_dir, model=model,
      sources=config_lib.data_sources(f.records, f.rendered_weight,
                                      f.backgrounds, f.record_weights),
      augment=config_lib.AugmentConfig(
          rotation_deg=f.rotation_deg, scale_min=f.scale_min,
          scale_max=f.scale_max),
      batch_size=f.batch_size, num_steps=f.num_steps, optimizer=f.optimizer,
      learning_rate=f.learning_rate, warmup_steps=f.warmup_steps,
      heatmap_weight=f.heatmap_weight,
      foreground_weight=f.foreground_weight, sigma=f.sigma, seed=f.seed,
      checkpoint_every=f.checkpoint_every, log_every=f.log_every,
      image_every=f.image_every, init_weights=f.init_weights,
      strategy=f.strategy, precision=f.precision)


def main(argv):
  config = progress.config_from_argv(argv, config_from_flags)
  progress.write_run_provenance(config.model_dir,
                                ",".join(s.path for s in config.sources))
  result = training.train(config)
  logging.info("done: step %d, weights %s, %.0f s", result.final_step,
               result.weights_path, result.seconds)


if __name__ == "__main__":
  # Required only when run as a program, so tests can import this module.
  flags.mark_flag_as_required("model_dir")
  app.run(main)
