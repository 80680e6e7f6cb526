"""A pose bank from motion capture: read, deduplicate, balance, retarget.

    clips = find_clips(mocap_dir)                  # files and their activity
    bank = build_bank(clips, assets, BankConfig())  # BankPoses

Steps:
  1. every frame of every clip is read (`synth/mocap.py`; BVH frame 0 and
     expmap line 0 are T-poses and dropped) and reduced to the unit
     directions of the segments that retargeting fits
     (`retarget.segments`), the heading removed (rotated about y so the hip
     line points along +x): a scale-free pose descriptor;
  2. frames are deduplicated greedily, clip by clip: a frame is kept when
     its descriptor's RMS difference to every kept frame of the *same
     activity* exceeds `min_distance` (a chord of ≈ 0.1 ≈ 6° per segment);
  3. activities are balanced: each keeps at most `per_activity` frames
     (evenly spread over its kept frames), so walking does not dominate;
  4. the kept frames are retargeted to θ (`retarget.fit_theta`), the root's
     heading removed (`pose_bank.remove_heading`).

Mirroring is left to sampling (`PoseBank.sample` mirrors half the draws), so
the bank holds each pose once. `save_bank` writes an AMASS-style `.npz`
(`poses` `[N, 72]` float16 with a z-up root, as `pose_bank.load` expects by
default, `activity` `[N]` int and `activities` names).
"""

import dataclasses
import glob
import logging
import os
from typing import List, NamedTuple, Sequence, Tuple

import numpy as np

from body import assets as assets_lib
from synth import mocap
from synth import pose_bank
from synth import retarget
from synth import rotation

BVH_DIR = "cmu_iclone_20fps"
EXPMAP_DIR = "cmu_expmap_30fps"


class Clip(NamedTuple):
  """One motion file: its path, format ("bvh" / "expmap") and activity."""
  path: str
  kind: str
  activity: str


@dataclasses.dataclass(frozen=True)
class BankConfig:
  """Settings of `build_bank`.

  Attributes:
    min_distance: RMS descriptor difference below which a frame duplicates
      a kept one.
    per_activity: most frames kept per activity (0 = no cap).
    fit: the retargeting fit.
  """
  min_distance: float = 0.12
  per_activity: int = 600
  fit: retarget.FitConfig = retarget.FitConfig()

  def __post_init__(self):
    if self.min_distance < 0 or self.per_activity < 0:
      raise ValueError("min_distance and per_activity must be ≥ 0.")


class BankPoses(NamedTuple):
  """theta `[N, 72]` (y-up root, heading removed), activity `[N]` indices
  into `activities`, clip `[N]` indices into the clips given."""
  theta: np.ndarray
  activity: np.ndarray
  activities: Tuple[str, ...]
  clip: np.ndarray


def find_clips(root: str) -> List[Clip]:
  """The clips of a mocap folder laid out as `/work/shared/data/mocap`:
  `cmu_iclone_20fps/<subject>/*.bvh` (activity "cmu_<subject>") and
  `cmu_expmap_30fps/*/<action>/*.txt` (activity "<action>")."""
  clips = [Clip(p, "bvh", f"cmu_{os.path.basename(os.path.dirname(p))}")
           for p in sorted(glob.glob(os.path.join(root, BVH_DIR, "*",
                                                  "*.bvh")))]
  clips += [Clip(p, "expmap", os.path.basename(os.path.dirname(p)))
            for p in sorted(glob.glob(os.path.join(root, EXPMAP_DIR, "*", "*",
                                                   "*.txt")))]
  if not clips:
    raise FileNotFoundError(
        f"no {BVH_DIR}/*/*.bvh or {EXPMAP_DIR}/*/*/*.txt under {root!r}.")
  return clips


def read_clip(clip: Clip) -> Tuple[np.ndarray, retarget.SkeletonMap]:
  """`[F, M, 3]` landmark positions of a clip and its skeleton map."""
  if clip.kind == "bvh":
    motion = mocap.read_bvh(clip.path, skip_first=True)
    skeleton = retarget.CC_RIG
  elif clip.kind == "expmap":
    motion = mocap.read_expmap(clip.path, skip_first=True)
    skeleton = retarget.CMU38
  else:
    raise ValueError(f"unknown clip kind {clip.kind!r}.")
  return skeleton.positions(motion.names, motion.positions), skeleton


