"""Reading and writing SMPL-format model files, safely.

Official SMPL `.pkl` files are Python-2 pickles of a dict holding NumPy
arrays, `scipy.sparse` matrices and `chumpy.Ch` objects. Unpickling them with
`pickle.load` would run whatever the file names, and would need chumpy, which
no longer installs on current Python/NumPy. `load` instead uses an allow-list
unpickler: NumPy arrays and dtypes are rebuilt by NumPy's own (data-only)
reconstructors; sparse matrices and chumpy objects become inert placeholders
whose state is read as plain arrays. Any other class or function named by the
file is refused with `UnsafeModelFileError`.

`.npz` files with the same keys (`v_template`, `shapedirs`, `posedirs`,
`J_regressor`, `weights`, `kintree_table` or `parents`, `f` or `faces`, and
optionally `landmark_names` / `landmark_vertex_ids`) load without pickle.

`save_pkl` writes an SMPL-style pickle of plain NumPy/SciPy objects that the
`smplx` package loads.
"""

import os
import pickle
from typing import Any, Dict, Optional
import zipfile

import numpy as np
import scipy.sparse

from body import assets as assets_lib
from body import keypoints
from body import safe_pickle


UnsafeModelFileError = safe_pickle.UnsafeModelFileError


class ModelFileError(ValueError):
  """A model file is missing, unreadable or lacks required arrays."""


def _to_array(value: Any, key: str) -> Any:
  """Placeholders and sparse matrices to dense float arrays; others as is."""
  if isinstance(value, safe_pickle.ChumpyPlaceholder):
    state = value.state if isinstance(value.state, dict) else {}
    if "x" not in state:
      raise ModelFileError(
          f"{key!r} is a chumpy object without a stored value ('x'); "
          f"re-export the model with plain arrays.")
    return np.asarray(state["x"])
  if isinstance(value, safe_pickle.SparsePlaceholder):
    state = value.state if isinstance(value.state, dict) else {}
    shape = state.get("_shape", state.get("shape"))
    _check_dense_size(() if shape is None else shape, key)
    try:
      if value.format == "coo":
        data, row, col = state["data"], state["row"], state["col"]
        return scipy.sparse.coo_matrix((data, (row, col)),
                                       shape=shape).toarray()
      cls = {"csc": scipy.sparse.csc_matrix,
             "csr": scipy.sparse.csr_matrix}[value.format]
      return cls((state["data"], state["indices"], state["indptr"]),
                 shape=shape).toarray()
    except (KeyError, TypeError, ValueError) as e:
      raise ModelFileError(
          f"{key!r} is a sparse matrix with unreadable state: {e}") from e
  if scipy.sparse.issparse(value):
    return value.toarray()
  return value


def _check_dense_size(shape, key: str) -> None:
  """Refuses a sparse matrix whose dense form would be absurdly large."""
  try:
    size = int(np.prod([int(s) for s in shape], dtype=np.int64))
  except (TypeError, ValueError) as e:
    raise ModelFileError(f"{key!r} is a sparse matrix with shape "
                         f"{shape!r}.") from e
  if not 0 <= size <= safe_pickle.MAX_ELEMENTS:
    raise ModelFileError(
        f"{key!r} is a sparse matrix of shape {tuple(shape)}: more than the "
        f"{safe_pickle.MAX_ELEMENTS} elements a model file may hold.")


def _read_pickle(data: bytes) -> Dict[str, Any]:
  try:
    raw = safe_pickle.loads(data)
  except UnsafeModelFileError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    raise ModelFileError(
        f"not a readable model pickle ({type(e).__name__}: {e}).") from e
  if not isinstance(raw, dict):
    raise ModelFileError(
        f"a model pickle holds a dict, this one a {type(raw).__name__}.")
  return {str(k): _to_array(v, str(k)) for k, v in raw.items()}


