r"""Image → mesh evaluated stage by stage on held-out rendered images.

    python -m pipeline.evaluate --num_images=64 \
        --backgrounds=/data/backgrounds [--finetuned=/tmp/e2e] [--fit_steps=40]

Flags → `pipeline.evaluation.EvaluateConfig` → the library. Tables: Human2D
(PCK@0.2, mean px, silhouette IoU) per set of weights; the mesh (MPJPE,
PA-MPJPE, PVE in mm, the mesh's 2D keypoint error in crop pixels, mesh IoU,
seconds per image) for feed-forward, + test-time fit, the priors on the true
2D evidence (`--oracle`: the error Human2D passes on), fine-tuned (weights of
a `pipeline.finetune` run) and fine-tuned + fit. Ends with one JSON line.
"""

import json
import logging
import os

from absl import app
from absl import flags

from pipeline import evaluation
from pipeline import model as model_lib
from pipeline import weight_flags
from synth import progress

flags.DEFINE_integer("num_images", 64, "Held-out rendered images.")
flags.DEFINE_integer("seed", evaluation.EvaluateConfig.seed,
                     "Their seed (not a training seed).")
flags.DEFINE_list("backgrounds", [], "Folders of background photos.")
flags.DEFINE_integer("batch_size", 16, "Images per model call.")
flags.DEFINE_integer("fit_steps", 40, "Test-time fit steps (0: no fit rows).")
flags.DEFINE_string("finetuned", "", "A pipeline.finetune model_dir: adds "
                    "its weights' rows.")
flags.DEFINE_bool("oracle", True, "Add rows with the priors fed the true "
                  "keypoints and / or silhouette instead of Human2D's "
                  "(feed-forward weights).")


def config_from_flags() -> evaluation.EvaluateConfig:
  f = flags.FLAGS
  return evaluation.EvaluateConfig(
      num_images=f.num_images, seed=f.seed,
      background_dirs=tuple(f.backgrounds), batch_size=f.batch_size,
      fit_steps=f.fit_steps)


def main(argv):
  config = progress.config_from_argv(argv, config_from_flags)
  f = flags.FLAGS
  logging.getLogger().setLevel(logging.INFO)
  models = {"feed-forward": model_lib.BodyFromImage.load(
      **weight_flags.load_kwargs())}
  if f.finetuned:
    if not os.path.isdir(f.finetuned):
      raise app.UsageError(f"--finetuned {f.finetuned!r} is not a folder.")
    models["fine-tuned"] = model_lib.BodyFromImage.load(
        os.path.join(f.finetuned, "human2d.weights.h5"),
        pose_weights=os.path.join(f.finetuned, "pose_prior.weights.h5"),
        shape_weights=os.path.join(f.finetuned, "shape_prior.weights.h5"))
  first = next(iter(models.values()))
  held_out = evaluation.make_held_out(config, first.keypoint_set.name,
                                      first.crop_size, first.priors.assets)
  human2d_rows, mesh_rows = {}, {}
  for name, model in models.items():
    h2d, meshes = evaluation.evaluate_model(
        model, held_out, name, config, oracle=f.oracle and model is first)
    human2d_rows[name] = h2d
    mesh_rows.update(meshes)
  n = len(held_out.crops)
  print(f"Held-out rendered images: {n} (seed {config.seed}, backgrounds "
        f"{list(config.background_dirs) or 'procedural'}), crops "
        f"{first.crop_size}², batch {config.batch_size}")
  print("\nHuman2D (flip test; %, px of the crop)")
  print(evaluation.format_table(human2d_rows, evaluation.HUMAN2D_COLUMNS))
  print("\nImage → mesh (mm; 2D px of the crop; mesh IoU %)")
  print(evaluation.format_table(mesh_rows, evaluation.MESH_COLUMNS))
  print(json.dumps({"num_images": n, "human2d": _rounded(human2d_rows),
                    "mesh": _rounded(mesh_rows)}))


def _rounded(rows):
  return {name: {k: round(v, 4 if k == "s/image" else 2)
                 for k, v in row.items()} for name, row in rows.items()}


if __name__ == "__main__":
  app.run(main)
