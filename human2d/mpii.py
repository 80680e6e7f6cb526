"""MPII Human Pose (Andriluka et al. CVPR 2014) read from its own files into
`record.Example`s.

On disk: `mpii_human_pose_v1_u12_1.mat` (in the release's
`mpii_human_pose_v1_u12_2/` folder, or beside `images/`) and
`images/<9 digits>.jpg`. The .mat holds one MATLAB struct `RELEASE`:

  annolist(i).image.name          the image's file name
  annolist(i).annorect(r)         one person:
    .annopoints.point(p)            .id (0..15), .x, .y, .is_visible
    .x1 .y1 .x2 .y2                 head box (training images only)
    .scale                          person height / 200 px
    .objpos.x .objpos.y             rough person centre
  img_train(i)                    1 training image, 0 test (test images
                                  carry only scale and objpos: no joints)
  single_person{i}                the indices r of well-separated people

The release's quirks, all handled here: empty fields are `[]`;
`is_visible` is a number, the character '0' / '1', or empty; a test
image's `annorect` lacks the `annopoints` and head-box fields; read with
scipy's `squeeze_me`, a struct array of one element comes as a lone struct
and a 1×1 number as a scalar.

Joint ids: 0 r ankle, 1 r knee, 2 r hip, 3 l hip, 4 l knee, 5 l ankle,
6 pelvis, 7 thorax, 8 upper neck, 9 head top, 10 r wrist, 11 r elbow,
12 r shoulder, 13 l shoulder, 14 l elbow, 15 l wrist (person-centric).
Mapped by name: the limbs, head top, and MPII's *upper neck* as LSP's
`neck` (both mark the top of the neck under the chin; the mapping HMR and
SPIN use to train on MPII and LSP together). Pelvis and thorax have no
counterpart in COCO_21_LSP and are dropped.

Images that a copy lacks (others report 040348287.jpg, 013401523.jpg and
002878268.jpg missing) stop the run with their entry named; `skip_bad`
leaves them out.

Conventions: coordinates are MATLAB's 1-based pixels, shifted by −1 (as
`human2d.lsp` does); `visible` is `is_visible` where given and 1 where the
field is empty; `head_size` is 0.6 × the head box's diagonal (the PCKh
normaliser); the person box is by default the hourglass papers' crop
(Newell et al. 2016): a square of side 200·scale around objpos moved down
by 15·scale (`human2d.data` then crops 1.25 × it), or with
`box="points"` the tight box of the labelled joints.
"""

import os
from typing import Iterator, NamedTuple, Optional

import numpy as np
import scipy.io

from human2d import conversion
from human2d import record

MAT_NAME = "mpii_human_pose_v1_u12_1.mat"
JOINT_NAMES = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee",
    "left_ankle", "pelvis", "thorax", "neck", "head_top", "right_wrist",
    "right_elbow", "right_shoulder", "left_shoulder", "left_elbow",
    "left_wrist")
SPLITS = ("train", "test", "all")
BOXES = ("scale", "points")
HEAD_SIZE_FACTOR = 0.6


class Person(NamedTuple):
  """One `annorect` of the release (pixels 0-based; None where absent).

  points: `[16, 2]` joints in MPII's id order (0 where unlabelled).
  labelled, visible: `[16]` 0 / 1.
  """
  image: str
  image_index: int      # 0-based index into annolist.
  rect_index: int       # 0-based index into annorect.
  train: bool
  single: bool
  points: np.ndarray
  labelled: np.ndarray
  visible: np.ndarray
  head_box: Optional[np.ndarray]   # [4] x1, y1, x2, y2.
  scale: Optional[float]
  objpos: Optional[np.ndarray]     # [2].

  @property
  def head_size(self) -> float:
    if self.head_box is None:
      return 0.0
    b = self.head_box
    return HEAD_SIZE_FACTOR * float(np.hypot(b[2] - b[0], b[3] - b[1]))


def _structs(value) -> list:
  """A MATLAB struct array as a list: a lone struct, any-shaped object
  array, or an empty `[]`."""
  if isinstance(value, scipy.io.matlab.mat_struct):
    return [value]
  if isinstance(value, np.ndarray) and value.dtype == object:
    return [v for v in value.ravel()
            if isinstance(v, scipy.io.matlab.mat_struct)]
  return []


