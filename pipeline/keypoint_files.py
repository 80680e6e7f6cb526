"""Person detections from files: OpenPose JSON, COCO results, box lists.

Every reader returns `Person`s, keypoints converted to COCO_17's order
(`body.keypoints.COCO_17`; OpenPose's neck, mid-hip and feet are dropped),
with a box for the crop (`pipeline.crop.box_from_keypoints`, or the given
box).

* OpenPose (`--write_json`): one file per image, `<stem>_keypoints.json`,
  `{"people": [{"pose_keypoints_2d": [x, y, c, ...]}, ...]}`, BODY_25 (75
  numbers) or COCO-18 (54). A folder of them is matched to images by stem.
* COCO results: one file, a list of `{"image_id", "keypoints": [x, y, v] × 17,
  "score"}`; `image_id` matches an image whose stem equals it (as text, or as
  a number: `000000000139.jpg` is image 139).
* Boxes: a JSON object `{"<image file name or stem>": [[x0, y0, x1, y1],
  ...]}`.

`PersonSource.persons(image_path)` answers for one image (None: the source
says nothing about it).
"""

import json
import os
from typing import Dict, List, NamedTuple, Optional

import numpy as np

from body import keypoints as keypoints_lib
from pipeline import crop as crop_lib

COCO_17 = keypoints_lib.COCO_17

# OpenPose's order → name; names not in COCO_17 are dropped.
_OPENPOSE_COCO_18 = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist",
    "left_shoulder", "left_elbow", "left_wrist", "right_hip", "right_knee",
    "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye",
    "left_eye", "right_ear", "left_ear")
_OPENPOSE_BODY_25 = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist",
    "left_shoulder", "left_elbow", "left_wrist", "mid_hip", "right_hip",
    "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe",
    "left_small_toe", "left_heel", "right_big_toe", "right_small_toe",
    "right_heel")
OPENPOSE_LAYOUTS = {18: _OPENPOSE_COCO_18, 25: _OPENPOSE_BODY_25}


class Person(NamedTuple):
  """One detected person.

  Attributes:
    box: `[4]` (x0, y0, x1, y1) image pixels.
    keypoints: `[17, 2]` COCO_17 image pixels, or None (a box only).
    confidence: `[17]` in [0, 1] (0: missing), or None.
    score: the detector's score for the person (1 when it gives none).
  """
  box: np.ndarray
  keypoints: Optional[np.ndarray]
  confidence: Optional[np.ndarray]
  score: float


def _read_json(path: str):
  try:
    with open(path) as f:
      return json.load(f)
  except (OSError, ValueError) as e:
    raise ValueError(f"cannot read JSON from {path}: {e}") from e


def _to_coco17(names, triples: np.ndarray):
  xy = np.zeros([COCO_17.size, 2], np.float32)
  conf = np.zeros([COCO_17.size], np.float32)
  for i, name in enumerate(names):
    if name in COCO_17.names:
      j = COCO_17.names.index(name)
      xy[j], conf[j] = triples[i, :2], np.clip(triples[i, 2], 0.0, 1.0)
  return xy, conf


def _person_from_keypoints(xy, conf, score: float,
                           min_confidence: float) -> Optional[Person]:
  if np.sum(conf > min_confidence) < 2:
    return None  # Too few points for a crop.
  box = crop_lib.box_from_keypoints(xy, conf, min_confidence)
  return Person(box, xy, conf, float(score))


