"""Small meshes placed in front of an OpenCV camera, for render tests."""

import numpy as np

from render import primitives


def place(vertices, rotation_y=0.0, depth=4.0, offset=(0.0, 0.0)):
  """Rotates a y-up, +z-facing mesh by `rotation_y`, turns it into OpenCV
  axes (180° about x) and puts it at `depth` metres."""
  c, s = np.cos(rotation_y), np.sin(rotation_y)
  turn = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
  flip = np.diag([1.0, -1.0, -1.0])
  return vertices @ (flip @ turn).T + np.array([offset[0], offset[1], depth])


def screen(vertices, focal, size):
  """(u, v, depth) with a pinhole camera centred on a size × size image."""
  center = (size - 1) / 2.0
  u = focal * vertices[:, 0] / vertices[:, 2] + center
  v = focal * vertices[:, 1] / vertices[:, 2] + center
  return np.stack([u, v, vertices[:, 2]], axis=-1)


def sphere_screen(size=24, subdivisions=1, rotation_y=0.3, focal=None):
  """An icosphere filling about half of a size × size image."""
  vertices, faces = primitives.icosphere(subdivisions)
  focal = focal if focal is not None else 1.2 * size
  return screen(place(vertices, rotation_y), focal, size), faces


def random_triangles(rng, count, size):
  """`count` unconnected triangles in a size × size image, random windings,
  depths in [1, 5]."""
  centers = rng.uniform(0, size - 1, size=(count, 1, 2))
  corners = centers + rng.normal(scale=size / 5, size=(count, 3, 2))
  depth = rng.uniform(1, 5, size=(count, 3, 1))
  verts = np.concatenate([corners, depth], axis=-1).reshape(-1, 3)
  faces = np.arange(3 * count, dtype=np.int32).reshape(count, 3)
  return verts, faces