def _field(struct, name):
  return getattr(struct, name, None) if struct is not None else None


def _number(value) -> Optional[float]:
  """A MATLAB scalar (any nesting, a number or a digit string) or None
  when empty."""
  while isinstance(value, np.ndarray):
    if value.size == 0:
      return None
    if value.dtype.kind in "US":
      value = "".join(str(v) for v in value.ravel())
    elif value.dtype == object or value.size == 1:
      value = value.ravel()[0]
    else:
      raise ValueError(f"expected one number, got an array of shape "
                       f"{value.shape}.")
  if value is None:
    return None
  if isinstance(value, (str, bytes)):
    text = value.decode() if isinstance(value, bytes) else value
    if not text.strip():
      return None
    return float(text)
  return float(value)


def _text(value) -> str:
  while isinstance(value, np.ndarray):
    if value.size == 0:
      return ""
    value = value.ravel()[0] if value.dtype == object else "".join(
        str(v) for v in value.ravel())
  return str(value)


def _person(image_struct, i, r, rect, train, single) -> Person:
  name = _image_name(image_struct)
  points = np.zeros([16, 2])
  labelled = np.zeros([16])
  visible = np.zeros([16])
  for point in _structs(_field(_one(rect, "annopoints"), "point")):
    pid = _number(_field(point, "id"))
    if pid is None or pid != int(pid) or not 0 <= pid < 16:
      raise ValueError(f"joint id must be 0..15, got {pid!r}.")
    x, y = _number(_field(point, "x")), _number(_field(point, "y"))
    if x is None or y is None or not np.isfinite([x, y]).all():
      raise ValueError(f"joint {int(pid)} has no x or y.")
    if labelled[int(pid)]:
      raise ValueError(f"joint {int(pid)} is annotated twice.")
    vis = _number(_field(point, "is_visible"))
    points[int(pid)] = [x - 1.0, y - 1.0]
    labelled[int(pid)] = 1.0
    visible[int(pid)] = 1.0 if vis is None else float(vis > 0)
  head = [_number(_field(rect, k)) for k in ("x1", "y1", "x2", "y2")]
  head_box = None if None in head else np.array(head) - 1.0
  scale = _number(_field(rect, "scale"))
  objpos = _one(rect, "objpos")
  centre = [_number(_field(objpos, "x")), _number(_field(objpos, "y"))]
  if scale is not None and not scale > 0:
    raise ValueError(f"scale must be > 0, got {scale}.")
  return Person(image=name, image_index=i, rect_index=r, train=train,
                single=single, points=points, labelled=labelled,
                visible=visible, head_box=head_box, scale=scale,
                objpos=None if None in centre else np.array(centre) - 1.0)


def _one(struct, name):
  """The struct in field `name` (a 1×1 struct array or a struct), or None."""
  items = _structs(_field(struct, name))
  return items[0] if items else None


def _image_name(image_struct) -> str:
  name = _text(_field(_one(image_struct, "image"), "name"))
  if not name:
    raise ValueError("annolist entry has no image name.")
  return name


def find_annotations(root: str) -> str:
  """The .mat file: `root` itself, or `root/MAT_NAME`, or under
  `root/mpii_human_pose_v1_u12_2/`."""
  for path in (root, os.path.join(root, MAT_NAME),
               os.path.join(root, "mpii_human_pose_v1_u12_2", MAT_NAME)):
    if os.path.isfile(path):
      return path
  raise ValueError(f"no {MAT_NAME} at {root!r} (give the file, or the "
                   f"folder holding it or mpii_human_pose_v1_u12_2/).")