def read_openpose(path: str, min_confidence: float = 0.1) -> List[Person]:
  """The people of one OpenPose JSON file, one `Person` each (people with
  fewer than 2 points above `min_confidence` are left out)."""
  data = _read_json(path)
  people = data.get("people") if isinstance(data, dict) else None
  if people is None:
    raise ValueError(f"{path} is not OpenPose JSON: no 'people' list.")
  out = []
  for k, p in enumerate(people):
    flat = np.asarray(p.get("pose_keypoints_2d", []), np.float32)
    layout = OPENPOSE_LAYOUTS.get(flat.size // 3)
    if layout is None or flat.size % 3:
      raise ValueError(
          f"{path}: person {k} has {flat.size} pose_keypoints_2d numbers; "
          f"expected 75 (BODY_25) or 54 (COCO-18).")
    xy, conf = _to_coco17(layout, flat.reshape(-1, 3))
    person = _person_from_keypoints(xy, conf, float(np.mean(conf[conf > 0]))
                                    if np.any(conf > 0) else 0.0,
                                    min_confidence)
    if person is not None:
      out.append(person)
  return out


def read_coco_results(path: str, min_score: float = 0.0,
                      min_confidence: float = 0.1
                      ) -> Dict[str, List[Person]]:
  """A COCO keypoint results file → `{str(image_id): [Person, ...]}`, best
  score first; results under `min_score` are left out. COCO's visibility
  flags (0, 1, 2) or a detector's scores become confidences in [0, 1]."""
  data = _read_json(path)
  if not isinstance(data, list):
    raise ValueError(f"{path} is not a COCO results file (a JSON list of "
                     f"{{image_id, keypoints, score}}).")
  out: Dict[str, List[Person]] = {}
  for k, r in enumerate(data):
    try:
      flat = np.asarray(r["keypoints"], np.float32)
      image_id = str(r["image_id"])
    except (KeyError, TypeError) as e:
      raise ValueError(f"{path}: result {k} lacks {e}.") from e
    if flat.size != 3 * COCO_17.size:
      raise ValueError(f"{path}: result {k} has {flat.size} keypoint "
                       f"numbers; expected 51 (COCO's 17 × 3).")
    score = float(r.get("score", 1.0))
    if score < min_score:
      continue
    triples = flat.reshape(-1, 3).copy()
    if triples[:, 2].max() > 1.0:  # Visibility flags: 2 = visible.
      triples[:, 2] = np.minimum(triples[:, 2], 1.0)
    person = _person_from_keypoints(triples[:, :2], triples[:, 2], score,
                                    min_confidence)
    if person is not None:
      out.setdefault(image_id, []).append(person)
  for people in out.values():
    people.sort(key=lambda p: -p.score)
  return out


def read_boxes(path: str) -> Dict[str, List[Person]]:
  """A boxes JSON file → `{image name or stem: [Person, ...]}`."""
  data = _read_json(path)
  if not isinstance(data, dict):
    raise ValueError(f"{path} must hold a JSON object "
                     f"{{image: [[x0, y0, x1, y1], ...]}}.")
  out = {}
  for name, boxes in data.items():
    try:
      boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    except ValueError as e:
      raise ValueError(f"{path}: boxes of {name!r} are not [[x0, y0, x1, "
                       f"y1], ...]: {e}") from e
    out[name] = [Person(b, None, None, 1.0) for b in boxes]
  return out


def _stem(path: str) -> str:
  return os.path.splitext(os.path.basename(path))[0]


class PersonSource:
  """Persons per image from a file or a folder of OpenPose files."""

  def __init__(self, by_key: Dict[str, List[Person]], kind: str):
    self._by_key = by_key
    self.kind = kind

  def persons(self, image_path: str) -> Optional[List[Person]]:
    """This image's persons, or None when the source has no entry for it."""
    name, stem = os.path.basename(image_path), _stem(image_path)
    for key in (name, stem, stem + "_keypoints"):
      if key in self._by_key:
        return self._by_key[key]
    if stem.isdigit() and str(int(stem)) in self._by_key:
      return self._by_key[str(int(stem))]
    return None


def load(path: str, min_score: float = 0.0,
         any_image: bool = False) -> PersonSource:
  """Any supported keypoints file, or a folder of OpenPose JSON files.

  A single OpenPose file answers for the image of its stem
  (`<stem>_keypoints.json` or `<stem>.json`), or for any image when
  `any_image` (a run on one image).
  """
  if os.path.isdir(path):
    files = sorted(f for f in os.listdir(path) if f.endswith(".json"))
    return PersonSource({_stem(f): read_openpose(os.path.join(path, f))
                         for f in files}, "openpose")
  data = _read_json(path)
  if isinstance(data, list):
    return PersonSource(read_coco_results(path, min_score), "coco")
  if isinstance(data, dict) and "people" in data:
    return _SingleFile(_stem(path), read_openpose(path), any_image)
  raise ValueError(f"{path}: neither OpenPose JSON (an object with "
                   f"'people') nor COCO results (a list).")


class _SingleFile(PersonSource):
  """One OpenPose file: its persons for its image (or any image)."""

  def __init__(self, stem: str, people: List[Person], any_image: bool):
    super().__init__({stem: people}, "openpose")
    self._people = people if any_image else None

  def persons(self, image_path: str) -> Optional[List[Person]]:
    found = super().persons(image_path)
    return self._people if found is None else found
