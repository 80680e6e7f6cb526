"""Tests for body/model_file.py: safe SMPL pickle loading, npz, export."""

import io
import os
import pickle
import struct
import subprocess
import sys
import tracemalloc
import types
import zipfile

import numpy as np
import scipy.sparse

from body import assets as assets_lib
from body import model_file
from body import toy
from tests import testing


class _FakeCh:
  """Pickles like chumpy.ch.Ch: NEWOBJ + a state dict holding 'x'."""

  def __init__(self, x):
    self.x = np.asarray(x)
    self._dirty_vars = set()
    self.label = None

  def __getstate__(self):
    return dict(self.__dict__)


class _FakeSparse:
  """Pickles like an old scipy csc_matrix (module scipy.sparse.csc)."""

  def __init__(self, dense):
    m = scipy.sparse.csc_matrix(dense)
    self._shape, self.maxprint = m.shape, 50
    self.data, self.indices, self.indptr = m.data, m.indices, m.indptr


_FAKE_MODULE = "tests_fake_smpl_module"


def _official_style_pickle(assets):
  """Bytes laid out like an official SMPL .pkl (chumpy + scipy.sparse)."""
  module = types.ModuleType(_FAKE_MODULE)
  module.Ch, module.csc_matrix = _FakeCh, _FakeSparse
  _FakeCh.__module__ = _FakeSparse.__module__ = _FAKE_MODULE
  _FakeCh.__qualname__, _FakeSparse.__qualname__ = "Ch", "csc_matrix"
  sys.modules[_FAKE_MODULE] = module
  try:
    data = pickle.dumps({
        "v_template": _FakeCh(assets.v_template),
        "shapedirs": _FakeCh(assets.shapedirs),
        "posedirs": _FakeCh(assets.posedirs),
        "weights": _FakeCh(assets.weights),
        "J_regressor": _FakeSparse(assets.j_regressor),
        "J_regressor_prior": _FakeSparse(assets.j_regressor),
        "kintree_table": assets_lib.kintree_from_parents(assets.parents),
        "f": assets.faces.astype(np.uint32),
        "J": assets.j_regressor @ assets.v_template,
        "bs_type": "lrotmin", "bs_style": "lbs",
        "vert_sym_idxs": np.arange(assets.num_vertices),
    }, protocol=2)
  finally:
    del sys.modules[_FAKE_MODULE]
  # Point the globals at the names official files use.
  data = data.replace(f"{_FAKE_MODULE}\nCh\n".encode(), b"chumpy.ch\nCh\n")
  data = data.replace(f"{_FAKE_MODULE}\ncsc_matrix\n".encode(),
                      b"scipy.sparse.csc\ncsc_matrix\n")
  data = data.replace(b"numpy._core.multiarray\n",
                      b"numpy.core.multiarray\n")
  return data


class _Exploit:
  def __reduce__(self):
    return (os.system, ("echo pwned > /dev/null",))


def _crafted_object_array_pickle():
  """Issue 19, defect 1: only allow-listed globals (dtype, ndarray,
  _reconstruct), but the array's dtype is 'O8' and its state holds raw
  bytes instead of a list of objects, so NumPy would read the bytes as
  PyObject pointers."""
  data = pickle.dumps({"v_template": np.full(4, 1.5)}, protocol=2)
  assert data.count(b"X\x02\x00\x00\x00f8") == 1
  return data.replace(b"X\x02\x00\x00\x00f8", b"X\x02\x00\x00\x00O8")


