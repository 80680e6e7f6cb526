"""Tests for body/model_file.py: safe SMPL pickle loading, npz, export."""

import os
import pickle
import sys
import types

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


if __name__ == "__main__":
  testing.main()
