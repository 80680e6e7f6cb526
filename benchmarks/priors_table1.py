r"""The paper's Table 1 (loss ablation of the PosePrior), on our synthetic data.

    python -m benchmarks.priors_table1 --num_steps=4000 --out_dir=/tmp/table1

Every row trains a PosePrior from scratch with the same data, architecture,
batch size and number of steps, then is evaluated on one held-out set
(different seed) with detector-like keypoint noise. β comes from the shipped
ShapePrior (the same for every row), so rows differ only in θ and camera.

  rows (Pavlakos et al. 2018, Table 1: PVE 514.9 → 140.7 → 120.7 → 117.7 mm)
    axis-angle      axis-angle head, ‖θ̂ − θ‖² parameter loss
    rotmat (aa)     axis-angle head, ‖R̂ − R‖²_F parameter loss (the paper's
                    set-up: θ regressed, compared as rotation matrices)
    rotmat (6D)     6D head, ‖R̂ − R‖²_F (our default representation)
    + vertex        6D head, rotmat loss, then + per-vertex loss (the default
                    schedule: vertex loss from half-way)
    + render        "+ vertex" for (1 − f) of the steps, then a fine-tuning
                    stage of f · steps (f = `--render_fraction`) from those
                    weights with the soft-silhouette loss added (through the
                    differentiable rasterizer), at `--finetune_lr`
    + finetune (control)  the same two stages without the render loss, to
                    separate the render loss from the extra stage
    + reprojection fine-tuning  the paper's last row, through the real
                    end-to-end path: the "+ vertex" PosePrior (the same run)
                    fine-tuned with Human2D (shipped) and the shipped
                    ShapePrior by `pipeline.finetuning` on rendered images
                    with 2D labels only (render loss through the soft
                    rasterizer, alternating Human2D / priors updates) for
                    `--e2e_steps` iterations; its PosePrior is then
                    evaluated like every row

Prints a Markdown table (PVE, PA-MPJPE, MPJPE, training seconds per row) and
ends with one JSON line.
"""

import dataclasses
import json
import logging
import os
import time

from absl import app
from absl import flags

from human2d import config as h2d_config
from pipeline import finetuning
from priors import config as config_lib
from priors import data
from priors import evaluation
from priors import pose_prior
from priors import pretrained
from priors import training
from synth import corruption

flags.DEFINE_integer("num_steps", 4000, "Steps per row.")
flags.DEFINE_integer("batch_size", 128, "Batch size.")
flags.DEFINE_integer("num_examples", 20000, "Training examples.")
flags.DEFINE_integer("num_eval", 1000, "Held-out examples.")
flags.DEFINE_integer("hidden_units", 512, "Width of the bilinear units.")
flags.DEFINE_float("dropout", 0.0, "Dropout.")
flags.DEFINE_float("learning_rate", 2e-3, "Initial learning rate.")
flags.DEFINE_float("vertex_weight", 20.0, "Per-vertex loss weight.")
flags.DEFINE_float("render_fraction", 0.1,
                   "Fraction of the steps fine-tuned with the render loss.")
flags.DEFINE_float("finetune_lr", 1e-4, "Learning rate of fine-tuning.")
flags.DEFINE_float("render_weight", 10.0, "Weight of the render loss.")
flags.DEFINE_float("render_sigma", 0.5, "Soft-silhouette blur, pixels².")
flags.DEFINE_integer("vertex_stride", 8,
                     "Vertex loss on every N-th vertex (rows without the "
                     "render loss; see priors.config.LossConfig).")
flags.DEFINE_bool("jit_compile", True, "Compile training steps with XLA.")
flags.DEFINE_string("body_model", "", "'' = bundled, 'toy', or a file.")
flags.DEFINE_string("out_dir", "/tmp/priors_table1", "Runs and data.")
flags.DEFINE_string("rows", "", "Comma-separated subset of row names.")
flags.DEFINE_string("train_data", "", "An .npz of training arrays to use.")
flags.DEFINE_string("held_out", "", "An .npz of held-out arrays to use.")
flags.DEFINE_integer("e2e_steps", 2000, "End-to-end fine-tuning iterations "
                     "of '+ reprojection fine-tuning' (paper: 2000).")
flags.DEFINE_integer("e2e_batch_size", 4, "Its batch size (paper: 4).")
flags.DEFINE_float("e2e_lr", 8e-5, "Its RMSprop rate (paper: 8e-5).")
flags.DEFINE_list("backgrounds", [], "Background photo folders of its "
                  "rendered images.")

ROWS = {
    "axis-angle": dict(rotation_head="axis_angle", parameter="axis_angle",
                       vertex_start=1.0, render_start=1.0),
    "rotmat (aa)": dict(rotation_head="axis_angle", parameter="rotmat",
                        vertex_start=1.0, render_start=1.0),
    "rotmat (6D)": dict(rotation_head="6d", parameter="rotmat",
                        vertex_start=1.0, render_start=1.0),
    "+ vertex": dict(rotation_head="6d", parameter="rotmat",
                     vertex_start=0.5, render_start=1.0),
    "+ render": dict(rotation_head="6d", parameter="rotmat",
                     vertex_start=0.5, render_start=0.0, finetune=True),
    "+ finetune (control)": dict(rotation_head="6d", parameter="rotmat",
                                 vertex_start=0.5, render_start=1.0,
                                 finetune=True),
    "+ reprojection fine-tuning": dict(rotation_head="6d", parameter="rotmat",
                                       vertex_start=0.5, render_start=1.0,
                                       end_to_end=True),
}


