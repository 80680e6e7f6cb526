"""An allow-list unpickler for SMPL model files that runs no code from the file.

Official SMPL `.pkl` files are Python-2 pickles of a dict holding NumPy
arrays, `scipy.sparse` matrices and `chumpy.Ch` objects. `loads` rebuilds
them without calling anything the file names:

  * NumPy arrays, dtypes and scalars become placeholders whose pickled state
    is checked (plain numeric, bool or string dtypes only, never object
    dtypes; a buffer exactly as long as shape × item size; at most
    `MAX_ELEMENTS` elements) and then copied out with `np.frombuffer`.
    NumPy's own `ndarray.__setstate__` never sees the file's state, so a
    crafted state cannot make NumPy read the file's bytes as pointers.
  * sparse matrices and chumpy objects become inert placeholders that keep
    their state (`Placeholder.state`), read later as plain arrays.
  * anything else the file names is refused with `UnsafeModelFileError`.

The pure-Python unpickler is used: it reads counted strings from the buffer
instead of allocating the length the file claims, so a tiny file cannot make
it allocate gigabytes.
"""

import io
import pickle
import re
from typing import Any

import numpy as np

# Largest array (elements) a model file may hold: 2^27 (1 GiB of float64),
# ten times SMPL-X's largest array.
MAX_ELEMENTS = 1 << 27
_MAX_DEPTH = 64  # Nesting of lists / dicts / tuples in a model file.
_MAX_OBJECTS = 1 << 20  # Objects visited while resolving arrays.


class UnsafeModelFileError(pickle.UnpicklingError):
  """A model pickle names a class or function outside the allow-list, or
  holds an array state that could not have come from a plain array."""


class Placeholder:
  """Inert stand-in for an allow-listed class; keeps the pickled state only."""

  def __init__(self, *unused_args):
    self.state = None

  def __setstate__(self, state):
    self.state = state


class ChumpyPlaceholder(Placeholder):
  """A chumpy `Ch`: its value is the `x` of its state."""


class SparsePlaceholder(Placeholder):
  """A scipy.sparse matrix of `format`, rebuilt from its state."""
  format = "csc"


def _sparse_class(fmt):
  return type(f"_Sparse_{fmt}", (SparsePlaceholder,), {"format": fmt})


_DTYPE_SPEC = re.compile(r"^([<>=|]?)([biufcSU])(\d*)$")


