"""Per-source evaluation of the priors and the leave-out protocol.

Dimensions: N examples per source.

A *source* is one pose family of the structured prior (`synth/pose_prior.py`,
`synth/pose_families.py`) or one activity of a pose bank ("bank:<name>",
e.g. the CMU bank's "bank:jumping"), see `priors.pose_sources`. Each source
gets its own held-out set, rendered exactly as `priors.evaluate` renders its
mixed one (same viewpoints, framing, shapes, keypoint corruption), so rows
compare. The leave-out protocol trains with `--leave_out=<sources>`
(`priors.train`) and evaluates here with the same list: the table marks
those sources "held out" and the summary gives the ratio of the held-out
mean to the in-distribution mean (the issue's target: ≤ 1.3 with
detector-like keypoints).

`tpose_arrays` renders the body's rest pose (θ = 0, mean shape) seen from
given azimuths: a pose the original families never produce. Such sets are
*probes* (`evaluate_sources(probes=...)`): they get a row but count neither
as held out nor as in distribution in the summary.
"""

from typing import Dict, List, Optional, Sequence

import numpy as np

from body import assets as assets_lib
from priors import data
from priors import evaluation
from priors import pose_sources
from synth import corruption
from synth import sample as sample_lib
from synth import viewpoint

NOISES = {
    "clean": corruption.CLEAN,
    "detector-like": corruption.CorruptionConfig(),
}
COLUMNS = ("PA-MPJPE", "PVE", "MPJPE")


def source_arrays(assets: assets_lib.BodyAssets, name: str, num: int,
                  seed: int, keypoint_set: str, pose_bank: str = ""
                  ) -> Dict[str, np.ndarray]:
  """N held-out examples drawn from source `name` alone."""
  config, bank = pose_sources.source_config(name, keypoint_set, pose_bank)
  return data.generate_arrays(assets, num, seed, keypoint_set,
                              sample_config=config, pose_bank=bank)


def tpose_arrays(assets: assets_lib.BodyAssets, azimuths_deg: Sequence[float],
                 keypoint_set: str = "COCO_17", scale: float = 0.85
                 ) -> Dict[str, np.ndarray]:
  """The rest pose with mean shape, one example per azimuth (degrees),
  camera at hip height, centred in the crop."""
  config = sample_lib.SampleConfig(keypoint_set=keypoint_set)
  generator = sample_lib.SampleGenerator(assets, config)
  az = np.radians(np.asarray(azimuths_deg, dtype=np.float64))
  n = len(az)
  view = viewpoint.view_rotation(az, np.zeros(n), np.zeros(n))
  theta = viewpoint.apply_view(np.zeros((n, 72)), view).astype(np.float32)
  betas = np.zeros((n, config.shape.num_betas), np.float32)
  batch = generator.render(theta, betas, np.full(n, scale),
                           np.zeros((n, 2)))
  return data.arrays_from_samples(batch, config.camera.image_size)


def evaluate_sources(assets, sets: Dict[str, Dict[str, np.ndarray]],
                     pose_model, shape_model, keypoint_set: str = "COCO_17",
                     held_out: Sequence[str] = (), flip_test: bool = True,
                     noises=None, upright_test: bool = False,
                     probes: Sequence[str] = ()) -> List[Dict]:
  """One row per source: its metrics (`COLUMNS`) per noise setting;
  `probes` name sets that are no pose source (module doc)."""
  noises = noises or NOISES
  rows = []
  for name, arrays in sets.items():
    row = {"source": name, "held out": name in held_out,
           "probe": name in probes, "N": len(arrays["theta"])}
    for noise_name, noise in noises.items():
      pred = evaluation.predict(arrays, pose_model, shape_model, noise,
                                keypoint_set=keypoint_set,
                                flip_test=flip_test,
                                upright_assets=(assets if upright_test
                                                else None))
      metrics = evaluation.compute_metrics(assets, arrays, pred,
                                           keypoint_set)
      for column in COLUMNS:
        row[f"{noise_name} {column}"] = metrics[column]
    rows.append(row)
  return rows


def summary(rows: Sequence[Dict], column: str = "detector-like PA-MPJPE"
            ) -> Optional[Dict[str, float]]:
  """Means of `column` over held-out and in-distribution sources and their
  ratio (None unless both kinds are present); probes are left out."""
  sources = [r for r in rows if not r.get("probe", False)]
  held = [r[column] for r in sources if r["held out"]]
  seen = [r[column] for r in sources if not r["held out"]]
  if not held or not seen:
    return None
  return {"held_out": float(np.mean(held)),
          "in_distribution": float(np.mean(seen)),
          "ratio": float(np.mean(held) / np.mean(seen))}


def leave_out_cost(rows: Sequence[Dict], reference: Sequence[Dict],
                   column: str = "detector-like PA-MPJPE") -> Dict[str, float]:
  """The held-out sources' mean `column` in `rows` (a leave-out run) over
  their mean in `reference` (a run that trained on them, evaluated on the
  same sets): how much leaving them out costs, apart from how hard they
  are. Raises if `reference` lacks a held-out source."""
  held = [r for r in rows if r["held out"] and not r.get("probe", False)]
  by_name = {r["source"]: r for r in reference}
  missing = [r["source"] for r in held if r["source"] not in by_name]
  if not held or missing:
    raise ValueError(f"reference rows lack held-out sources {missing}"
                     if missing else "rows have no held-out source.")
  mean = float(np.mean([r[column] for r in held]))
  ref = float(np.mean([by_name[r["source"]][column] for r in held]))
  return {"reference_held_out": ref, "leave_out_cost": mean / ref}


def format_rows(rows: Sequence[Dict]) -> str:
  """A Markdown table of `evaluate_sources` rows (millimetres)."""
  names = [k for k in rows[0]
           if k not in ("source", "held out", "probe", "N")]
  lines = ["| source | held out | N | " + " | ".join(
      f"{n} (mm)" for n in names) + " |",
           "|" + "---|" * (len(names) + 3)]
  for r in rows:
    kind = ("probe" if r.get("probe", False) else
            "yes" if r["held out"] else "")
    lines.append(f"| {r['source']} | {kind} | "
                 f"{r['N']} | " + " | ".join(f"{r[n]:.1f}" for n in names)
                 + " |")
  return "\n".join(lines)
