"""Triangle meshes to and from `.obj` and `.ply` (ASCII or binary PLY).

Written with NumPy only (no new dependency; trimesh, MeshLab and Blender
read the files — a test checks trimesh where it is installed). Every writer
writes a temporary file beside the target and renames it, so a mesh file is
whole or absent. Vertices are `[V, 3]` floats (written as float32 in PLY,
with 6 decimals in OBJ), faces `[F, 3]` 0-based indices.
"""

import os
from typing import Tuple

import numpy as np


def _check(vertices, faces) -> Tuple[np.ndarray, np.ndarray]:
  vertices = np.asarray(vertices, np.float32)
  faces = np.asarray(faces)
  if vertices.ndim != 2 or vertices.shape[1] != 3:
    raise ValueError(f"vertices must be [V, 3], got {vertices.shape}.")
  if faces.ndim != 2 or faces.shape[1] != 3 or not np.issubdtype(
      faces.dtype, np.integer):
    raise ValueError(f"faces must be [F, 3] integers, got {faces.shape} "
                     f"{faces.dtype}.")
  if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
    raise ValueError(f"faces index vertices 0..{len(vertices) - 1}; got "
                     f"{faces.min()}..{faces.max()}.")
  return vertices, faces.astype(np.int32)


def _atomic_write(path: str, data: bytes) -> None:
  tmp = f"{path}.tmp-{os.getpid()}"
  with open(tmp, "wb") as f:
    f.write(data)
  os.replace(tmp, path)


def obj_bytes(vertices, faces) -> bytes:
  vertices, faces = _check(vertices, faces)
  lines = ["# body3d mesh"]
  lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices]
  lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
  return ("\n".join(lines) + "\n").encode()


def write_obj(path: str, vertices, faces) -> None:
  """Wavefront OBJ (1-based faces)."""
  _atomic_write(path, obj_bytes(vertices, faces))


def ply_bytes(vertices, faces, binary: bool = True) -> bytes:
  vertices, faces = _check(vertices, faces)
  fmt = "binary_little_endian" if binary else "ascii"
  header = (f"ply\nformat {fmt} 1.0\ncomment body3d mesh\n"
            f"element vertex {len(vertices)}\nproperty float x\n"
            f"property float y\nproperty float z\nelement face {len(faces)}\n"
            f"property list uchar int vertex_indices\nend_header\n").encode()
  if not binary:
    body = [f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices]
    body += [f"3 {a} {b} {c}" for a, b, c in faces]
    return header + ("\n".join(body) + "\n").encode()
  face_rec = np.zeros(len(faces), [("n", "u1"), ("i", "<i4", (3,))])
  face_rec["n"], face_rec["i"] = 3, faces
  return (header + vertices.astype("<f4").tobytes() + face_rec.tobytes())


def write_ply(path: str, vertices, faces, binary: bool = True) -> None:
  """Stanford PLY, binary little-endian (default) or ASCII."""
  _atomic_write(path, ply_bytes(vertices, faces, binary))


def read_obj(path: str) -> Tuple[np.ndarray, np.ndarray]:
  """`(vertices [V, 3] float32, faces [F, 3] int32)` of a triangle OBJ
  (`v` and `f` lines; `f a/b/c` forms are read by their vertex index)."""
  verts, faces = [], []
  with open(path) as f:
    for line in f:
      parts = line.split()
      if not parts:
        continue
      if parts[0] == "v":
        verts.append([float(v) for v in parts[1:4]])
      elif parts[0] == "f":
        if len(parts) != 4:
          raise ValueError(f"{path}: only triangles are read, got {line!r}.")
        faces.append([int(p.split("/")[0]) - 1 for p in parts[1:]])
  return (np.asarray(verts, np.float32).reshape(-1, 3),
          np.asarray(faces, np.int32).reshape(-1, 3))


def read_ply(path: str) -> Tuple[np.ndarray, np.ndarray]:
  """`(vertices, faces)` of a PLY this module wrote (x, y, z floats, then
  triangles as `uchar int` lists), ASCII or binary little-endian."""
  with open(path, "rb") as f:
    data = f.read()
  end = data.find(b"end_header\n")
  if not data.startswith(b"ply\n") or end < 0:
    raise ValueError(f"{path} is not a PLY file.")
  header = data[:end].decode().splitlines()
  counts = {p[1]: int(p[2]) for p in (l.split() for l in header)
            if p[0] == "element"}
  nv, nf = counts.get("vertex", 0), counts.get("face", 0)
  body = data[end + len(b"end_header\n"):]
  if "format ascii 1.0" in header:
    rows = body.decode().split("\n")
    verts = np.array([r.split() for r in rows[:nv]], np.float32)
    faces = np.array([r.split()[1:4] for r in rows[nv:nv + nf]], np.int32)
    return verts.reshape(-1, 3), faces.reshape(-1, 3)
  if "format binary_little_endian 1.0" not in header:
    raise ValueError(f"{path}: unsupported PLY format.")
  verts = np.frombuffer(body, "<f4", nv * 3).reshape(nv, 3)
  face_rec = np.frombuffer(body, [("n", "u1"), ("i", "<i4", (3,))], nf,
                           offset=nv * 12)
  if nf and np.any(face_rec["n"] != 3):
    raise ValueError(f"{path}: only triangles are read.")
  return verts.copy(), face_rec["i"].astype(np.int32)
