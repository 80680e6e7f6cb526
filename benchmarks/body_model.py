"""Benchmark: body-model forward and forward+backward, optionally vs smplx.

    python -m benchmarks.body_model [--compare_smplx] [--model=PATH]

Default model: a synthetic model with SMPL's sizes (6890 vertices, 13776
faces, 24 joints, 10 betas, 207 posedirs present), written to an SMPL-style
.pkl that both this library and smplx load, so both run the same file. Pass
--model for a real SMPL file or --model=bundled for the open model.

forward+backward = gradient of a scalar of the vertices with respect to θ
(axis-angle, as smplx takes it) and β. Timings: median of --runs calls after
warm-up, float32, CPU; ours inside one `tf.function` per batch size.
Compare only within one run: these machines are shared.
"""

import os
import tempfile

from absl import app
from absl import flags
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # pylint: disable=g-import-not-at-top

from benchmarks import timing  # pylint: disable=g-import-not-at-top
from body import assets as assets_lib  # pylint: disable=g-import-not-at-top
from body import bundled  # pylint: disable=g-import-not-at-top
from body import keypoints  # pylint: disable=g-import-not-at-top
from body import lbs  # pylint: disable=g-import-not-at-top
from body import model_file  # pylint: disable=g-import-not-at-top

_MODEL = flags.DEFINE_string(
    "model", "", "Model file (.pkl/.npz), 'bundled', or empty for a "
    "synthetic SMPL-size model.")
_BATCHES = flags.DEFINE_list("batches", ["1", "64", "512"], "Batch sizes.")
_RUNS = flags.DEFINE_integer("runs", 20, "Timed runs per measurement.")
_COMPARE = flags.DEFINE_bool("compare_smplx", False,
                             "Also time smplx (needs torch and smplx).")
_XLA = flags.DEFINE_bool("xla", False, "Compile ours with XLA.")


def synthetic_smpl_size(seed=0) -> assets_lib.BodyAssets:
  """Random but valid assets with the official SMPL model's sizes."""
  rng = np.random.default_rng(seed)
  num_v, num_j, num_f = 6890, 24, 13776
  weights = np.zeros((num_v, num_j))
  for v in range(num_v):  # 4 influences per vertex, as in SMPL.
    js = rng.choice(num_j, 4, replace=False)
    weights[v, js] = rng.dirichlet(np.ones(4))
  j_regressor = np.zeros((num_j, num_v))
  for j in range(num_j):
    vs = rng.choice(num_v, 20, replace=False)
    j_regressor[j, vs] = 1.0 / 20
  return assets_lib.BodyAssets(
      v_template=rng.normal(scale=0.3, size=(num_v, 3)),
      shapedirs=rng.normal(scale=0.01, size=(num_v, 3, 10)),
      posedirs=rng.normal(scale=0.01, size=(num_v, 3, 207)),
      j_regressor=j_regressor, weights=weights,
      parents=np.array(keypoints.SMPL_PARENTS),
      faces=rng.integers(0, num_v, size=(num_f, 3)), name="smpl_size")


def time_ours(assets, batch, runs, xla):
  rng = np.random.default_rng(1)
  theta = tf.constant(rng.normal(scale=0.3, size=(batch, 72)), tf.float32)
  betas = tf.constant(rng.normal(size=(batch, 10)), tf.float32)

  @tf.function(jit_compile=xla)
  def fwd(t, b):
    return lbs.forward_axis_angle(assets, b, t).vertices

  @tf.function(jit_compile=xla)
  def fwd_bwd(t, b):
    with tf.GradientTape() as tape:
      tape.watch([t, b])
      loss = tf.reduce_sum(lbs.forward_axis_angle(assets, b, t).vertices)
    return tape.gradient(loss, [t, b])

  f = timing.median_ms(lambda: fwd(theta, betas).numpy(), runs)
  fb = timing.median_ms(
      lambda: [g.numpy() for g in fwd_bwd(theta, betas)], runs)
  return f, fb


