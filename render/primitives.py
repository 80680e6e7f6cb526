"""Small closed meshes for tests, examples and benchmarks (NumPy).

Every mesh is returned as (vertices [V, 3] float64, faces [F, 3] int32), its
faces wound counter-clockwise seen from outside (outward normals).
"""

from typing import Tuple

import numpy as np

Mesh = Tuple[np.ndarray, np.ndarray]


def _orient_outward(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
  """Flips faces whose normal points towards the centroid (star-shaped
  meshes only)."""
  corners = vertices[faces]
  normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
  outward = np.einsum("fi,fi->f", normal,
                      corners.mean(axis=1) - vertices.mean(axis=0)) > 0
  return np.where(outward[:, None], faces, faces[:, [0, 2, 1]]).astype(np.int32)


def icosphere(subdivisions: int = 0) -> Mesh:
  """A unit icosphere: 20 · 4^subdivisions faces."""
  phi = (1.0 + np.sqrt(5.0)) / 2.0
  vertices = [[-1, phi, 0], [1, phi, 0], [-1, -phi, 0], [1, -phi, 0],
              [0, -1, phi], [0, 1, phi], [0, -1, -phi], [0, 1, -phi],
              [phi, 0, -1], [phi, 0, 1], [-phi, 0, -1], [-phi, 0, 1]]
  faces = [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
           [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
           [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9],
           [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]]
  vertices = np.array(vertices, np.float64)
  vertices /= np.linalg.norm(vertices, axis=1, keepdims=True)
  faces = np.array(faces, np.int64)
  for _ in range(subdivisions):
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]],
                            faces[:, [2, 0]]])
    edges = np.sort(edges, axis=1)
    unique, inverse = np.unique(edges, axis=0, return_inverse=True)
    mids = vertices[unique].mean(axis=1)
    mids /= np.linalg.norm(mids, axis=1, keepdims=True)
    mid = inverse.reshape(3, -1).T + len(vertices)  # [F, 3]: m01, m12, m20
    vertices = np.concatenate([vertices, mids])
    a, b, c = faces.T
    m01, m12, m20 = mid.T
    faces = np.concatenate([np.stack(f, axis=1) for f in (
        (a, m01, m20), (b, m12, m01), (c, m20, m12), (m01, m12, m20))])
  return vertices, _orient_outward(vertices, faces)


def cube() -> Mesh:
  """The cube [-1, 1]³ as 12 triangles."""
  vertices = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1)
                       for z in (-1, 1)], np.float64)
  quads = [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6],
           [0, 2, 6, 4], [1, 5, 7, 3]]
  faces = np.array([[q[0], q[1], q[2]] for q in quads] +
                   [[q[0], q[2], q[3]] for q in quads])
  return vertices, _orient_outward(vertices, faces)


def uv_sphere(rings: int, segments: int) -> Mesh:
  """A unit UV sphere with 2 · segments · (rings − 1) faces."""
  polar = np.linspace(0, np.pi, rings + 1)[1:-1]
  azimuth = np.linspace(0, 2 * np.pi, segments, endpoint=False)
  p, a = np.meshgrid(polar, azimuth, indexing="ij")
  ring_vertices = np.stack([np.sin(p) * np.cos(a), np.cos(p),
                            np.sin(p) * np.sin(a)], axis=-1).reshape(-1, 3)
  vertices = np.concatenate([[[0, 1, 0]], ring_vertices, [[0, -1, 0]]])
  top, bottom = 0, len(vertices) - 1

  def index(ring, segment):
    return 1 + ring * segments + segment % segments

  faces = []
  for s in range(segments):
    faces.append([top, index(0, s), index(0, s + 1)])
    faces.append([bottom, index(rings - 2, s + 1), index(rings - 2, s)])
    for r in range(rings - 2):
      faces.append([index(r, s), index(r + 1, s), index(r + 1, s + 1)])
      faces.append([index(r, s), index(r + 1, s + 1), index(r, s + 1)])
  return vertices, _orient_outward(vertices, np.array(faces))


def blob(rings: int = 83, segments: int = 84, seed: int = 0) -> Mesh:
  """A lumpy, elongated closed surface (13,776 faces by default, as many as
  SMPL): a UV sphere stretched to 1.7 × 0.5 × 0.3 and displaced by a few
  smooth radial bumps. A body-sized stand-in for benchmarks."""
  vertices, faces = uv_sphere(rings, segments)
  rng = np.random.default_rng(seed)
  directions = rng.normal(size=(6, 3))
  directions /= np.linalg.norm(directions, axis=1, keepdims=True)
  bumps = np.exp(4.0 * (vertices @ directions.T - 1.0)) @ rng.uniform(
      0.2, 0.5, size=6)
  vertices = vertices * (1.0 + bumps[:, None]) * np.array([0.5, 1.7, 0.3]) / 2
  return vertices, faces.astype(np.int32)
