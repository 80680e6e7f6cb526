"""Training with strategy "multi_worker": two processes on localhost.

Each process runs `python -m priors.train --strategy=multi_worker` with its
own TF_CONFIG, as users run it on several machines. Skipped (with the reason)
when two localhost ports cannot be bound.
"""

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np

from body import toy
from priors import config as config_lib
from priors import data
from priors import pose_prior
from priors import training
from tests import testing

# About 30 s on an idle 2-core machine (most of it two TensorFlow imports and
# traces); the limit leaves room for a loaded one.
_TIMEOUT_S = 600


def _free_ports(count):
  """`count` localhost ports free a moment ago (bound to port 0, closed)."""
  sockets = []
  try:
    for _ in range(count):
      s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
      s.bind(("localhost", 0))
      sockets.append(s)
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


def _weights(path, cfg):
  model = pose_prior.PosePrior(cfg.pose_model)
  model.load_weights(path)
  return [(w.name, w.numpy()) for w in model.weights]


class MultiWorkerTest(testing.TestCase):

  def test_two_workers_train_like_one_device(self):
    try:
      ports = _free_ports(2)
    except OSError as e:
      self.skipTest(f"cannot bind localhost ports for two workers: {e}")
    root = self.create_tempdir().full_path
    arrays_path = os.path.join(root, "arrays.npz")
    data.save_arrays(arrays_path,
                     data.generate_arrays(toy.make_assets(), 24, 0, chunk=24))
    model_dir = os.path.join(root, "run")
    # Clean inputs and no dropout: the two runs then see the same examples
    # and differ only by where sums are taken.
    flags = ["--prior=pose", f"--model_dir={model_dir}", "--body_model=toy",
             f"--data={arrays_path}", "--noise_sigma=0", "--clean_fraction=1",
             "--hidden_units=16", "--dropout=0", "--batch_size=8",
             "--num_steps=7", "--checkpoint_every=3", "--log_every=3",
             "--image_every=3", "--vertex_start=1",
             "--strategy=multi_worker"]
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.getcwd())
    procs, logs = [], []
    start = time.time()
    for index in range(2):
      env["TF_CONFIG"] = json.dumps(
          {"cluster": cluster, "task": {"type": "worker", "index": index}})
      log = open(os.path.join(root, f"worker{index}.log"), "w+")
      logs.append(log)
      procs.append(subprocess.Popen(
          [sys.executable, "-m", "priors.train"] + flags, env=env,
          stdout=log, stderr=subprocess.STDOUT))
    try:
      codes = [p.wait(timeout=_TIMEOUT_S) for p in procs]
    finally:
      for p in procs:
        if p.poll() is None:
          p.kill()
    texts = []
    for log in logs:
      log.seek(0)
      texts.append(log.read()[-3000:])
      log.close()
    self.assertEqual(codes, [0, 0], "\n\n".join(texts))
    seconds = time.time() - start

    # Only the chief wrote the run's directory (the binary writes the same
    # provenance.json on every worker, write-then-rename).
    self.assertCountEqual(
        os.listdir(model_dir),
        ["config.json", "checkpoints", "train", "pose_prior.weights.h5",
         "provenance.json"])
    self.assertCountEqual(
        [n for n in os.listdir(os.path.join(model_dir, "checkpoints"))
         if n.endswith(".index")],
        ["ckpt-3.index", "ckpt-6.index", "ckpt-7.index"])
    cfg = config_lib.load_json(os.path.join(model_dir, "config.json"))
    self.assertEqual(cfg.strategy, "multi_worker")

    # One process, one device, the same global batches: the same weights,
    # BatchNorm moving statistics included (synchronized over the workers;
    # each worker's own 4 examples would give other statistics).
    single = training.train(
        dataclasses.replace(cfg, strategy="default",
                            model_dir=os.path.join(root, "single")),
        arrays=data.load_arrays(arrays_path))
    got = _weights(os.path.join(model_dir, "pose_prior.weights.h5"), cfg)
    expected = _weights(single.weights_path, cfg)
    self.assertEqual([n for n, _ in got], [n for n, _ in expected])
    self.assertLen([n for n, _ in got if n.startswith("moving")], 8)
    # Sums in another order differ by rounding, which Adam magnifies where a
    # gradient is noise around 0 (the biases before BatchNorm): up to ~5e-5
    # after 7 steps. Unsynchronized BatchNorm, or clipping each replica's
    # gradient instead of the global one, moves weights by ~1e-3.
    for (name, a), (_, b) in zip(got, expected):
      np.testing.assert_allclose(a, b, rtol=1e-3, atol=2e-4, err_msg=name)
    print(f"two workers: {seconds:.1f} s")


if __name__ == "__main__":
  testing.main()
