"""A coarse proxy of the body surface for low-resolution silhouettes.

A 64×64 silhouette of a person filling ~80% of it has ~3 cm of body per pixel,
so a body mesh of 7-14k vertices is mostly sub-pixel triangles; rasterizing
and framing on it costs far more than the picture needs. The proxy is the
same surface after vertex clustering in the rest pose: vertices that share a
`cell`-sized grid cell *and* the same dominant skinning joint merge into one
representative (one of them, so the proxy needs no skinning of its own: its
posed vertices are a subset of the posed mesh), and faces that collapse are
dropped. Splitting clusters by joint keeps parts that move apart (the thighs,
an arm and the trunk) from being welded together.

Keypoints, joints and all 3D quantities still come from the full mesh; only
the silhouette, the z-buffer used for visibility and the framing box use the
proxy. Measured on open_body (7,000 vertices, 13,996 faces), 256 samples,
64² silhouettes of the proxy against the full mesh's at the same camera:

  cell    proxy vertices / faces   IoU median / 5th pct / min   visibility
  2 cm    2,698 / 5,593            0.990 / 0.980 / 0.971        99.75 %
  3 cm    1,826 / 3,865            0.979 / 0.965 / 0.953        99.43 %
  4 cm    1,212 / 2,631            0.964 / 0.944 / 0.925        98.67 %

(visibility: keypoints whose 0/1/2 code agrees with the full mesh's z-buffer).
The default (`SampleConfig.proxy_cell`) is 3 cm: the outline moves by about
a pixel, and generation runs ~1.4x faster than at 2 cm.
"""

import dataclasses

import numpy as np

from body import assets as assets_lib


@dataclasses.dataclass(frozen=True, eq=False)
class Proxy:
  """A proxy surface.

  Attributes:
    vertex_ids: `[P]` indices of the full mesh's vertices kept.
    faces: `[G, 3]` faces over the proxy's vertices (indices into vertex_ids),
      oriented as the full mesh's.
    cell: the clustering cell, metres (0 = the full mesh).
  """
  vertex_ids: np.ndarray
  faces: np.ndarray
  cell: float


def full(assets: assets_lib.BodyAssets) -> Proxy:
  """The identity proxy (every vertex and face)."""
  return Proxy(np.arange(assets.num_vertices), np.asarray(assets.faces), 0.0)


def make_proxy(assets: assets_lib.BodyAssets, cell: float) -> Proxy:
  """Clusters the rest-pose mesh into `cell`-sized cells per dominant joint.

  Args:
    assets: the body model.
    cell: grid cell side, metres; ≤ 0 returns the full mesh.

  Returns:
    A Proxy.
  """
  if cell <= 0:
    return full(assets)
  verts = np.asarray(assets.v_template, np.float64)
  part = np.argmax(assets.weights, axis=1)
  grid = np.floor((verts - verts.min(axis=0)) / cell).astype(np.int64)
  keys = np.concatenate([grid, part[:, None]], axis=1)
  _, first, cluster = np.unique(keys, axis=0, return_index=True,
                                return_inverse=True)
  cluster = cluster.ravel()
  faces = cluster[np.asarray(assets.faces)]
  keep = ((faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) &
          (faces[:, 2] != faces[:, 0]))
  faces = faces[keep]
  # Drop duplicates (same three vertices in the same cyclic order).
  roll = np.argmin(faces, axis=1)
  canon = np.stack([np.take_along_axis(faces, ((roll + k) % 3)[:, None], 1)[:, 0]
                    for k in range(3)], axis=1)
  _, unique_rows = np.unique(canon, axis=0, return_index=True)
  faces = faces[np.sort(unique_rows)]
  return Proxy(vertex_ids=first.astype(np.int64), faces=faces.astype(np.int64),
               cell=float(cell))
