"""Fuzz cases over the public entry points, each judged by an oracle.

`run_case(context, seed, index)` draws case `index` of stream `seed` (a pure
function of both) from one of `FAMILIES` and returns a `Verdict`:

  ok               valid input, valid output (finite where the inputs are)
  error_named      bad input refused with the expected error type, whose
                   message names the argument or file (and the value where
                   the family asks for it)
  unclear_error    an unexpected error type, or a message that does not name
                   the argument / file
  unexpected_error valid input refused
  silent_nan       finite inputs, non-finite output
  wrong_result     out-of-range indices or damaged data accepted
(`crash`, the interpreter dying, is counted by benchmarks/fuzz.py, which runs
cases in child processes; `harness_error` is a bug of a case itself.)

Families: model_file (mutated and crafted .pkl / .npz), assets, lbs,
rotation, camera, raster (both rasterizers), pose_prior (PosePrior, flip
test, Priors), config (every float setting of the configs flags reach) and
dataset (damaged synth datasets read by priors.data).
"""

import os
import pickle
import shutil
import tempfile
from typing import Callable, NamedTuple, Tuple

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from body import lbs
from body import model_file
from body import rotation
from body import toy
from priors import config as priors_config
from priors import data as data_lib
from priors import inference
from priors import pose_prior
from priors import shape_prior
from render import camera
from render import primitives
from render import rasterizer
from render import soft_silhouette
from synth import corruption
from synth import framing
from synth import generation
from synth import record
from synth import shape_prior as synth_shape_prior

VERDICTS = ("ok", "error_named", "unclear_error", "unexpected_error",
            "silent_nan", "wrong_result", "crash", "harness_error")
BAD = VERDICTS[2:]


class Verdict(NamedTuple):
  family: str
  verdict: str
  detail: str


class Context:
  """Fixtures built once per process: files, models, a dataset."""

  def __init__(self, workdir: str):
    self.workdir = workdir
    self.assets = toy.make_assets()
    self.pkl = os.path.join(workdir, "valid.pkl")
    model_file.save_pkl(self.assets, self.pkl)
    with open(self.pkl, "rb") as f:
      self.pkl_bytes = f.read()
    d = model_file.to_smpl_dict(self.assets)
    d["J_regressor"] = d["J_regressor"].toarray()
    self.npz = os.path.join(workdir, "valid.npz")
    np.savez(self.npz, **d)
    with open(self.npz, "rb") as f:
      self.npz_bytes = f.read()
    vertices, faces = primitives.icosphere(1)
    self.sphere = (np.asarray(vertices, np.float32) * 4 + [6.0, 6.0, 0.0]
                   + [0.0, 0.0, 5.0]).astype(np.float32)
    self.faces = np.asarray(faces, np.int64)
    self.pose_model = pose_prior.PosePrior(
        pose_prior.PosePriorConfig(hidden_units=16))
    self.priors = inference.Priors(
        self.pose_model, shape_prior.ShapePrior(shape_prior.ShapePriorConfig(
            conv_channels=(4, 4, 4, 4, 4), hidden_units=8)), self.assets,
        keypoint_flip_pairs=None)
    self.dataset = os.path.join(workdir, "dataset")
    generation.generate(generation.GenerationConfig(
        num_samples=6, num_shards=2, batch_size=3, body_model="toy"),
                        self.dataset, assets=self.assets)
    self.dataset_arrays = data_lib.arrays_from_records(self.dataset)
    self.case_dir = os.path.join(workdir, "cases")
    os.makedirs(self.case_dir, exist_ok=True)


def _judge(family: str, call: Callable, errors: Tuple, tokens=(),
           valid: bool = False, check: Callable = lambda out: None
           ) -> Verdict:
  """Runs `call`: errors of `errors` must contain every token; outputs go
  through `check` (a verdict name or None)."""
  try:
    out = call()
  except errors as e:  # pylint: disable=catching-non-exception
    text = str(e)
    missing = [t for t in tokens if str(t) not in text]
    if missing:
      return Verdict(family, "unclear_error",
                     f"{type(e).__name__} lacks {missing}: {text[:300]}")
    return Verdict(family, "unexpected_error" if valid else "error_named",
                   f"{type(e).__name__}: {text[:160]}")
  except Exception as e:  # pylint: disable=broad-except
    return Verdict(family, "unexpected_error" if valid else "unclear_error",
                   f"{type(e).__name__}: {str(e)[:300]}")
  problem = check(out)
  if problem:
    return Verdict(family, problem[0], problem[1])
  return Verdict(family, "ok", "")