class ModelFileTest(testing.TestCase):

  def _write(self, name, data):
    path = os.path.join(self.create_tempdir().full_path, name)
    with open(path, "wb") as f:
      f.write(data)
    return path

  def assertSameModel(self, a, b):
    for field in ("v_template", "shapedirs", "posedirs", "j_regressor",
                  "weights", "parents", "faces"):
      self.assertAllClose(getattr(a, field), getattr(b, field), msg=field)

  def test_loads_official_style_pickle_without_chumpy(self):
    original = toy.make_assets()
    data = _official_style_pickle(original)
    self.assertIn(b"chumpy.ch", data)
    self.assertNotIn("chumpy", sys.modules)
    loaded = model_file.load(self._write("SMPL_NEUTRAL.pkl", data))
    self.assertSameModel(loaded, original)
    self.assertEqual(loaded.name, "SMPL_NEUTRAL.pkl")

  @testing.parameters(
      (_Exploit(), "posix.system|os.system"),
      (types.SimpleNamespace(a=1), "types.SimpleNamespace"),
      (np.load, "numpy"),
  )
  def test_refuses_code_in_pickle(self, payload, name):
    path = self._write("evil.pkl", pickle.dumps({"f": payload}, protocol=2))
    with self.assertRaisesRegex(model_file.UnsafeModelFileError,
                                f"refusing to load ({name})"):
      model_file.load(path)

  def test_npz_round_trip_keeps_landmarks(self):
    original = toy.make_assets()
    path = os.path.join(self.create_tempdir().full_path, "m.npz")
    d = model_file.to_smpl_dict(original)
    d["J_regressor"] = d["J_regressor"].toarray()
    np.savez(path, **d)
    loaded = model_file.load(path)
    self.assertSameModel(loaded, original)
    self.assertEqual(dict(loaded.landmarks), dict(original.landmarks))

  def test_export_pickle_is_plain_and_reloads(self):
    original = toy.make_assets()
    path = os.path.join(self.create_tempdir().full_path, "out.pkl")
    model_file.save_pkl(original, path)
    with open(path, "rb") as f:
      raw = pickle.load(f, encoding="latin1")  # What smplx does.
    self.assertTrue(scipy.sparse.issparse(raw["J_regressor"]))
    self.assertEqual(raw["posedirs"].shape, (original.num_vertices, 3, 207))
    self.assertEqual(raw["kintree_table"][0, 0], 4294967295)
    self.assertSameModel(model_file.load(path), original)
    self.assertEqual(os.listdir(os.path.dirname(path)), ["out.pkl"])

  def test_missing_file_and_key_errors_are_clear(self):
    with self.assertRaisesRegex(model_file.ModelFileError, "no model file"):
      model_file.load("/nonexistent/SMPL_NEUTRAL.pkl")
    d = model_file.to_smpl_dict(toy.make_assets())
    del d["weights"]
    path = self._write("bad.pkl", pickle.dumps(d, protocol=2))
    with self.assertRaisesRegex(model_file.ModelFileError, "lacks weights"):
      model_file.load(path)
    path = self._write("m.obj", b"v 0 0 0")
    with self.assertRaisesRegex(model_file.ModelFileError, ".pkl or .npz"):
      model_file.load(path)

  def test_crafted_object_array_is_refused_without_crashing(self):
    path = self._write("crafted.pkl", _crafted_object_array_pickle())
    # In a child process: a regression would crash the interpreter.
    code = ("import sys; from body import model_file\n"
            "try:\n  model_file.load(sys.argv[1])\n"
            "except model_file.UnsafeModelFileError as e:\n"
            "  print(e); sys.exit(3)\n")
    result = subprocess.run(
        [sys.executable, "-c", code, path], capture_output=True, text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), timeout=60, check=False)
    self.assertEqual(result.returncode, 3, result.stderr)
    self.assertIn("crafted.pkl", result.stdout)
    self.assertIn("'O8'", result.stdout)

  @testing.named_parameters(
      # An empty array state claiming 6 GiB of elements.
      ("array_shape", b"\x80\x02cnumpy.core.multiarray\n_reconstruct\n"
       b"cnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01J\x00\x00\x01\x00J"
       b"\x00\x80\x01\x00\x86cnumpy\ndtype\nU\x02u1\x89\x88\x87R\x89U\x00tb.",
       "elements"),
      # A bytes opcode claiming 6 GiB that the file does not hold.
      ("bytes8", b"\x80\x04\x8e" + struct.pack("<Q", 6 << 30) + b"xyz.",
       "not a readable model pickle"),
  )
  def test_small_pickle_cannot_allocate_gigabytes(self, data, message):
    self.assertLess(len(data), 120)
    path = self._write("bomb.pkl", data)
    tracemalloc.start()
    try:
      with self.assertRaisesRegex(pickle.UnpicklingError if
                                  message == "elements" else
                                  model_file.ModelFileError,
                                  f"bomb.pkl.*{message}"):
        model_file.load(path)
      _, peak = tracemalloc.get_traced_memory()
    finally:
      tracemalloc.stop()
    self.assertLess(peak, 16 << 20)

  def test_shared_references_cannot_blow_up(self):
    # 60 levels of a list holding the level below twice: 2^60 leaves from a
    # file of a few hundred bytes.
    data = bytearray(b"\x80\x02]q\x00.")[:-1]
    for level in range(60):
      data += b"h" + bytes([level]) + b"h" + bytes([level]) + b"\x86q" + bytes(
          [level + 1])
    data += b"."
    path = self._write("laughs.pkl", bytes(data))
    with self.assertRaisesRegex(model_file.UnsafeModelFileError,
                                "laughs.pkl.*objects"):
      model_file.load(path)

  def test_save_pkl_without_landmarks_reads_back(self):
    original = toy.make_assets()
    original = assets_lib.BodyAssets(
        **{**{f: getattr(original, f) for f in (
            "v_template", "shapedirs", "posedirs", "j_regressor", "weights",
            "parents", "faces")}, "landmarks": {}})
    path = os.path.join(self.create_tempdir().full_path, "bare.pkl")
    model_file.save_pkl(original, path)
    loaded = model_file.load(path)
    self.assertSameModel(loaded, original)
    self.assertEmpty(loaded.landmarks)

  def test_npz_errors_name_the_file(self):
    d = model_file.to_smpl_dict(toy.make_assets())
    d["J_regressor"] = d["J_regressor"].toarray()
    buffer = io.BytesIO()
    np.savez(buffer, **d)
    for cut in (10, len(buffer.getvalue()) // 2, len(buffer.getvalue()) - 30):
      path = self._write(f"cut{cut}.npz", buffer.getvalue()[:cut])
      with self.assertRaisesRegex(model_file.ModelFileError, f"cut{cut}.npz"):
        model_file.load(path)
    # A member whose header claims far more than it holds.
    path = os.path.join(self.create_tempdir().full_path, "liar.npz")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False,
                 "shape": (1 << 30,)})
    with zipfile.ZipFile(path, "w") as z:
      z.writestr("v_template.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:])
    with self.assertRaisesRegex(model_file.ModelFileError,
                                "liar.npz.*v_template.npy.*claims"):
      model_file.load(path)

  @testing.parameters(1, 100, 1000)
  def test_truncated_pickle_names_the_file(self, cut):
    data = pickle.dumps(model_file.to_smpl_dict(toy.make_assets()),
                        protocol=2)
    path = self._write("cut.pkl", data[:cut])
    with self.assertRaisesRegex(model_file.ModelFileError, "cut.pkl"):
      model_file.load(path)


if __name__ == "__main__":
  testing.main()