def descriptors(points: np.ndarray, joints: Sequence[int],
                parents: np.ndarray) -> np.ndarray:
  """`[F, 3S]` unit segment directions, heading removed (see module)."""
  full = np.zeros(points.shape[:1] + (len(parents), 3))
  full[:, list(joints)] = points
  segs = retarget.segments(joints, parents)
  d = np.stack([retarget.unit(retarget.landmark(full, b)
                              - retarget.landmark(full, a))
                for a, b in segs], axis=1)
  hips = d[:, 0]                              # the hip line comes first
  heading = np.arctan2(-hips[:, 2], hips[:, 0])
  d = np.einsum("nab,nsb->nsa", rotation.rot_y(-heading), d)
  return d.reshape(len(d), -1)


def deduplicate(features: np.ndarray, min_distance: float,
                kept: np.ndarray = None) -> np.ndarray:
  """Indices of the rows kept by the greedy pass (see module); `kept`
  `[K, D]` rows already kept."""
  dim = features.shape[1] // 3
  bank = [] if kept is None else list(kept)
  keep = []
  threshold = min_distance ** 2 * dim
  for i, f in enumerate(features):
    if bank:
      diff = np.asarray(bank) - f
      if np.min(np.einsum("kd,kd->k", diff, diff)) <= threshold:
        continue
    bank.append(f)
    keep.append(i)
  return np.array(keep, dtype=np.int64)


def build_bank(clips: Sequence[Clip], assets: assets_lib.BodyAssets,
               config: BankConfig = BankConfig()) -> BankPoses:
  """Reads, deduplicates, balances and retargets `clips` (see module)."""
  rest = assets.j_regressor @ assets.v_template
  rest = rest - rest[0]
  activities = tuple(sorted({c.activity for c in clips}))
  chosen = {a: [] for a in activities}    # activity -> [(clip, points)]
  for k, clip in enumerate(clips):
    points, skeleton = read_clip(clip)
    feats = descriptors(points, skeleton.joints, assets.parents)
    prev = chosen[clip.activity]
    kept_feats = np.concatenate([p[2] for p in prev]) if prev else None
    keep = deduplicate(feats, config.min_distance, kept_feats)
    prev.append((k, points[keep], feats[keep], skeleton))
    logging.info("%s: %d of %d frames kept", clip.path, len(keep),
                 len(points))
  rows = []                               # (skeleton, points, activity, clip)
  for a_id, name in enumerate(activities):
    picked = [(k, i) for k, pts, _, _ in chosen[name] for i in range(len(pts))]
    if config.per_activity and len(picked) > config.per_activity:
      pick = np.linspace(0, len(picked) - 1, config.per_activity).round()
      picked = [picked[int(i)] for i in pick]
    by_clip = {k: (pts, sk) for k, pts, _, sk in chosen[name]}
    for k, i in picked:
      pts, sk = by_clip[k]
      rows.append((sk, pts[i], a_id, k))
    logging.info("activity %s: %d poses", name, len(picked))
  # One fit per skeleton (a fit traces its step function once).
  order = sorted(range(len(rows)), key=lambda r: rows[r][0].name)
  rows = [rows[r] for r in order]
  thetas = []
  for sk in sorted({r[0] for r in rows}, key=lambda s: s.name):
    pts = np.stack([r[1] for r in rows if r[0] == sk])
    theta = retarget.fit_theta(pts, sk.joints, rest, assets.parents,
                               config.fit)
    thetas.append(pose_bank.remove_heading(theta))
  return BankPoses(np.concatenate(thetas), np.array([r[2] for r in rows]),
                   activities, np.array([r[3] for r in rows]))


def save_bank(path: str, bank: BankPoses) -> None:
  """Writes `bank` (see module) to `path` atomically."""
  theta = np.array(bank.theta, dtype=np.float64)
  root = rotation.axis_angle_to_matrix(theta[:, :3])
  theta[:, :3] = rotation.matrix_to_axis_angle(rotation.rot_x(np.pi / 2)
                                               @ root)   # y-up → z-up
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + ".tmp.npz"
  np.savez_compressed(tmp, poses=theta.astype(np.float16),
                      activity=bank.activity.astype(np.int16),
                      activities=np.array(bank.activities))
  os.replace(tmp, path)
