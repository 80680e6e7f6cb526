"""Benchmark of `render.camera.PerspectiveCamera.project` (guarded against
points behind the camera and non-finite points) against tensorflow_graphics'
unguarded `perspective.project`, forward and forward+backward.

    python -m benchmarks.camera [--batch=16 --points=6890 --runs=15]

Prints a table (median of --runs, each the mean of 20 calls of a
`tf.function`) and ends with one line of JSON.
"""

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf
from tensorflow_graphics.rendering.camera import perspective

from benchmarks import timing
from render import camera as camera_lib

_BATCH = flags.DEFINE_integer("batch", 16, "Point sets per batch B.")
_POINTS = flags.DEFINE_integer("points", 6890, "Points per set N.")
_RUNS = flags.DEFINE_integer("runs", 15, "Timed runs (median reported).")


def _with_gradient(project):
  def run(points):
    with tf.GradientTape() as tape:
      tape.watch(points)
      pixels = project(points)
    return tape.gradient(tf.reduce_sum(tf.square(pixels)), points)
  return run


def main(argv):
  del argv
  b, n = _BATCH.value, _POINTS.value
  rng = np.random.default_rng(0)
  points = tf.constant((rng.normal(size=(b, n, 3)) + [0.0, 0.0, 5.0])
                       .astype(np.float32))
  focal, center = tf.fill([b, 2], 1000.0), tf.fill([b, 2], 127.5)
  camera = camera_lib.PerspectiveCamera(focal=focal,
                                        principal_point=center)
  ours = camera.project
  tfg = lambda p: perspective.project(p, focal[:, None], center[:, None])
  rows, figures = [], {}
  for mode, wrap in (("fwd+bwd", _with_gradient), ("forward", lambda f: f)):
    times = {}
    for name, fn in (("ours", ours), ("tfg", tfg)):
      compiled = tf.function(wrap(fn))
      def call(compiled=compiled):
        for _ in range(20):
          compiled(points)
      times[name] = timing.median_ms(call, _RUNS.value) / 20
    ratio = times["ours"] / times["tfg"]
    rows.append([mode, f"{times['ours']:.3f}", f"{times['tfg']:.3f}",
                 f"{ratio:.2f}"])
    figures[f"{mode}_ours_ms"] = round(times["ours"], 4)
    figures[f"{mode}_tfg_ms"] = round(times["tfg"], 4)
    figures[f"{mode}_ratio"] = round(ratio, 3)
  print(f"B={b}, N={n}, {timing.machine()}")
  timing.print_table(["pass", "ours ms", "tfg ms", "ours / tfg"], rows)
  timing.print_json(figures)


if __name__ == "__main__":
  app.run(main)
