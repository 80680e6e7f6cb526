r"""Human2D speed: inference img/s per preset at batch 1 and 16, next to the
bare Keras network in the same run (the CPU limit of this architecture), and
training img/s.

    python -m benchmarks.human2d [--presets=small,paper] [--repeats=5]

Columns:
  bare        `model(x, training=False)` inside one `tf.function`: the
              convolutions and nothing else.
  inference   `human2d.inference.Human2D.predict(crops, flip_test=False)`:
              the network, the last stack's heatmaps, softmax silhouette and
              sub-pixel decoding — what the pipeline runs per crop.
  ratio       inference / bare (the issue's target: ≥ 0.9).
  flip test   `predict(crops)` with the flip test (twice the network).
  train       one optimiser step (Adam) of the full loss on a fixed batch.
  train bf16  the same under `--precision=mixed_bfloat16` (bfloat16
              activations, float32 weights; `human2d.training.dtype_policy`).
Median of `--repeats` timed calls after one warm-up call; random inputs.
Prints a table and ends with one JSON line.
"""

import json

from absl import app
from absl import flags
import keras
import numpy as np
import tensorflow as tf

from benchmarks import timing
from human2d import config as config_lib
from human2d import hourglass
from human2d import inference
from human2d import losses
from human2d import training

flags.DEFINE_list("presets", ["small", "paper"], "Presets to time.")
flags.DEFINE_list("batch_sizes", ["1", "16"], "Inference batch sizes.")
flags.DEFINE_integer("train_batch", 16, "Training batch size.")
flags.DEFINE_integer("repeats", 5, "Timed calls per figure (median).")


def _rate(fn, batch: int, repeats: int) -> float:
  return batch / (timing.median_ms(fn, repeats, warmup=1) / 1e3)


def measure(name: str, batch_sizes, train_batch: int, repeats: int):
  cfg = config_lib.PRESETS[name]
  model = hourglass.build(cfg)
  net = inference.Human2D(model, cfg)
  s = cfg.input_size
  row = {"preset": name, "params": model.count_params()}
  bare = tf.function(lambda x: model(x, training=False))
  plain = tf.function(lambda x: net.predict(x, flip_test=False))
  flip = tf.function(lambda x: net.predict(x, flip_test=True))
  for b in batch_sizes:
    x = tf.random.uniform([b, s, s, 3], 0, 255)
    row[f"bare_b{b}"] = _rate(lambda: bare(x), b, repeats)
    row[f"inference_b{b}"] = _rate(lambda: plain(x), b, repeats)
    row[f"flip_b{b}"] = _rate(lambda: flip(x), b, repeats)
    row[f"ratio_b{b}"] = row[f"inference_b{b}"] / row[f"bare_b{b}"]
  repeats = max(2, repeats // 2)
  row["train"] = _train_rate(model, cfg, train_batch, repeats)
  with training.dtype_policy("mixed_bfloat16"):
    mixed = hourglass.build(cfg)
  row["train_bf16"] = _train_rate(mixed, cfg, train_batch, repeats)
  return row


def _train_rate(model, cfg, train_batch: int, repeats: int) -> float:
  """Training img/s: one Adam step of the full loss on a fixed batch."""
  opt = keras.optimizers.Adam(1e-4)
  m, k, s = cfg.heatmap_size, cfg.num_keypoints, cfg.input_size
  batch = {"heatmaps": tf.zeros([train_batch, m, m, k]),
           "weights": tf.ones([train_batch, k]),
           "silhouette": tf.zeros([train_batch, m, m]),
           "has_silhouette": tf.ones([train_batch])}
  x = tf.random.uniform([train_batch, s, s, 3], 0, 255)

  @tf.function
  def step():
    with tf.GradientTape() as tape:
      hm, sil = model(x, training=True)
      loss = losses.total(hm, sil, batch)["total"]
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))

  return _rate(step, train_batch, repeats)


def main(argv):
  del argv
  f = flags.FLAGS
  sizes = [int(b) for b in f.batch_sizes]
  rows = [measure(p, sizes, f.train_batch, f.repeats) for p in f.presets]
  print(f"Human2D img/s; {timing.machine()}; TF {tf.__version__}; "
        f"256² crops; median of {f.repeats}")
  head = ["preset", "params"]
  for b in sizes:
    head += [f"bare b{b}", f"inference b{b}", f"ratio b{b}", f"flip b{b}"]
  head += [f"train b{f.train_batch}", f"train bf16 b{f.train_batch}"]
  print("| " + " | ".join(head) + " |")
  print("|---" * len(head) + "|")
  for r in rows:
    cells = [r["preset"], f"{r['params'] / 1e6:.2f} M"]
    for b in sizes:
      cells += [f"{r[f'bare_b{b}']:.1f}", f"{r[f'inference_b{b}']:.1f}",
                f"{r[f'ratio_b{b}']:.2f}", f"{r[f'flip_b{b}']:.1f}"]
    cells += [f"{r['train']:.1f}", f"{r['train_bf16']:.1f}"]
    print("| " + " | ".join(cells) + " |")
  print(json.dumps({"benchmark": "human2d", "rows": rows}))


if __name__ == "__main__":
  np.set_printoptions(precision=3)
  app.run(main)