def time_smplx(pkl_path, batch, runs):
  import smplx  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  model = smplx.SMPL(model_path=pkl_path, batch_size=batch)
  rng = np.random.default_rng(1)
  theta = torch.tensor(rng.normal(scale=0.3, size=(batch, 72)),
                       dtype=torch.float32)
  betas = torch.tensor(rng.normal(size=(batch, 10)), dtype=torch.float32)

  def fwd():
    with torch.no_grad():
      return model(betas=betas, global_orient=theta[:, :3],
                   body_pose=theta[:, 3:]).vertices

  def fwd_bwd():
    t = theta.clone().requires_grad_(True)
    b = betas.clone().requires_grad_(True)
    out = model(betas=b, global_orient=t[:, :3], body_pose=t[:, 3:])
    out.vertices.sum().backward()
    return t.grad, b.grad

  return timing.median_ms(fwd, runs), timing.median_ms(fwd_bwd, runs)


def smplx_agreement(assets, pkl_path, batch=8) -> float:
  """Max |ours − smplx| vertex difference (mm) on random θ, β, float64."""
  import smplx  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  model = smplx.SMPL(model_path=pkl_path, batch_size=batch,
                     dtype=torch.float64)
  rng = np.random.default_rng(2)
  theta = rng.normal(scale=0.5, size=(batch, 72))
  betas = rng.normal(size=(batch, 10))
  theirs = model(betas=torch.tensor(betas), global_orient=torch.tensor(
      theta[:, :3]), body_pose=torch.tensor(theta[:, 3:])).vertices
  ours = lbs.forward_axis_angle(assets, betas, tf.constant(theta)).vertices
  return float(np.abs(ours.numpy() - theirs.detach().numpy()).max() * 1e3)


def main(argv):
  del argv
  if _MODEL.value == "bundled":
    assets = bundled.load()
  elif _MODEL.value:
    assets = model_file.load(_MODEL.value)
  else:
    assets = synthetic_smpl_size()
  tmp = tempfile.mkdtemp()
  pkl = os.path.join(tmp, "SMPL_NEUTRAL.pkl")
  model_file.save_pkl(assets, pkl)
  print(f"model {assets.name}: V={assets.num_vertices} "
        f"F={assets.num_faces} posedirs="
        f"{'yes' if assets.posedirs is not None else 'no'}; "
        f"{timing.machine()}; TF {tf.__version__}; "
        f"threads intra={tf.config.threading.get_intra_op_parallelism_threads()}")
  rows, figures = [], {}
  if _COMPARE.value:
    diff = smplx_agreement(assets, pkl)
    print(f"smplx loads our exported .pkl; max vertex difference vs ours: "
          f"{diff:.2e} mm (float64, 8 random bodies)")
    figures["smplx_max_vertex_diff_mm"] = diff
  for batch in [int(b) for b in _BATCHES.value]:
    f, fb = time_ours(assets, batch, _RUNS.value, _XLA.value)
    row = [batch, f, fb]
    figures[f"ours_fwd_ms_b{batch}"] = round(f, 3)
    figures[f"ours_fwd_bwd_ms_b{batch}"] = round(fb, 3)
    if _COMPARE.value:
      sf, sfb = time_smplx(pkl, batch, _RUNS.value)
      row += [sf, sfb, sf / f, sfb / fb]
      figures[f"smplx_fwd_ms_b{batch}"] = round(sf, 3)
      figures[f"smplx_fwd_bwd_ms_b{batch}"] = round(sfb, 3)
      figures[f"speedup_fwd_b{batch}"] = round(sf / f, 2)
      figures[f"speedup_fwd_bwd_b{batch}"] = round(sfb / fb, 2)
    rows.append(row)
  headers = ["batch", "ours fwd ms", "ours fwd+bwd ms"]
  if _COMPARE.value:
    headers += ["smplx fwd ms", "smplx fwd+bwd ms", "fwd ×", "fwd+bwd ×"]
  timing.print_table(headers, rows)
  figures["peak_rss_mb"] = round(timing.peak_rss_mb(), 1)
  timing.print_json(figures)


if __name__ == "__main__":
  app.run(main)
