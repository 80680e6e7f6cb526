"""Who is who across a video's frames: person boxes → track ids.

    ids = tracking.assign_tracks(centres, sizes)   # per frame, [N_t] ints

Each frame's persons are matched to the tracks alive at the previous frames
by the distance between box centres in units of the track's box size
(Hungarian assignment, `scipy.optimize.linear_sum_assignment`); a person
farther than `max_distance` from every track starts a new one, and a track
unseen for more than `max_gap` frames ends. This is the box-overlap
tracking that HMMR-style video pipelines run before temporal smoothing;
good enough for a few people who do not cross each other, and it needs no
appearance model.
"""

from typing import List, Sequence

import numpy as np
from scipy import optimize


def assign_tracks(centres: Sequence[np.ndarray], sizes: Sequence[np.ndarray],
                  max_distance: float = 0.5, max_gap: int = 5
                  ) -> List[np.ndarray]:
  """Track ids for every person of every frame.

  Args:
    centres: per frame, `[N_t, 2]` box centres (image pixels); N_t may be 0.
    sizes: per frame, `[N_t]` box sides (pixels, > 0).
    max_distance: the largest centre displacement, in box sides, that still
      continues a track.
    max_gap: frames a track may go unseen and still continue.

  Returns:
    per frame, `[N_t]` int track ids (0, 1, … in order of first appearance).
  """
  if len(centres) != len(sizes):
    raise ValueError(f"centres and sizes must have one entry per frame, got "
                     f"{len(centres)} and {len(sizes)}.")
  if max_distance <= 0 or max_gap < 0:
    raise ValueError(f"max_distance must be > 0 and max_gap ≥ 0, got "
                     f"{max_distance} and {max_gap}.")
  # Per live track: [id, last centre, last size, last frame].
  live, out, next_id = [], [], 0
  for t, (c, s) in enumerate(zip(centres, sizes)):
    c = np.asarray(c, np.float64).reshape(-1, 2)
    s = np.asarray(s, np.float64).reshape(-1)
    if len(c) != len(s) or np.any(s <= 0):
      raise ValueError(f"frame {t}: need [N, 2] centres and [N] positive "
                       f"sizes, got {c.shape} and {s.tolist()}.")
    live = [tr for tr in live if t - tr[3] <= max_gap + 1]
    ids = np.full(len(c), -1, np.int64)
    if live and len(c):
      last = np.stack([tr[1] for tr in live])
      scale = np.array([tr[2] for tr in live])
      cost = np.linalg.norm(last[:, None] - c[None], axis=-1) / scale[:, None]
      rows, cols = optimize.linear_sum_assignment(cost)
      for r, k in zip(rows, cols):
        if cost[r, k] <= max_distance:
          ids[k] = live[r][0]
          live[r] = [live[r][0], c[k], s[k], t]
    for k in np.flatnonzero(ids < 0):
      ids[k] = next_id
      live.append([next_id, c[k], s[k], t])
      next_id += 1
    out.append(ids)
  return out
