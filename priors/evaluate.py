r"""Prints the metrics table of the priors on a held-out synthetic set.

    python -m priors.evaluate --num_examples=2000 --seed=987

Defaults: the shipped weights (`priors/weights/`), the bundled body model, a
set drawn with a seed the training data never uses, evaluated with clean,
detector-like (`synth.corruption.CorruptionConfig()`, PCKh-calibrated) and
heavy (`corruption.HEAVY`) keypoints; each row also gives its inputs' PCKh.
Writes the table (Markdown) and a JSON line.

    python -m priors.evaluate --per_source \
        [--pose_bank=synth/data/cmu_pose_bank.npz] \
        [--leave_out=lying,kicks,bank:jumping] [--source_examples=300]

evaluates each pose source (family, bank activity) on its own held-out set
(`priors/source_evaluation.py`), plus the T-pose seen from 0°, 45° and 90°
(probes: in the table, not in the summary); `--leave_out` marks the sources
a leave-out run was trained without and reports the held-out /
in-distribution ratio; `--reference_weights=<a PosePrior trained with those
sources>` adds the held-out error over its error on the same sets. Both
modes run the PosePrior as `priors.inference.Priors` does: flip test and
upright test (`priors.upright`) on; `--noflip_test`, `--noupright_test`
turn them off.
"""

import json
import logging as std_logging

from absl import app
from absl import flags

from priors import data
from priors import evaluation
from priors import pose_sources
from priors import pretrained
from priors import source_evaluation
from priors import training

flags.DEFINE_string("pose_weights", "", "PosePrior weights ('' = shipped).")
flags.DEFINE_string("shape_weights", "", "ShapePrior weights ('' = shipped).")
flags.DEFINE_string("body_model", "", "'' = bundled, 'toy', or a file.")
flags.DEFINE_integer("num_examples", 2000, "Held-out examples.")
flags.DEFINE_integer("seed", 987654, "Seed of the held-out set.")
flags.DEFINE_string("data", "", "An .npz of arrays instead of generating.")
flags.DEFINE_bool("per_source", False,
                  "Evaluate each pose source (family / bank activity) alone.")
flags.DEFINE_enum("pose_mode", "wide", ["structured", "wide"],
                  "With --per_source: the families evaluated.")
flags.DEFINE_string("pose_bank", "",
                    "With --per_source: also each activity of this bank.")
flags.DEFINE_list("leave_out", [],
                  "Sources the weights were trained without (families, or "
                  "bank activities as bank:<name>).")
flags.DEFINE_integer("source_examples", 300, "Held-out examples per source.")
flags.DEFINE_list("sources", [],
                  "With --per_source: only these sources ('' = all).")
flags.DEFINE_bool("flip_test", True,
                  "Average the PosePrior over the keypoints and their mirror "
                  "image.")
flags.DEFINE_string(
    "reference_weights", "",
    "With --per_source and --leave_out: a PosePrior trained *with* the "
    "left-out sources; the summary adds the held-out error over its error "
    "on the same sets (the cost of leaving them out).")
flags.DEFINE_bool("upright_test", True,
                  "Turn upside-down inputs upright before the PosePrior "
                  "(priors.upright), as priors.inference.Priors does.")


def main(argv):
  del argv
  f = flags.FLAGS
  if f.reference_weights and not (f.per_source and f.leave_out):
    raise app.UsageError("--reference_weights needs --per_source and "
                         "--leave_out.")
  std_logging.getLogger().setLevel(std_logging.WARNING)
  pose_path = f.pose_weights or pretrained.POSE_WEIGHTS
  keypoint_set = pretrained.keypoint_set(pose_path)
  pose_model = pretrained.load_pose_prior(pose_path)
  shape_model = pretrained.load_shape_prior(f.shape_weights or None)
  assets = training.load_body(f.body_model)
  if f.per_source:
    _per_source(f, assets, pose_model, shape_model, keypoint_set)
    return
  arrays = (data.load_arrays(f.data) if f.data else data.generate_arrays(
      assets, f.num_examples, f.seed, keypoint_set))
  rows = evaluation.evaluate(assets, arrays, pose_model, shape_model,
                             evaluation.NOISE_SETTINGS, keypoint_set,
                             flip_test=f.flip_test,
                             upright_test=f.upright_test)
  print(f"{len(arrays['theta'])} held-out examples (seed {f.seed}), "
        f"body model {assets.name}, flip test "
        f"{'on' if f.flip_test else 'off'}, upright test "
        f"{'on' if f.upright_test else 'off'}")
  print(evaluation.format_table(rows))
  print(json.dumps({r["inputs"]: {k: round(v, 4) for k, v in r.items()
                                  if k != "inputs"} for r in rows}))


def _per_source(f, assets, pose_model, shape_model, keypoint_set):
  names = pose_sources.sources(pose_sources.PoseSourceConfig(
      mode=f.pose_mode, pose_bank=f.pose_bank))
  if f.sources:
    unknown = sorted(set(f.sources) - set(names))
    if unknown:
      raise ValueError(f"--sources names {unknown}; known: {names}.")
    names = [n for n in names if n in f.sources]
  held = [n[len("bank:"):] if n.startswith("bank:") else n
          for n in f.leave_out]
  sets = {name: source_evaluation.source_arrays(
      assets, name, f.source_examples, f.seed + k, keypoint_set, f.pose_bank)
          for k, name in enumerate(names)}
  sets["T-pose 0°/45°/90°"] = source_evaluation.tpose_arrays(
      assets, (0.0, 45.0, 90.0), keypoint_set)
  sets["T-pose 45°"] = source_evaluation.tpose_arrays(assets, (45.0,),
                                                      keypoint_set)
  held_out = [n for n in names
              if n in f.leave_out or n.split(":")[-1] in held]
  rows = source_evaluation.evaluate_sources(
      assets, sets, pose_model, shape_model, keypoint_set,
      held_out=held_out, flip_test=f.flip_test, upright_test=f.upright_test,
      probes=("T-pose 0°/45°/90°", "T-pose 45°"))
  summary = source_evaluation.summary(rows)
  if f.reference_weights and summary is not None:
    reference = source_evaluation.evaluate_sources(
        assets, {n: sets[n] for n in held_out},
        pretrained.load_pose_prior(f.reference_weights), shape_model,
        keypoint_set, held_out=held_out, flip_test=f.flip_test,
        upright_test=f.upright_test)
    summary.update(source_evaluation.leave_out_cost(rows, reference))
  print(f"{f.source_examples} held-out examples per source (seed {f.seed}+), "
        f"body model {assets.name}, upright test "
        f"{'on' if f.upright_test else 'off'}")
  print(source_evaluation.format_rows(rows))
  print(json.dumps({"sources": {r["source"]: {
      k: round(v, 2) for k, v in r.items()
      if k not in ("source", "held out", "probe", "N")} for r in rows},
                    "summary": summary}))


if __name__ == "__main__":
  app.run(main)
