"""Benchmark of synthetic data generation: samples per second.

    python -m benchmarks.synth                     # in-process only
    /work/beam-venv/bin/python -m benchmarks.synth --beam   # + DirectRunner

Rows: (1) `SampleGenerator.generate` alone (θ, β, camera, keypoints,
visibility, 64² silhouette), (2) + serialization to tf.train.Example, (3) the
whole in-process job (`generation.generate`, TFRecord files), (4) with --beam,
the Beam DirectRunner with 2 workers (multi_processing), start-up included.
Median of --runs, per wall second and per CPU second of this process (all
its threads; steadier when other jobs share the cores). The body is the bundled model if present; otherwise a
stand-in of similar size: the toy body with each triangle split in 4, three
times (10,808 vertices, 21,504 faces; SMPL has 6,890 / 13,776). Ends with one
line of JSON.
"""

import os
import shutil
import statistics
import tempfile
import time

from absl import app
from absl import flags
import numpy as np

from benchmarks import timing
from body import assets as assets_lib
from body import toy
from synth import generation
from synth import record
from synth import sample

_BATCH = flags.DEFINE_integer("batch", 256, "Samples per generator call.")
_NUM = flags.DEFINE_integer("num_samples", 2048, "Samples per job run.")
_RUNS = flags.DEFINE_integer("runs", 3, "Timed runs (median reported).")
_BEAM = flags.DEFINE_bool("beam", False, "Also time the Beam DirectRunner.")
_CELL = flags.DEFINE_float("proxy_cell", sample.SampleConfig().proxy_cell,
                           "Proxy cell, metres.")


def subdivide(assets: assets_lib.BodyAssets, levels: int
              ) -> assets_lib.BodyAssets:
  """Splits every triangle into 4 (edge midpoints), `levels` times."""
  for _ in range(levels):
    faces = np.asarray(assets.faces)
    edges = np.sort(np.concatenate(
        [faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    uniq, inv = np.unique(edges, axis=0, return_inverse=True)
    m = assets.num_vertices + inv.reshape(3, -1).T
    mid = lambda x: 0.5 * (x[uniq[:, 0]] + x[uniq[:, 1]])
    f0, f1, f2 = faces.T
    assets = assets_lib.BodyAssets(
        v_template=np.concatenate([assets.v_template, mid(assets.v_template)]),
        shapedirs=np.concatenate([assets.shapedirs, mid(assets.shapedirs)]),
        posedirs=np.concatenate([assets.posedirs, mid(assets.posedirs)]),
        j_regressor=np.concatenate([assets.j_regressor, np.zeros(
            (assets.j_regressor.shape[0], len(uniq)))], axis=1),
        weights=np.concatenate([assets.weights, mid(assets.weights)]),
        parents=assets.parents,
        faces=np.concatenate([
            np.stack([f0, m[:, 0], m[:, 2]], 1),
            np.stack([m[:, 0], f1, m[:, 1]], 1),
            np.stack([m[:, 2], m[:, 1], f2], 1),
            np.stack([m[:, 0], m[:, 1], m[:, 2]], 1)]),
        landmarks=assets.landmarks, name="toy_x64")
  return assets


def body_model():
  from body import bundled  # pylint: disable=g-import-not-at-top
  if os.path.isfile(bundled.PATH):
    return bundled.load(), ""
  return subdivide(toy.make_assets(), 3), None


def _median_rate(fn, n, runs):
  """Median (samples per wall second, samples per CPU second of this
  process, all threads): the second is steadier on a shared machine."""
  rates, cpu_rates = [], []
  for _ in range(runs):
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    rates.append(n / (time.perf_counter() - start))
    cpu_rates.append(n / max(time.process_time() - cpu, 1e-9))
  return statistics.median(rates), statistics.median(cpu_rates)


def main(argv):
  del argv
  assets, spec = body_model()
  config = sample.SampleConfig(proxy_cell=_CELL.value)
  generator = sample.SampleGenerator(assets, config)
  rng = np.random.default_rng(0)
  b = _BATCH.value
  generator.generate(rng, b)                          # Trace the body model.
  rows = []
  rate = _median_rate(lambda: generator.generate(rng, b), b, _RUNS.value)
  rows.append(["generate (params + keypoints + 64² silhouette)", b, *rate])
  rate = _median_rate(lambda: record.serialize(generator.generate(rng, b)), b,
                      _RUNS.value)
  rows.append(["generate + tf.train.Example", b, *rate])
  job = generation.GenerationConfig(
      sample=config, num_samples=_NUM.value, num_shards=4, batch_size=b,
      body_model="toy" if spec is None else spec)
  tmp = tempfile.mkdtemp()

  def run_job():
    out = os.path.join(tmp, "job")
    shutil.rmtree(out, ignore_errors=True)
    generation.generate(job, out, assets=assets)

  rate = _median_rate(run_job, _NUM.value, _RUNS.value)
  rows.append(["in-process job (4 TFRecord shards)", _NUM.value, *rate])
  figures = {"samples_per_s_generate": round(rows[0][2], 1),
             "samples_per_s_job": round(rate[0], 1),
             "samples_per_cpu_s_job": round(rate[1], 1)}
  if _BEAM.value:
    if spec is None:
      # Workers load the model by path: write the stand-in to a file.
      from body import model_file  # pylint: disable=g-import-not-at-top
      path = os.path.join(tmp, "standin.pkl")
      model_file.save_pkl(assets, path)
      job = generation.GenerationConfig(
          sample=config, num_samples=_NUM.value, num_shards=4, batch_size=b,
          body_model=path)
    from synth import beam_pipeline  # pylint: disable=g-import-not-at-top

    def run_beam():
      out = os.path.join(tmp, "beam")
      shutil.rmtree(out, ignore_errors=True)
      beam_pipeline.run(job, out, [
          "--runner=DirectRunner", "--direct_num_workers=2",
          "--direct_running_mode=multi_processing"])

    rate = _median_rate(run_beam, _NUM.value, _RUNS.value)
    rows.append(["Beam DirectRunner, 2 workers (incl. start-up)", _NUM.value,
                 *rate])
    figures["samples_per_s_beam"] = round(rate[0], 1)
  shutil.rmtree(tmp, ignore_errors=True)
  print(f"body: {assets.name} ({assets.num_vertices} vertices, "
        f"{len(assets.faces)} faces); proxy cell {_CELL.value} m; "
        f"{timing.machine()}")
  timing.print_table(["path", "samples", "samples/s", "samples/CPU-s"],
                     rows)
  timing.print_json(figures)


if __name__ == "__main__":
  app.run(main)