def row_dir(out_dir: str, name: str) -> str:
  return os.path.join(out_dir, name.replace(" ", "_").replace(
      "(", "").replace(")", "").replace("+", "plus"))


def end_to_end_config(f, pose_weights: str, model_dir: str
                      ) -> finetuning.FinetuneConfig:
  """The end-to-end stage of '+ reprojection fine-tuning'."""
  return finetuning.FinetuneConfig(
      model_dir=model_dir, pose_weights=pose_weights,
      sources=(h2d_config.SourceConfig("rendered", ",".join(f.backgrounds)),),
      batch_size=f.e2e_batch_size, num_steps=f.e2e_steps,
      learning_rate=f.e2e_lr, checkpoint_every=max(f.e2e_steps // 4, 1),
      log_every=max(f.e2e_steps // 20, 1))


def row_configs(spec, f, model_dir):
  """The training stage(s) of one row."""
  def stage(directory, num_steps, **loss):
    return config_lib.TrainConfig(
        prior="pose", model_dir=directory, body_model=f.body_model,
        data=data.DataConfig(num_examples=f.num_examples),
        pose_model=pose_prior.PosePriorConfig(
            hidden_units=f.hidden_units, dropout=f.dropout,
            rotation_head=spec["rotation_head"]),
        loss=config_lib.LossConfig(parameter=spec["parameter"],
                                   vertex_weight=f.vertex_weight,
                                   render_weight=f.render_weight,
                                   render_sigma=f.render_sigma,
                                   vertex_stride=f.vertex_stride, **loss),
        batch_size=f.batch_size, num_steps=num_steps,
        learning_rate=f.learning_rate,
        checkpoint_every=max(num_steps // 4, 1), log_every=500,
        image_every=0, jit_compile=f.jit_compile)

  if spec.get("end_to_end"):
    # The "+ vertex" row's own run (shared: free when that row ran).
    return [stage(row_dir(os.path.dirname(model_dir), "+ vertex"),
                  f.num_steps, vertex_start=spec["vertex_start"])]
  if not spec.get("finetune"):
    return [stage(model_dir, f.num_steps, vertex_start=spec["vertex_start"],
                  render_start=spec["render_start"])]
  # The "+ vertex" stage is shared by the fine-tuned rows.
  first_steps = int(round((1.0 - f.render_fraction) * f.num_steps))
  first = stage(os.path.join(os.path.dirname(model_dir), "stage1"),
                first_steps, vertex_start=spec["vertex_start"])
  second = stage(model_dir, f.num_steps - first_steps, vertex_start=0.0,
                 render_start=spec["render_start"])
  second = dataclasses.replace(
      second, learning_rate=f.finetune_lr,
      init_weights=training.weights_path(first))
  return [first, second]


def main(argv):
  del argv
  f = flags.FLAGS
  logging.getLogger().setLevel(logging.INFO)
  assets = training.load_body(f.body_model)
  os.makedirs(f.out_dir, exist_ok=True)
  cache = os.path.join(f.out_dir, f"train_{f.num_examples}.npz")
  arrays = data.load_or_generate(
      data.DataConfig(source=f.train_data or "generate",
                      num_examples=f.num_examples, cache=cache), assets)
  held_out = (data.load_arrays(f.held_out) if f.held_out else
              data.generate_arrays(assets, f.num_eval, seed=24680))
  held_out = {k: v[:f.num_eval] for k, v in held_out.items()}
  shape_model = pretrained.load_shape_prior() if os.path.isfile(
      pretrained.SHAPE_WEIGHTS) else None
  names = [n.strip() for n in f.rows.split(",")] if f.rows else list(ROWS)
  results = []
  for name in names:
    model_dir = row_dir(f.out_dir, name)
    seconds, steps = 0.0, 0
    for cfg in row_configs(ROWS[name], f, model_dir):
      t0 = time.time()
      result = training.train(cfg, arrays=arrays)
      seconds += time.time() - t0
      steps += result.final_step
    weights = result.weights_path
    if ROWS[name].get("end_to_end"):
      t0 = time.time()
      e2e = finetuning.finetune(end_to_end_config(f, weights, model_dir))
      seconds += time.time() - t0
      steps += e2e.final_step
      weights = e2e.weights[finetuning.POSE_NAME]
    model = pose_prior.PosePrior(cfg.pose_model)
    model.load_weights(weights)
    pred = evaluation.predict(held_out, model, shape_model,
                              corruption.CorruptionConfig(), seed=1)
    row = evaluation.compute_metrics(assets, held_out, pred)
    row.update(inputs=name, seconds=seconds, steps=steps)
    results.append(row)
    logging.info("%s: %s", name, row)
  print(f"Table 1 on synthetic data: {f.num_steps} steps × batch "
        f"{f.batch_size} per row, {len(arrays['theta'])} training examples, "
        f"{f.num_eval} held-out examples with detector-like keypoint noise, "
        f"β from {'the shipped ShapePrior' if shape_model else 'ground truth'},"
        f" body model {assets.name}")
  print(evaluation.format_table(
      results, ("PVE", "PA-MPJPE", "MPJPE", "PVE-gtβ", "PCK2D", "Root°"),
      label="inputs"))
  for r in results:
    print(f"  {r['inputs']}: {r['steps']} steps, {r['seconds']:.0f} s "
          f"(this invocation; a resumed or shared stage costs ~0)")
  print(json.dumps({r["inputs"]: {"PVE": round(r["PVE"], 1),
                                  "PA-MPJPE": round(r["PA-MPJPE"], 1)}
                    for r in results}))


if __name__ == "__main__":
  app.run(main)
