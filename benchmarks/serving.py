r"""Image → mesh throughput in-process, through the SavedModel and through
`pipeline.serve`; and a mixed good/bad request run against the server.

    nice -n 19 python -m benchmarks.serving [--clients=1,8,32]
        [--batch_sizes=1,16] [--requests=200] [--seconds=30]
        [--export_dir=DIR] [--mixed_requests=10000 [--only_mixed]]

Exports the shipped model (`pipeline.serving_model`, flip test on) to a
temporary directory unless `--export_dir` holds one, then prints:

  1. img/s at each batch size of: Human2D alone (`Human2D.predict`, flip
     test, in a `tf.function`); `BodyFromImage.predict_crops` (crops →
     θ, β, camera, mesh, keypoints in image pixels); the SavedModel's
     `image_tensor` (uint8 crops → parameters) and `vertices` (JPEG bytes →
     decode, crop, mesh) signatures loaded in this process. Median of
     `--repeats` calls, the paths interleaved; random crops / 256² JPEG
     noise (speed only).
  2. requests/s of `python -m pipeline.serve --batching` (a subprocess) on
     the export under C concurrent keep-alive clients, each request one
     JPEG to `serving_default` answered 200 with the right θ, and its ratio
     to the in-process SavedModel `serving_default` at the largest batch.
  3. with `--mixed_requests=N`: N requests from 8 clients, every
     `--good_every`-th good, the rest bad (`serving_clients.bad_probes`:
     malformed JSON, wrong shapes and dtypes, non-image and invalid
     base64, an unknown signature, bodies over the server's limit). A
     failure: a good request not answered 200 with the right θ, a bad one
     not answered 4xx, or the server dead at the end. `--only_mixed`
     skips sections 1 and 2 (e.g. on a busy machine, where throughput
     figures mean little).

The last line is one JSON object.
"""

import os
import tempfile
import time

from absl import app
from absl import flags
import cv2
import numpy as np
import tensorflow as tf

from benchmarks import serving_clients as clients_lib
from benchmarks import timing
from pipeline import crop as crop_lib
from pipeline import model as model_lib
from pipeline import rest_api
from pipeline import serving_model

flags.DEFINE_list("clients", ["1", "8", "32"], "Concurrent clients.")
flags.DEFINE_list("batch_sizes", ["1", "16"], "In-process batch sizes.")
flags.DEFINE_integer("repeats", 5, "Timed calls per in-process figure.")
flags.DEFINE_integer("requests", 200, "Requests per server row (at most).")
flags.DEFINE_float("seconds", 30.0, "Seconds per server row (at most).")
flags.DEFINE_float("batch_timeout_ms", 5.0, "Server's batch timeout.")
flags.DEFINE_string("export_dir", "", "An existing export (base directory "
                    "with version subdirectories); empty: export now.")
flags.DEFINE_integer("mixed_requests", 0, "Requests of the good/bad mix; "
                     "0: skip.")
flags.DEFINE_integer("good_every", 3, "In the mixed run, every n-th request "
                     "is good, the others bad.")
flags.DEFINE_bool("only_mixed", False, "Run only the mixed run.")
flags.DEFINE_float("max_body_mb", 1.0, "Server's body limit in the mixed "
                   "run (oversize requests exceed it).")

NAME = "body3d"
PATH = f"/v1/models/{NAME}:predict"


def _jpegs(rng, n: int):
  return [cv2.imencode(".jpg", rng.integers(0, 255, (256, 256, 3),
                                            dtype=np.uint8))[1].tobytes()
          for _ in range(n)]


def in_process(model: model_lib.BodyFromImage, loaded, batch_sizes, repeats,
               rng):
  """Rows of section 1 and {(name, batch): img/s}."""
  s = model.crop_size
  h2d = tf.function(lambda c: model.human2d.predict(c, model.flip_test))
  rates = {}
  for b in batch_sizes:
    crops_np = rng.integers(0, 255, (b, s, s, 3), dtype=np.uint8)
    crops = [crop_lib.Crop(c, np.array([[1, 0, 0], [0, 1, 0]], np.float32),
                           np.array([s / 2, s / 2], np.float32), float(s),
                           np.zeros(4, np.float32)) for c in crops_np]
    jpegs = tf.constant(_jpegs(rng, b))
    as_float = tf.constant(crops_np, tf.float32)
    as_uint8 = tf.constant(crops_np)
    fns = {
        "Human2D alone": lambda: h2d(as_float).keypoints.xy.numpy(),
        "BodyFromImage.predict_crops": lambda: model.predict_crops(
            crops, [[s, s]] * b),
        "SavedModel image_tensor": lambda: loaded.signatures["image_tensor"](
            crops=as_uint8)["theta"].numpy(),
        "SavedModel vertices (JPEG)": lambda: loaded.signatures["vertices"](
            image_bytes=jpegs)["vertices"].numpy(),
        "SavedModel serving_default (JPEG)": lambda: loaded.signatures[
            "serving_default"](image_bytes=jpegs)["theta"].numpy(),
    }
    for fn in fns.values():                  # Warm-up (and tracing).
      fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):                 # Interleaved: a shared CPU's
      for name, fn in fns.items():           # load hits every path alike.
        t0 = time.perf_counter()
        fn()
        times[name].append(time.perf_counter() - t0)
    for name, t in times.items():
      rates[(name, b)] = b / float(np.median(t))
  names = sorted({n for n, _ in rates}, key=list(fns).index)
  rows = [[n] + [rates[(n, b)] for b in batch_sizes] for n in names]
  return rows, rates