def people(mat_path: str, skip_bad: bool = False,
           squeeze_me: bool = False) -> Iterator[Person]:
  """Every `annorect` of the release, in file order (persons without
  joints included: test images have none). `squeeze_me` is scipy's option
  (both ways of reading the struct give the same people)."""
  try:
    release = _structs(scipy.io.loadmat(
        mat_path, struct_as_record=False, squeeze_me=squeeze_me)["RELEASE"])
    annolist = _structs(release[0].annolist)
    img_train = np.ravel(np.asarray(release[0].img_train, np.float64))
  except (OSError, ValueError, KeyError, TypeError, IndexError,
          AttributeError, NotImplementedError) as e:
    raise ValueError(f"cannot read the MPII release (a struct RELEASE with "
                     f"annolist and img_train) from {mat_path}: {e}") from e
  single = _field(release[0], "single_person")
  single = (list(np.ravel(single)) if isinstance(single, np.ndarray)
            and single.dtype == object else [])
  if len(img_train) != len(annolist):
    raise ValueError(f"{mat_path}: img_train has {len(img_train)} entries "
                     f"but annolist {len(annolist)}.")
  for i, item in enumerate(annolist):
    singles = set()   # 0-based rect indices.
    if len(single) == len(annolist) and np.size(single[i]):
      singles = {int(v) - 1 for v in np.ravel(np.asarray(single[i], float))}
    for r, rect in enumerate(_structs(_field(item, "annorect"))):
      entry = f"annolist({i + 1}).annorect({r + 1})"
      person = conversion.guarded(
          mat_path, entry, skip_bad, _person, item, i, r, rect,
          bool(img_train[i] > 0), r in singles)
      if person is not None:
        yield person


def scale_box(person: Person) -> Optional[np.ndarray]:
  """The hourglass papers' person square `[x0, y0, x1, y1]` (side
  200·scale around objpos moved down by 15·scale), None without them."""
  if person.scale is None or person.objpos is None:
    return None
  cx, cy = person.objpos[0], person.objpos[1] + 15.0 * person.scale
  half = 100.0 * person.scale
  return np.array([cx - half, cy - half, cx + half, cy + half], np.float32)


def _example(root, person: Person, keypoint_set, box, min_keypoints):
  if person.labelled.sum() < max(min_keypoints, 1):
    return None
  xy, labelled, visible = conversion.map_keypoints(
      person.points, person.labelled, person.visible, JOINT_NAMES,
      keypoint_set)
  person_box = scale_box(person) if box == "scale" else None
  if person_box is None:
    if labelled.sum() < 2:
      return None   # Too few joints for a box.
    person_box = record.box_from_keypoints(xy, labelled)
  image = conversion.read_bytes(os.path.join(root, "images", person.image))
  return record.Example(
      image=image, keypoint_set=keypoint_set, keypoints=xy,
      labelled=labelled, visible=visible, box=person_box, source="mpii",
      name=f"{person.image}#{person.rect_index + 1}",
      head_size=person.head_size)


def examples(root: str, split: str = "train",
             keypoint_set: str = "COCO_21_LSP", box: str = "scale",
             single_person_only: bool = False, min_keypoints: int = 2,
             annotations: Optional[str] = None,
             skip_bad: bool = False) -> Iterator[record.Example]:
  """The people of `root` (a folder with `images/` and the release .mat).

  Args:
    root: the data set's folder.
    split: "train" (img_train = 1), "test" (img_train = 0; the release has
      no joints there, so it yields nothing) or "all".
    keypoint_set: the set the 16 joints are mapped into by name.
    box: "scale" (the hourglass crop from objpos and scale; the joints'
      box where those are missing) or "points" (the joints' box).
    single_person_only: keep only the people `single_person` lists.
    min_keypoints: people with fewer labelled MPII joints are skipped.
    annotations: the .mat file when it is not under `root`.
    skip_bad: log and skip a broken entry instead of raising.

  Raises:
    ValueError: naming the file and the entry (`annolist(i).annorect(r)`,
      MATLAB's 1-based indices) that is broken, unless `skip_bad`.
  """
  if split not in SPLITS:
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
  if box not in BOXES:
    raise ValueError(f"box must be one of {BOXES}, got {box!r}.")
  mat_path = find_annotations(annotations or root)
  for person in people(mat_path, skip_bad):
    if split != "all" and person.train != (split == "train"):
      continue
    if single_person_only and not person.single:
      continue
    ex = conversion.guarded(
        mat_path, f"annolist({person.image_index + 1}).annorect("
        f"{person.rect_index + 1}) ({person.image})", skip_bad, _example,
        root, person, keypoint_set, box, min_keypoints)
    if ex is not None:
      yield ex
