r"""How the PosePrior's held-out error falls with its training steps.

    python -m benchmarks.priors_scaling --data=/tmp/prior_data \
        --work_dir=/tmp/scaling --steps=8000,20000,40000,80000

Trains one PosePrior per step count with the shipped run's config
(`priors/weights/pose_prior.config.json`: same architecture, losses, batch,
learning rate and schedule; only `num_steps`, `model_dir` and the data source
change), evaluates each on the held-out set of `priors.evaluate` (seed
987654, flip test) with the shipped ShapePrior, and fits

    error(n) = a + b · n^(−c)

to PA-MPJPE and PVE (detector-like noise) against the step count n, to say
how many steps the targets of issue 5 (45 / 80 mm) would take at this
recipe: n = (b / (target − a))^(1/c), or never when the fitted floor a lies
above the target. The fit is an extrapolation from a handful of runs; the
table also gives the measured change per doubling of the steps between
neighbouring runs, which needs no model.

A run whose weights already exist under `--work_dir/steps_N` is not trained
again (an interrupted run resumes from its checkpoints), so the benchmark can
be stopped and restarted, and runs made elsewhere with the shipped config can
be dropped in. Without `--data` the runs generate `--num_examples` samples
on the fly (and cache them in the work directory). Prints the table and ends
with one JSON line.
"""

import dataclasses
import json
import logging
import math
import os
from typing import Dict

from absl import app
from absl import flags

from benchmarks import scaling_fit
from priors import config as config_lib
from priors import data
from priors import evaluation
from priors import pretrained
from priors import training

flags.DEFINE_string("work_dir", "/tmp/priors_scaling",
                    "Where the runs live (steps_N/ per step count).")
flags.DEFINE_list("steps", ["8000", "20000", "40000", "80000"],
                  "Training step counts, one run each.")
flags.DEFINE_string("data", "", "Synth TFRecords directory or .npz arrays; "
                    "'' generates --num_examples samples.")
flags.DEFINE_integer("num_examples", 100000,
                     "Training samples when generating.")
flags.DEFINE_string("config", "", "TrainConfig JSON ('' = the shipped "
                    "PosePrior's).")
flags.DEFINE_integer("eval_examples", 2000, "Held-out examples.")
flags.DEFINE_integer("eval_seed", 987654, "Seed of the held-out set.")
flags.DEFINE_list("targets", ["45", "80"],
                  "PA-MPJPE and PVE targets (mm) to extrapolate to.")

NOISE = "detector-like noise"