def _good_probes(loaded, rng):
  """8 good requests (JPEGs) with the θ the in-process export gives them."""
  jpegs = _jpegs(rng, 8)
  thetas = loaded.signatures["serving_default"](
      image_bytes=tf.constant(jpegs))["theta"].numpy()
  return [clients_lib.good_probe(j, t) for j, t in zip(jpegs, thetas)]


def served(export_dir, loaded, client_counts, requests, seconds, timeout_ms,
           rng):
  """Rows of section 2: (clients, req/s, median ms, failures)."""
  probes = _good_probes(loaded, rng)
  port = clients_lib.free_port()
  process = clients_lib.start_server(export_dir, NAME, port, [
      "--batching", f"--batch_timeout_ms={timeout_ms}"])
  rows = []
  try:
    clients_lib.run_clients(port, PATH, probes * 2, 2)       # warm-up
    for c in client_counts:
      rate, latency, failures = clients_lib.run_clients(
          port, PATH, [probes[i % 8] for i in range(requests)], c, seconds)
      rows.append([c, rate, latency, len(failures)])
  finally:
    process.terminate()
    process.wait(timeout=60)
  return rows


def mixed(export_dir, loaded, total, good_every, crop_size, max_body_mb,
          rng):
  """Section 3: (counts by kind, failures by kind, server alive)."""
  good = _good_probes(loaded, rng)
  bad = clients_lib.bad_probes(rng, crop_size,
                               int(1.5 * max_body_mb * 1024 * 1024))
  probes = [good[i % len(good)] if i % good_every == 0
            else bad[i % len(bad)] for i in range(total)]
  port = clients_lib.free_port()
  process = clients_lib.start_server(export_dir, NAME, port, [
      "--batching", f"--max_body_mb={max_body_mb}"])
  try:
    start = time.perf_counter()
    _, _, failures = clients_lib.run_clients(port, PATH, probes, 8)
    elapsed = time.perf_counter() - start
    alive = process.poll() is None and clients_lib.alive(port, NAME)
  finally:
    process.terminate()
    process.wait(timeout=60)
  counts, failed = {}, {}
  for p in probes:
    counts[p.kind] = counts.get(p.kind, 0) + 1
  for kind, _ in failures:
    failed[kind] = failed.get(kind, 0) + 1
  return counts, failed, alive, elapsed, failures[:5]


def main(argv):
  del argv
  f = flags.FLAGS
  rng = np.random.default_rng(0)
  batch_sizes = [int(b) for b in f.batch_sizes]
  model = model_lib.BodyFromImage.load()
  export_dir = f.export_dir
  if not export_dir:
    export_dir = tempfile.mkdtemp()
    t0 = time.perf_counter()
    serving_model.export(model, export_dir)
    print(f"exported to {export_dir} in {time.perf_counter() - t0:.0f} s")
  loaded = tf.saved_model.load(rest_api.find_version(export_dir)[0])
  print(f"machine: {timing.machine()}")
  figures = {}
  if not f.only_mixed:
    _throughput(f, model, loaded, export_dir, batch_sizes, rng, figures)
  if f.mixed_requests:
    counts, failed, alive, elapsed, examples = mixed(
        export_dir, loaded, f.mixed_requests, f.good_every, model.crop_size,
        f.max_body_mb, rng)
    print(f"\n{f.mixed_requests} mixed requests from 8 clients in "
          f"{elapsed:.0f} s; server alive at the end: {alive}")
    timing.print_table(["kind", "requests", "failed"],
                       [[k, n, failed.get(k, 0)] for k, n in counts.items()])
    for example in examples:
      print("failure:", example)
    figures["mixed_requests"] = f.mixed_requests
    figures["mixed_failures"] = sum(failed.values()) + (0 if alive else 1)
  timing.print_json(figures)


def _throughput(f, model, loaded, export_dir, batch_sizes, rng, figures):
  """Sections 1 and 2 into `figures`."""
  rows, rates = in_process(model, loaded, batch_sizes, f.repeats, rng)
  print("\nimage → mesh, img/s (flip test on; median of "
        f"{f.repeats} calls)")
  timing.print_table(["path"] + [f"batch {b}" for b in batch_sizes], rows)
  big = max(batch_sizes)
  ratio = rates[("BodyFromImage.predict_crops", big)] / rates[
      ("Human2D alone", big)]
  print(f"BodyFromImage / Human2D at batch {big}: {ratio:.2f} "
        f"(target ≥ 0.87)")
  figures["chain_over_human2d"] = round(ratio, 3)
  for (name, b), r in rates.items():
    figures[f"{name}, batch {b}, img/s"] = round(r, 2)
  base = rates[("SavedModel serving_default (JPEG)", big)]
  rows = served(export_dir, loaded, [int(c) for c in f.clients], f.requests,
                f.seconds, f.batch_timeout_ms, rng)
  print(f"\npipeline.serve --batching, 1 JPEG per request to "
        f"serving_default, ≤ {f.requests} requests or {f.seconds} s per row")
  timing.print_table(
      ["clients", "requests/s", "median latency (ms)", "failed",
       f"÷ in-process SavedModel batch {big}"],
      [r + [r[1] / base] for r in rows])
  for r in rows:
    figures[f"server, {r[0]} clients, req/s"] = round(r[1], 2)
    figures[f"server, {r[0]} clients, ratio"] = round(r[1] / base, 3)


if __name__ == "__main__":
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  app.run(main)