def _read_npz(path: str) -> Dict[str, Any]:
  """Plain arrays of an `.npz`; each header is checked before reading, so a
  small file cannot claim a huge array."""
  with zipfile.ZipFile(path) as archive:
    for info in archive.infolist():
      with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        read_header = (np.lib.format.read_array_header_1_0
                       if version == (1, 0) else
                       np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(member)
        size = int(np.prod(shape, dtype=np.int64))
        if dtype.hasobject:
          raise ModelFileError(f"{info.filename!r} holds Python objects.")
        if size > safe_pickle.MAX_ELEMENTS or (
            size * dtype.itemsize > info.file_size):
          raise ModelFileError(
              f"{info.filename!r} claims shape {shape} of {dtype} "
              f"({size * dtype.itemsize} bytes) in {info.file_size} bytes.")
  with np.load(path, allow_pickle=False) as f:
    return {k: f[k] for k in f.files}


def _landmarks(arrays: Dict[str, Any], num_vertices: int):
  if "landmark_names" in arrays and "landmark_vertex_ids" in arrays:
    names = [str(n) for n in np.asarray(arrays["landmark_names"])]
    ids = np.asarray(arrays["landmark_vertex_ids"]).astype(int).tolist()
    return dict(zip(names, ids))
  if num_vertices == 6890:  # The official SMPL topology.
    return dict(keypoints.SMPL_LANDMARKS)
  return {}


def assets_from_arrays(arrays: Dict[str, Any], name: str
                      ) -> assets_lib.BodyAssets:
  """Builds validated assets from a dict with SMPL file keys."""
  def need(*keys):
    for k in keys:
      if k in arrays:
        return np.asarray(arrays[k])
    raise ModelFileError(f"model {name!r} lacks {' or '.join(keys)}; it has "
                         f"{sorted(arrays)}.")

  v_template = need("v_template").astype(np.float64)
  shapedirs = need("shapedirs").astype(np.float64)
  if shapedirs.ndim == 2 and v_template.ndim == 2 and (
      v_template.shape[0] and shapedirs.shape[0] == 3 * v_template.shape[0]):
    # Some exports flatten [V*3, S].
    shapedirs = shapedirs.reshape(v_template.shape[0], 3, -1)
  posedirs = arrays.get("posedirs")
  if posedirs is not None:
    posedirs = np.asarray(posedirs, dtype=np.float64)
    if posedirs.size == 0 or not np.any(posedirs):
      posedirs = None
  if "parents" in arrays:
    parents = need("parents").astype(np.int64)
  else:
    parents = assets_lib.parents_from_kintree(need("kintree_table"))
  return assets_lib.BodyAssets(
      v_template=v_template, shapedirs=shapedirs, posedirs=posedirs,
      j_regressor=need("J_regressor", "j_regressor").astype(np.float64),
      weights=need("weights").astype(np.float64), parents=parents,
      faces=need("f", "faces"),
      landmarks=_landmarks(arrays, v_template.shape[0]), name=name)


def load(path: str, name: Optional[str] = None) -> assets_lib.BodyAssets:
  """Loads an SMPL-format model from `.pkl` (official files) or `.npz`.

  Args:
    path: the model file.
    name: the model's name; default: the file name.

  Raises:
    ModelFileError: missing file, unknown extension, missing or bad arrays.
    UnsafeModelFileError: a pickle that names anything outside the allow-list.
    assets.InvalidAssetsError: arrays that do not form a valid model.
  """
  if not os.path.isfile(path):
    raise ModelFileError(
        f"no model file at {path!r}. Official SMPL files are downloaded "
        f"under their own licence from smpl.is.tue.mpg.de; the bundled open "
        f"model needs no file (body.bundled.load()).")
  name = name or os.path.basename(path)
  ext = os.path.splitext(path)[1].lower()
  if ext not in (".pkl", ".npz"):
    raise ModelFileError(f"{path!r}: expected a .pkl or .npz model file.")
  try:
    if ext == ".pkl":
      with open(path, "rb") as f:
        arrays = _read_pickle(f.read())
    else:
      arrays = _read_npz(path)
    return assets_from_arrays(arrays, name)
  except (ModelFileError, UnsafeModelFileError,
          assets_lib.InvalidAssetsError) as e:
    raise type(e)(f"{path!r}: {e}") from e
  except (OSError, EOFError, zipfile.BadZipFile, ValueError, TypeError,
          KeyError, IndexError, MemoryError) as e:
    raise ModelFileError(
        f"{path!r}: not a readable model file ({type(e).__name__}: {e}).") from e


def to_smpl_dict(assets: assets_lib.BodyAssets) -> Dict[str, Any]:
  """The model as an SMPL-style dict of plain NumPy/SciPy objects."""
  num_v, num_j = assets.num_vertices, assets.num_joints
  posedirs = assets.posedirs
  if posedirs is None:  # smplx expects posedirs to exist.
    posedirs = np.zeros((num_v, 3, 9 * (num_j - 1)))
  return {
      "v_template": np.array(assets.v_template),
      "shapedirs": np.array(assets.shapedirs),
      "posedirs": np.array(posedirs),
      "J_regressor": scipy.sparse.csc_matrix(assets.j_regressor),
      "weights": np.array(assets.weights),
      "kintree_table": assets_lib.kintree_from_parents(assets.parents),
      "f": np.array(assets.faces, dtype=np.uint32),
      "J": assets.j_regressor @ assets.v_template,
      "bs_type": "lrotmin",
      "bs_style": "lbs",
      "landmark_names": np.array(list(assets.landmarks), dtype=str),
      "landmark_vertex_ids": np.array(list(assets.landmarks.values()),
                                      dtype=np.int64),
  }


def save_pkl(assets: assets_lib.BodyAssets, path: str) -> None:
  """Writes an SMPL-style `.pkl` (no chumpy) that smplx can load.

  Written to a temporary file and renamed, so a crash leaves no partial file.
  """
  tmp = f"{path}.tmp-{os.getpid()}"
  with open(tmp, "wb") as f:
    pickle.dump(to_smpl_dict(assets), f, protocol=2)
  os.replace(tmp, path)