def _all_finite(*tensors) -> bool:
  return all(np.isfinite(np.asarray(t, np.float64)).all() for t in tensors)


def _magnitude(rng, lo=-8.0, hi=30.0) -> float:
  return float(10.0 ** rng.uniform(lo, hi))


# --- model files -----------------------------------------------------------

_DTYPES = [b"O8", b"V8", b"f8", b"U3", b"M8", b"i8", b"S0", b"f2", b"c16",
           b"b1", b"O", b"u4", b"f9", b"<f8"]
_GLOBALS = [b"numpy\nndarray", b"numpy\ndtype", b"builtins\nbytes",
            b"builtins\nset", b"os\nsystem", b"builtins\neval",
            b"numpy.core.multiarray\nscalar", b"copyreg\n_reconstructor",
            b"numpy\nload", b"scipy.sparse\ncsr_matrix"]


def _mutate(rng, data: bytes) -> bytes:
  data = bytearray(data)
  kind = rng.integers(6)
  if kind == 0:                                    # truncate
    return bytes(data[:rng.integers(len(data))])
  if kind == 1:                                    # flip bytes
    for _ in range(rng.integers(1, 8)):
      data[rng.integers(len(data))] ^= int(rng.integers(1, 256))
    return bytes(data)
  if kind == 2:                                    # splice random bytes
    at = int(rng.integers(len(data)))
    return bytes(data[:at]) + rng.bytes(int(rng.integers(1, 64))) + bytes(
        data[at:])
  if kind == 3:                                    # another dtype spec
    old = [b"f8", b"i8", b"u4", b"U1", b"U7"][rng.integers(5)]
    new = _DTYPES[rng.integers(len(_DTYPES))]
    return bytes(data).replace(b"X" + bytes([len(old), 0, 0, 0]) + old,
                               b"X" + bytes([len(new), 0, 0, 0]) + new, 1)
  if kind == 4:                                    # another global
    old = [b"numpy\nndarray", b"numpy\ndtype", b"_codecs\nencode"][
        rng.integers(3)]
    return bytes(data).replace(old, _GLOBALS[rng.integers(len(_GLOBALS))], 1)
  huge = int(rng.integers(1 << 30, 1 << 40))      # counted opcode lies
  opcode = [b"\x8e" + huge.to_bytes(8, "little"),
            b"B" + (huge & 0x7FFFFFFF).to_bytes(4, "little")][
                rng.integers(2)]
  return b"\x80\x04" + opcode + rng.bytes(int(rng.integers(0, 32))) + b"."


def case_model_file(ctx: Context, rng, index: int) -> Verdict:
  use_npz = rng.random() < 0.3
  base = ctx.npz_bytes if use_npz else ctx.pkl_bytes
  data = _mutate(rng, base)
  if not use_npz and rng.random() < 0.1:          # A crafted object array.
    data = pickle.dumps({"v_template": rng.normal(size=4)}, protocol=2
                        ).replace(b"X\x02\x00\x00\x00f8", b"X\x02\x00\x00\x00O8")
  path = os.path.join(ctx.case_dir, f"m{index}." + ("npz" if use_npz
                                                      else "pkl"))
  with open(path, "wb") as f:
    f.write(data)
  try:
    return _judge(
        "model_file", lambda: model_file.load(path),
        (model_file.ModelFileError, model_file.UnsafeModelFileError,
         assets_lib.InvalidAssetsError), tokens=[os.path.basename(path)],
        valid=data == base)
  finally:
    os.remove(path)


# --- assets ------------------------------------------------------------------

