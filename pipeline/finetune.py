r"""End-to-end fine-tuning of Human2D and the priors with the render loss.

    python -m pipeline.finetune --model_dir=/tmp/e2e \
        --rendered_weight=1 --backgrounds=/data/backgrounds \
        [--records=/data/lsp_train.tfrecord] [--num_steps=2000]

Flags → a frozen `pipeline.finetuning.FinetuneConfig` → `finetuning.finetune`
(the alternation of Human2D and priors updates is explained there).
Starts from the shipped weights unless given (`pipeline/weight_flags.py`:
--human2d_weights, --human2d_config, ...); rerunning the same command
resumes from the newest checkpoint. Writes `human2d.weights.h5`,
`pose_prior.weights.h5` and `shape_prior.weights.h5` (with their configs)
into `model_dir`; `python -m pipeline.evaluate --finetuned=model_dir`
compares them with the starting weights.
"""

from absl import app
from absl import flags
from absl import logging

from human2d import config as h2d_config
from pipeline import finetuning
from pipeline import weight_flags
from synth import progress

flags.DEFINE_string("model_dir", None, "Checkpoints, config, logs, weights.")
flags.DEFINE_list("records", [], "TFRecord files / globs / folders "
                  "(human2d.convert), one source each.")
flags.DEFINE_float("rendered_weight", 0.0, "Weight of rendered images "
                   "(synth.images on the fly, 3D truth unused; 0 = none).")
flags.DEFINE_list("backgrounds", [], "Folders of background photos for the "
                  "rendered images.")
flags.DEFINE_integer("batch_size", 4, "Batch size (paper: 4).")
flags.DEFINE_integer("num_steps", 2000, "Iterations, both kinds (paper: 2k).")
flags.DEFINE_float("learning_rate", 8e-5, "RMSprop rate (paper: 8e-5).")
flags.DEFINE_integer("alternate_every", 1, "Iterations per alternation block.")
flags.DEFINE_enum("update", "both", list(finetuning.UPDATES),
                  "Networks that learn: both (alternating), priors (Human2D "
                  "frozen) or human2d (priors frozen).")
flags.DEFINE_float("keypoint_weight", 10.0, "μ of the render loss.")
flags.DEFINE_enum("keypoint_loss", finetuning.FinetuneConfig.keypoint_loss,
                  ["squared", "gmof"], "Render loss keypoint term: squared "
                  "(paper) or gmof (Geman–McClure, robust to Human2D misses).")
flags.DEFINE_float("keypoint_sigma", finetuning.FinetuneConfig.keypoint_sigma,
                   "Geman–McClure scale σ, crop pixels (gmof only).")
flags.DEFINE_float("human2d_loss_weight", 1.0, "Human2D's own 2D loss in its "
                   "iterations (0: render loss only).")
flags.DEFINE_float("prior_loss_weight", 0.0, "The priors' own training loss "
                   "on synthetic bodies in their iterations (0: render loss "
                   "only, as in the paper; keeps their depth right).")
flags.DEFINE_integer("prior_examples", finetuning.FinetuneConfig.prior_examples,
                     "Synthetic bodies generated for --prior_loss_weight.")
flags.DEFINE_integer("prior_batch_size",
                     finetuning.FinetuneConfig.prior_batch_size,
                     "Synthetic bodies per priors iteration.")
flags.DEFINE_float("rotation_deg", 30.0, "Augmentation: rotation ±deg.")
flags.DEFINE_integer("seed", 0, "Seed of data order and augmentation.")
flags.DEFINE_integer("checkpoint_every", 100, "Checkpoint interval (steps).")
flags.DEFINE_integer("log_every", 10, "Logging interval (steps).")


def config_from_flags() -> finetuning.FinetuneConfig:
  f = flags.FLAGS
  return finetuning.FinetuneConfig(
      model_dir=f.model_dir,
      sources=h2d_config.data_sources(f.records, f.rendered_weight,
                                      f.backgrounds),
      **weight_flags.paths(),
      augment=h2d_config.AugmentConfig(rotation_deg=f.rotation_deg),
      batch_size=f.batch_size, num_steps=f.num_steps,
      learning_rate=f.learning_rate, alternate_every=f.alternate_every,
      update=f.update,
      keypoint_weight=f.keypoint_weight, keypoint_loss=f.keypoint_loss,
      keypoint_sigma=f.keypoint_sigma,
      human2d_loss_weight=f.human2d_loss_weight,
      prior_loss_weight=f.prior_loss_weight,
      prior_examples=f.prior_examples, prior_batch_size=f.prior_batch_size,
      seed=f.seed,
      checkpoint_every=f.checkpoint_every, log_every=f.log_every)


def main(argv):
  config = progress.config_from_argv(argv, config_from_flags)
  progress.write_run_provenance(config.model_dir,
                                ",".join(s.path for s in config.sources))
  result = finetuning.finetune(config)
  logging.info("done: step %d, weights %s, %.0f s", result.final_step,
               result.weights, result.seconds)


if __name__ == "__main__":
  # Required only when run as a program, so tests can import this module.
  flags.mark_flag_as_required("model_dir")
  app.run(main)