class _Dtype:
  """A pickled `numpy.dtype(spec, align, copy)` + state, checked on use."""
  spec = None
  order = ""
  elsize = -1

  def __init__(self, spec=None, *unused_args):
    if not isinstance(spec, str) or not _DTYPE_SPEC.match(spec):
      raise UnsafeModelFileError(
          f"array dtype {spec!r} is not a plain numeric, bool or string "
          f"dtype (object and record dtypes are refused).")
    self.spec = spec
    self.order = ""
    self.elsize = -1

  def __setstate__(self, state):
    if not isinstance(state, tuple) or len(state) < 2:
      raise UnsafeModelFileError(f"unexpected dtype state {state!r}.")
    order = state[1]
    if order not in ("<", ">", "=", "|"):
      raise UnsafeModelFileError(f"unexpected dtype byte order {order!r}.")
    self.order = order
    if len(state) >= 6 and isinstance(state[5], int):
      self.elsize = state[5]

  def resolve(self) -> np.dtype:
    if self.spec is None:
      raise UnsafeModelFileError("a numpy.dtype built without arguments.")
    prefix, kind, size = _DTYPE_SPEC.match(self.spec).groups()
    if kind in "SU" and self.elsize >= 0:  # Flexible: the state's byte size.
      size = str(self.elsize // (4 if kind == "U" else 1))
    order = self.order or prefix
    dtype = np.dtype(f"{order if order in '<>' else ''}{kind}{size}")
    if dtype.hasobject or dtype.itemsize > 1 << 20:
      raise UnsafeModelFileError(f"refusing array dtype {dtype!r}.")
    return dtype


def _as_dtype(value) -> np.dtype:
  if isinstance(value, _Dtype):
    return value.resolve()
  raise UnsafeModelFileError(
      f"array dtype must be a pickled numpy.dtype, got {type(value).__name__}.")


def _as_buffer(raw) -> bytes:
  if isinstance(raw, str):  # Python 2 `str` read with encoding="latin1".
    return raw.encode("latin1")
  if isinstance(raw, (bytes, bytearray)):
    return bytes(raw)
  raise UnsafeModelFileError(
      f"array data must be bytes, got {type(raw).__name__} (arrays of Python "
      f"objects are refused).")


def _checked_shape(shape) -> tuple:
  if not isinstance(shape, tuple) or not all(
      isinstance(s, int) and 0 <= s <= MAX_ELEMENTS for s in shape):
    raise UnsafeModelFileError(f"array shape {shape!r} is not a tuple of "
                               f"sizes in [0, {MAX_ELEMENTS}].")
  size = 1
  for s in shape:
    size *= s
  if size > MAX_ELEMENTS:
    raise UnsafeModelFileError(
        f"array of shape {shape} has {size} elements, more than the "
        f"{MAX_ELEMENTS} a model file may hold.")
  return shape


class ArrayPlaceholder:
  """A pickled `numpy.ndarray`; `array` is set from its checked state."""
  array = None

  def __setstate__(self, state):
    if not isinstance(state, tuple) or len(state) not in (4, 5):
      raise UnsafeModelFileError(f"unexpected array state of type "
                                 f"{type(state).__name__}.")
    shape, dtype, fortran, raw = state[-4:]
    shape = _checked_shape(shape)
    dtype = _as_dtype(dtype)
    data = _as_buffer(raw)
    count = int(np.prod(shape, dtype=np.int64))
    if len(data) != count * dtype.itemsize:
      raise UnsafeModelFileError(
          f"array of shape {shape} and dtype {dtype} needs "
          f"{count * dtype.itemsize} bytes, the file holds {len(data)}.")
    flat = np.frombuffer(data, dtype=dtype, count=count)
    self.array = flat.reshape(shape, order="F" if fortran else "C").copy()


class _NdarrayClass:
  """What the file's `numpy.ndarray` resolves to: a token, not callable."""


_NDARRAY = _NdarrayClass()


def _reconstruct(cls, shape=None, dtype=None):
  """numpy's `_reconstruct(ndarray, (0,), b'b')`: an empty placeholder."""
  del shape, dtype  # The state (checked in __setstate__) decides the shape.
  if cls is not _NDARRAY:
    raise UnsafeModelFileError(
        f"numpy _reconstruct of {cls!r}; only plain ndarrays are allowed.")
  return ArrayPlaceholder()


def _scalar(dtype, raw=b""):
  dtype = _as_dtype(dtype)
  data = _as_buffer(raw)
  if len(data) != dtype.itemsize:
    raise UnsafeModelFileError(
        f"numpy scalar of dtype {dtype} with {len(data)} bytes.")
  return np.frombuffer(data, dtype=dtype)[0]


def _copyreg_reconstructor(cls, base, state):
  """Safe version of copyreg._reconstructor for allow-listed classes only."""
  del base, state
  if isinstance(cls, type) and issubclass(cls, Placeholder):
    return cls()
  if cls is _NDARRAY:
    return ArrayPlaceholder()
  raise UnsafeModelFileError(
      f"model file reconstructs an object of class {cls!r}, which is not "
      f"allowed.")


def _latin1_bytes(text, encoding="latin1"):
  """Python 3's protocol-2 pickles write bytes as `_codecs.encode(s, enc)`."""
  if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
    raise UnsafeModelFileError("unexpected _codecs.encode call in pickle.")
  return text.encode("latin1")


def _bytes(*args):
  """Protocol 2 writes `b""` as `bytes()`; nothing else may call bytes."""
  if args:
    raise UnsafeModelFileError(f"unexpected bytes{args!r} call in pickle.")
  return b""


_ALLOWED = {}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
  _ALLOWED[(_mod, "_reconstruct")] = _reconstruct
  _ALLOWED[(_mod, "scalar")] = _scalar
for _mod in ("numpy", "numpy.core.numeric", "numpy._core.numeric",
             "numpy.core.multiarray", "numpy._core.multiarray"):
  _ALLOWED[(_mod, "ndarray")] = _NDARRAY
  _ALLOWED[(_mod, "dtype")] = _Dtype
for _mod in ("copy_reg", "copyreg"):
  _ALLOWED[(_mod, "_reconstructor")] = _copyreg_reconstructor
_ALLOWED[("_codecs", "encode")] = _latin1_bytes
for _mod in ("__builtin__", "builtins"):
  _ALLOWED[(_mod, "object")] = object
  _ALLOWED[(_mod, "set")] = set
  _ALLOWED[(_mod, "frozenset")] = frozenset
  _ALLOWED[(_mod, "bytes")] = _bytes
for _fmt in ("csc", "csr", "coo"):
  _cls = _sparse_class(_fmt)
  for _mod in (f"scipy.sparse.{_fmt}", "scipy.sparse", f"scipy.sparse._{_fmt}"):
    _ALLOWED[(_mod, f"{_fmt}_matrix")] = _cls
    _ALLOWED[(_mod, f"{_fmt}_array")] = _cls
for _mod, _name in (("chumpy.ch", "Ch"), ("chumpy", "Ch"),
                    ("chumpy.reordering", "Select"),
                    ("chumpy.reordering", "Reshape"),
                    ("chumpy.reordering", "transpose"),
                    ("chumpy.ch_ops", "add"), ("chumpy.ch_ops", "multiply"),
                    ("chumpy.ch_ops", "subtract")):
  _ALLOWED[(_mod, _name)] = ChumpyPlaceholder


class _AllowListUnpickler(pickle._Unpickler):  # pylint: disable=protected-access
  """Resolves only the globals that SMPL model files contain."""

  def find_class(self, module, name):
    found = _ALLOWED.get((module, name))
    if found is None:
      raise UnsafeModelFileError(
          f"refusing to load {module}.{name}: SMPL model files contain only "
          f"NumPy arrays, scipy.sparse matrices and chumpy arrays. This file "
          f"is damaged or not a model file; do not load it with pickle.")
    return found

  def persistent_load(self, pid):
    raise UnsafeModelFileError("model files hold no persistent ids.")


def _resolve(value: Any, budget: list, depth: int = 0) -> Any:
  """Replaces array placeholders by their arrays, in containers and states.

  `budget` ([objects left]) bounds the work: shared references can make a
  small file a huge tree (a list holding one list twice, 60 levels deep).
  """
  budget[0] -= 1
  if budget[0] < 0:
    raise UnsafeModelFileError(
        f"more than {_MAX_OBJECTS} objects; model files hold a few hundred.")
  if depth > _MAX_DEPTH:
    raise UnsafeModelFileError(f"objects nested deeper than {_MAX_DEPTH}.")
  if isinstance(value, ArrayPlaceholder):
    if value.array is None:
      raise UnsafeModelFileError("an array without state.")
    return value.array
  if isinstance(value, (_Dtype, _NdarrayClass)):
    raise UnsafeModelFileError("a bare dtype or ndarray class as a value.")
  if isinstance(value, Placeholder):
    value.state = _resolve(value.state, budget, depth + 1)
    return value
  if isinstance(value, dict):
    return {k: _resolve(v, budget, depth + 1) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return type(value)(_resolve(v, budget, depth + 1) for v in value)
  return value


def loads(data: bytes) -> Any:
  """The object pickled in `data`, built from allow-listed parts only.

  Raises:
    UnsafeModelFileError: a global outside the allow-list, or an array whose
      state is not that of a plain array (object dtype, wrong buffer size,
      more than `MAX_ELEMENTS` elements).
    Exception: whatever `pickle` raises on a damaged stream.
  """
  unpickler = _AllowListUnpickler(io.BytesIO(data), encoding="latin1")
  return _resolve(unpickler.load(), [_MAX_OBJECTS])