def case_assets(ctx: Context, rng, index: int) -> Verdict:
  del index
  a = ctx.assets
  fields = {f: getattr(a, f) for f in (
      "v_template", "shapedirs", "posedirs", "j_regressor", "weights",
      "parents", "faces")}
  name = ["faces", "faces", "v_template", "weights", "parents",
          "shapedirs"][rng.integers(6)]
  value = np.array(fields[name])
  expected_faces = None
  if name == "faces":
    value = value.astype([np.int64, np.uint64, np.int32][rng.integers(3)])
    offset = int([0, 2**32, 10**6, a.num_vertices][rng.integers(4)])
    if value.dtype == np.int32 and offset >= 2**31:
      offset = 10**6
    i, j = rng.integers(value.shape[0]), rng.integers(3)
    value[i, j] = value[i, j] + offset
    token = value[i, j]
    expected_faces = value
  elif name == "parents":
    value[rng.integers(1, len(value))] = int(rng.integers(-3, 40))
    token = "parent"
  else:
    flat = value.reshape(-1)
    flat[rng.integers(flat.size)] = [np.nan, np.inf, 1e3][rng.integers(3)]
    token = name if name != "weights" else "weights"
  fields[name] = value
  valid = name == "faces" and offset == 0

  def check(out):
    if expected_faces is not None and not np.array_equal(
        out.faces, expected_faces):
      return ("wrong_result", "faces changed on the way in")
    return None
  return _judge("assets", lambda: assets_lib.BodyAssets(**fields),
                (assets_lib.InvalidAssetsError,), tokens=[token],
                valid=valid, check=check)


# --- lbs, rotation, camera -------------------------------------------------

def case_lbs(ctx: Context, rng, index: int) -> Verdict:
  del index
  dtype = [np.float16, np.float32, np.float64][rng.integers(3)]
  top = 4.0 if dtype == np.float16 else 30.0
  b = int(rng.integers(1, 4))
  theta = (rng.normal(size=(b, 72)) * _magnitude(rng, -8, top)).astype(dtype)
  betas = (rng.normal(size=(b, 10)) * _magnitude(rng, -8, 4)).astype(dtype)
  transl = (rng.normal(size=(b, 3)) * _magnitude(rng, -8, min(top, 6))
            ).astype(dtype)
  bad_sample, check_finite = None, bool(rng.random() < 0.3)
  if rng.random() < 0.25:
    bad_sample = int(rng.integers(b))
    target = [theta, betas, transl][rng.integers(3)]
    target[bad_sample, rng.integers(target.shape[1])] = [np.nan, np.inf][
        rng.integers(2)]
  if rng.random() < 0.1:
    theta = theta[:, :int(rng.integers(1, 72))]
    return _judge("lbs", lambda: lbs.forward_axis_angle(
        ctx.assets, betas, theta, transl), (ValueError,), tokens=["theta"])

  def check(out):
    v = out.vertices.numpy()
    for s in range(b):
      if s != bad_sample and not _all_finite(v[s]):
        return ("silent_nan", f"sample {s} non-finite, dtype {dtype}")
    return None
  if bad_sample is not None and check_finite:
    return _judge("lbs", lambda: lbs.forward_axis_angle(
        ctx.assets, betas, theta, transl, check_finite=True),
                  (tf.errors.InvalidArgumentError,), tokens=["contains NaN"])
  return _judge("lbs", lambda: lbs.forward_axis_angle(
      ctx.assets, betas, theta, transl, check_finite=check_finite),
                (), valid=True, check=check)


def case_rotation(ctx: Context, rng, index: int) -> Verdict:
  del ctx, index
  dtype = [np.float16, np.float32, np.float64][rng.integers(3)]
  top = 4.0 if dtype == np.float16 else 30.0
  v = (rng.normal(size=(4, 3)) * _magnitude(rng, -30, top)).astype(dtype)

  def check(out):
    m = np.asarray(out, np.float64)
    if not _all_finite(m):
      return ("silent_nan", f"axis_angle_to_matrix {dtype} |v|~{abs(v).max()}")
    err = np.abs(m @ np.swapaxes(m, -1, -2) - np.eye(3)).max()
    if err > (1e-2 if dtype == np.float16 else 1e-4):
      return ("wrong_result", f"not a rotation (error {err})")
    back = rotation.matrix_to_axis_angle(tf.cast(out, tf.float32))
    if not _all_finite(back):
      return ("silent_nan", "matrix_to_axis_angle")
    return None
  return _judge("rotation", lambda: rotation.axis_angle_to_matrix(v), (),
                valid=True, check=check)


def case_camera(ctx: Context, rng, index: int) -> Verdict:
  del ctx, index
  points = rng.normal(size=(2, 8, 3)) * _magnitude(rng, -6, 6)
  points[..., 2] += rng.uniform(-2, 5)          # Some behind the camera.
  points = points.astype(np.float32)
  focal = float(_magnitude(rng, 0, 4))
  cam = camera.PerspectiveCamera(focal=[focal, focal],
                                 principal_point=[127.5, 127.5])
  weak = camera.WeakPerspectiveCamera(scale=[0.9, 1.1],
                                      translation=[[0.0, 0.1], [0.1, 0.0]],
                                      crop_size=256)
  use_weak = rng.random() < 0.3
  check = lambda out: None if _all_finite(out) else (
      "silent_nan", "projection of finite points")
  return _judge("camera", lambda: (weak if use_weak else cam).project(points),
                (), valid=True, check=check)