def run_config(base: config_lib.TrainConfig, steps: int, run_dir: str,
               source: str, num_examples: int) -> config_lib.TrainConfig:
  """The shipped recipe with `steps` steps, in `run_dir`, on `source`."""
  data_config = dataclasses.replace(
      base.data, source=source or "generate", num_examples=num_examples,
      cache="" if source else os.path.join(os.path.dirname(run_dir),
                                           "train_arrays.npz"))
  return dataclasses.replace(
      base, num_steps=steps, model_dir=run_dir, data=data_config,
      checkpoint_every=min(base.checkpoint_every, max(steps // 4, 1)),
      log_every=min(base.log_every, steps), image_every=0)


def train_or_reuse(config: config_lib.TrainConfig) -> Dict:
  """Trains `config` unless its weights exist; returns weights and seconds
  (None when the weights came from an earlier invocation that did not
  record them)."""
  weights = training.weights_path(config)
  timing = os.path.join(config.model_dir, "seconds.json")
  if not os.path.isfile(weights):
    logging.warning("training %d steps in %s", config.num_steps,
                    config.model_dir)
    result = training.train(config)
    seconds = result.seconds
    if result.start_step == 0:
      with open(timing, "w") as f:
        json.dump({"seconds": seconds}, f)
    else:
      seconds = None   # Resumed: only part of the run was timed here.
  elif os.path.isfile(timing):
    with open(timing) as f:
      seconds = json.load(f)["seconds"]
  else:
    seconds = None
  return {"weights": weights, "seconds": seconds}


def main(argv):
  del argv
  f = flags.FLAGS
  logging.getLogger().setLevel(logging.WARNING)
  # Each run builds its own tf.function; TensorFlow warns about retracing.
  logging.getLogger("tensorflow").setLevel(logging.ERROR)
  base = config_lib.load_json(
      f.config or pretrained.config_path(pretrained.POSE_WEIGHTS))
  if base.prior != "pose":
    raise app.UsageError(f"--config must be a PosePrior's, got {base.prior}.")
  steps = sorted(int(s) for s in f.steps)
  if len(set(steps)) != len(steps) or min(steps) <= 0:
    raise app.UsageError(f"--steps must be distinct positive integers, got "
                         f"{f.steps}.")
  if len(f.targets) != 2:
    raise app.UsageError(f"--targets takes two values (PA-MPJPE, PVE), got "
                         f"{f.targets}.")
  pa_target, pve_target = (float(t) for t in f.targets)

  runs = []
  for n in steps:
    config = run_config(base, n, os.path.join(f.work_dir, f"steps_{n}"),
                        f.data, f.num_examples)
    runs.append(dict(steps=n, **train_or_reuse(config)))

  keypoint_set = base.data.keypoint_set
  assets = training.load_body(base.body_model)
  held = data.generate_arrays(assets, f.eval_examples, f.eval_seed,
                              keypoint_set)
  shape_model = pretrained.load_shape_prior()
  for run in runs:
    model = pretrained.load_pose_prior(run["weights"])
    row, = evaluation.evaluate(
        assets, held, model, shape_model,
        {NOISE: evaluation.NOISE_SETTINGS[NOISE]}, keypoint_set,
        flip_test=True)
    run.update({k: row[k] for k in ("PA-MPJPE", "PVE", "PVE-gtβ")})

  print(f"PosePrior recipe of {f.config or 'the shipped weights'}, "
        f"{keypoint_set}; {f.eval_examples} held-out examples (seed "
        f"{f.eval_seed}), {NOISE}, flip test, shipped ShapePrior (mm)")
  print("| steps | train s | PA-MPJPE | PVE | PVE-gtβ | ΔPA / doubling "
        "| ΔPVE / doubling |")
  print("|---|---|---|---|---|---|---|")
  xs = [r["steps"] for r in runs]
  pa = [r["PA-MPJPE"] for r in runs]
  pve = [r["PVE"] for r in runs]
  d_pa, d_pve = ([None] + scaling_fit.per_doubling(xs, pa),
                  [None] + scaling_fit.per_doubling(xs, pve))
  fmt = lambda v: "" if v is None else f"{v:+.1f}"
  for r, dp, dv in zip(runs, d_pa, d_pve):
    secs = "?" if r["seconds"] is None else f"{r['seconds']:.0f}"
    print(f"| {r['steps']} | {secs} | {r['PA-MPJPE']:.1f} | {r['PVE']:.1f} "
          f"| {r['PVE-gtβ']:.1f} | {fmt(dp)} | {fmt(dv)} |")

  summary = {"steps": xs, "PA-MPJPE": [round(v, 1) for v in pa],
             "PVE": [round(v, 1) for v in pve]}
  for name, values, target in (("PA-MPJPE", pa, pa_target),
                               ("PVE", pve, pve_target)):
    fit = scaling_fit.fit_power_law(xs, values)
    if fit is None:
      print(f"{name}: fewer than four runs or no fit; no extrapolation.")
      continue
    a, b, c = fit
    need = scaling_fit.steps_to_reach(fit, target)
    reach = ("never (floor above the target)" if math.isinf(need) else
             f"≈ {need:,.0f} steps ({need / xs[-1]:.1f}× the longest run)")
    print(f"{name} ≈ {a:.1f} + {b:.4g} · n^(−{c:.3f}); {target:g} mm: "
          f"{reach}")
    summary[f"{name} floor"] = round(a, 1)
    summary[f"{name} steps to {target:g}"] = (
        None if math.isinf(need) else round(need))
  print(json.dumps(summary))


if __name__ == "__main__":
  app.run(main)