# --- rasterizers --------------------------------------------------------------

def case_raster(ctx: Context, rng, index: int) -> Verdict:
  del index
  verts = ctx.sphere + rng.normal(size=ctx.sphere.shape).astype(
      np.float32) * float(_magnitude(rng, -3, 1))
  if rng.random() < 0.2:
    verts[rng.integers(len(verts)), rng.integers(3)] = [np.nan, np.inf,
                                                        -1.0][rng.integers(3)]
  faces = ctx.faces.astype([np.int32, np.int64][rng.integers(2)])
  bad = rng.random() < 0.4
  token = "faces"
  if bad:
    offset = int([10**6, -10**6, 2**32, len(verts)][rng.integers(4)])
    if faces.dtype == np.int32 and abs(offset) >= 2**31:
      offset = 10**6
    i, j = rng.integers(len(faces)), rng.integers(3)
    faces[i, j] += offset
    token = faces[i, j]
  soft = rng.random() < 0.5
  # One case in ten runs the XLA kernels (compiled per padded problem size,
  # so slow to fuzz); the face check runs before either path.
  jit = bool(rng.random() < 0.1)
  if soft:
    settings = soft_silhouette.SoftSilhouetteSettings(image_size=(12, 12),
                                                      jit_compile=jit)
    call = lambda: soft_silhouette.soft_silhouette(verts[None], faces,
                                                   settings)
    check = lambda out: None if _all_finite(out) and (
        np.asarray(out).min() >= 0 and np.asarray(out).max() <= 1) else (
            "silent_nan", "soft silhouette outside [0, 1]")
  else:
    settings = rasterizer.RasterSettings(image_size=(12, 12),
                                         jit_compile=jit)
    call = lambda: rasterizer.rasterize(verts[None], faces, settings)
    check = lambda out: None if _all_finite(out.bary) and (
        np.asarray(out.face_ids).max() < len(faces)) else (
            "silent_nan", "hard rasterizer")
  return _judge("raster", call, (ValueError,), tokens=[token],
                valid=not bad,
                check=(lambda out: ("wrong_result", "bad faces drawn"))
                if bad else check)


# --- priors --------------------------------------------------------------------

def case_pose_prior(ctx: Context, rng, index: int) -> Verdict:
  del index
  b = int(rng.integers(1, 4))
  k = 17 if rng.random() < 0.9 else int([16, 21, 14][rng.integers(3)])
  kp = (rng.normal(size=(b, k, 2)) * _magnitude(rng, -3, 6)).astype(
      np.float32)
  conf = rng.uniform(0, 1, (b, k)).astype(np.float32)
  conf[rng.random((b, k)) < 0.3] = 0.0
  missing = conf == 0
  kp[missing & (rng.random((b, k)) < 0.5)] = [np.nan, np.inf][rng.integers(2)]
  if rng.random() < 0.2:
    conf[0, rng.integers(k)] = np.nan
  mode = rng.integers(3)
  if mode == 0:
    call = lambda: ctx.pose_model(kp, conf, training=False)
  elif mode == 1:
    call = lambda: pose_prior.flip_averaged(
        ctx.pose_model, kp, conf, [(1, 2), (3, 4), (5, 6)])
  else:
    sil = rng.uniform(0, 1, (b, 64, 64)).astype(np.float32)
    bad_sil = rng.random() < 0.3
    if bad_sil and k == 17:
      sil[0, rng.integers(64), rng.integers(64)] = np.nan
      return _judge("pose_prior", lambda: ctx.priors(kp * 128 + 127.5, conf,
                                                     sil),
                    (ValueError,), tokens=["silhouette"])
    call = lambda: ctx.priors(kp * 128 + 127.5, conf, sil)

  def check(out):
    values = [out.rotmats, out.camera] + (
        [out.vertices] if hasattr(out, "vertices") else [])
    return None if _all_finite(*values) else (
        "silent_nan", "pose from finite present keypoints")
  if k != 17:
    return _judge("pose_prior", call, (ValueError,), tokens=["keypoints",
                                                              str(k)])
  return _judge("pose_prior", call, (), valid=True, check=check)


# --- configs -------------------------------------------------------------------

_CONFIGS = [
    (framing.CameraConfig, ("focal_length", "shift_range")),
    (synth_shape_prior.ShapePriorConfig, ("sigma", "truncation")),
    (corruption.CorruptionConfig, ("sigma",)),
    (priors_config.LossConfig, ("vertex_weight", "vertex_start",
                                "render_sigma")),
    (lambda **kw: priors_config.TrainConfig(prior="pose", model_dir="/x",
                                            **kw), ("learning_rate",)),
    (data_lib.DataConfig, ("clean_fraction", "mirror")),
    (lambda **kw: soft_silhouette.SoftSilhouetteSettings(
        image_size=(8, 8), **kw), ("sigma", "min_coverage")),
    (lambda **kw: rasterizer.RasterSettings(image_size=(8, 8), **kw),
     ("z_near",)),
]


def case_config(ctx: Context, rng, index: int) -> Verdict:
  del ctx, index
  make, names = _CONFIGS[rng.integers(len(_CONFIGS))]
  name = names[rng.integers(len(names))]
  value = [float("nan"), float("inf"), -float("inf"),
           float(rng.normal() * _magnitude(rng, -3, 3))][rng.integers(4)]
  if np.isfinite(value):       # Either accepted or refused by name.
    return _judge("config", lambda: make(**{name: value}), (ValueError,),
                  tokens=[name])
  return _judge("config", lambda: make(**{name: value}), (ValueError,),
                tokens=[name, "finite"],
                check=lambda out: ("silent_nan", f"{name}={value} taken"))


# --- datasets ------------------------------------------------------------------

def _damage_dataset(rng, directory: str) -> bool:
  """Damages the copy in `directory`; returns whether anything changed."""
  shard = os.path.join(directory, generation.shard_name(
      int(rng.integers(2)), 2))
  manifest = os.path.join(directory, record.MANIFEST)
  kind = rng.integers(7)
  if kind == 0:
    return False
  if kind == 1:
    os.truncate(shard, int(rng.integers(os.path.getsize(shard))))
  elif kind == 2:
    with open(shard, "r+b") as f:
      at = int(rng.integers(os.path.getsize(shard)))
      f.seek(at)
      byte = f.read(1)[0]
      f.seek(at)
      f.write(bytes([byte ^ int(rng.integers(1, 256))]))
  elif kind == 3:
    os.remove(shard)
  else:
    with open(manifest) as f:
      text = f.read()
    if kind == 4:
      text = text[:rng.integers(len(text))]
    elif kind == 5:
      text = text.replace('"complete"', '"incomplete"')
    else:
      text = text.replace('"count": 3', f'"count": {rng.integers(0, 3)}', 1)
    with open(manifest, "w") as f:
      f.write(text)
  return True


def case_dataset(ctx: Context, rng, index: int) -> Verdict:
  directory = os.path.join(ctx.case_dir, f"d{index}")
  shutil.copytree(ctx.dataset, directory)
  try:
    damaged = _damage_dataset(rng, directory)

    def check(out):
      same = all(np.array_equal(out[k], ctx.dataset_arrays[k])
                 for k in data_lib.ARRAY_KEYS)
      return None if same else ("wrong_result", "damaged data read")
    return _judge("dataset", lambda: data_lib.arrays_from_records(directory),
                  (record.DatasetError, FileNotFoundError),
                  tokens=[directory], valid=not damaged, check=check)
  finally:
    shutil.rmtree(directory, ignore_errors=True)


FAMILIES = {
    "model_file": case_model_file, "assets": case_assets, "lbs": case_lbs,
    "rotation": case_rotation, "camera": case_camera, "raster": case_raster,
    "pose_prior": case_pose_prior, "config": case_config,
    "dataset": case_dataset,
}
_ORDER = tuple(FAMILIES)


def run_case(ctx: Context, seed: int, index: int) -> Verdict:
  """Case `index` of stream `seed` (families in turn)."""
  rng = np.random.default_rng([seed, index])
  family = _ORDER[index % len(_ORDER)]
  try:
    return FAMILIES[family](ctx, rng, index)
  except Exception as e:  # pylint: disable=broad-except
    return Verdict(family, "harness_error", f"{type(e).__name__}: {e}")


def make_context() -> Context:
  return Context(tempfile.mkdtemp(prefix="body3d-fuzz-"))
