"""Body-part labels from the skinning weights: NBF's 12 parts and LSP's 6.

Each vertex belongs to the joint with its largest skinning weight (SMPL's 24
parts: the part of joint j is the segment that joint j rotates, e.g.
"left_hip" is the thigh, "left_knee" the shin, "left_shoulder" the upper
arm, "left_wrist" the hand); a face belongs to the part of its largest summed
weight (`synth.sample.face_parts`). The 24 parts are grouped:

  NBF_12 (Omran et al. 2018 use a 12-part segmentation as the intermediate
  representation; the grouping below is this project's):
    0 background
    1 head (head, neck)            2 torso (pelvis, spine1-3, collars)
    3 left upper arm               4 right upper arm
    5 left lower arm (with hand)   6 right lower arm (with hand)
    7 left upper leg               8 right upper leg
    9 left lower leg (shin)        10 right lower leg (shin)
    11 left foot (ankle, toes)     12 right foot (ankle, toes)

  LSP_6 (the 6-part evaluation of Lassner et al. 2017 on LSP, used in
  Pavlakos et al. 2018's Table 3; left and right merged):
    0 background  1 head  2 torso  3 upper arms  4 lower arms (with hands)
    5 upper legs  6 lower legs (with feet)

"Left" is the body's left. A horizontal flip of an image swaps the left and
right ids (`NBF_12_FLIP`).
"""

import numpy as np

from body import assets as assets_lib
from body import smpl_layout

NBF_12_NAMES = (
    "background", "head", "torso", "left_upper_arm", "right_upper_arm",
    "left_lower_arm", "right_lower_arm", "left_upper_leg", "right_upper_leg",
    "left_lower_leg", "right_lower_leg", "left_foot", "right_foot")
LSP_6_NAMES = ("background", "head", "torso", "upper_arms", "lower_arms",
               "upper_legs", "lower_legs")

_NBF_OF_JOINT = {
    "pelvis": 2, "spine1": 2, "spine2": 2, "spine3": 2, "left_collar": 2,
    "right_collar": 2, "neck": 1, "head": 1,
    "left_shoulder": 3, "right_shoulder": 4,
    "left_elbow": 5, "left_wrist": 5, "left_hand": 5,
    "right_elbow": 6, "right_wrist": 6, "right_hand": 6,
    "left_hip": 7, "right_hip": 8, "left_knee": 9, "right_knee": 10,
    "left_ankle": 11, "left_foot": 11, "right_ankle": 12, "right_foot": 12,
}
# NBF id -> LSP id.
NBF_TO_LSP_6 = np.array([0, 1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 6], np.uint8)
# NBF id -> the id of the mirrored part.
NBF_12_FLIP = np.array([0, 1, 2, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11], np.uint8)
# SMPL joint index -> NBF id.
NBF_OF_SMPL_JOINT = np.array(
    [_NBF_OF_JOINT[n] for n in smpl_layout.SMPL_JOINT_NAMES], np.uint8)


def vertex_joints(assets: assets_lib.BodyAssets) -> np.ndarray:
  """`[V]` int32 the joint with each vertex's largest skinning weight."""
  return np.argmax(assets.weights, axis=1).astype(np.int32)


def face_nbf_parts(assets: assets_lib.BodyAssets) -> np.ndarray:
  """`[F]` uint8 NBF_12 id (1..12) of each face."""
  if assets.num_joints != len(smpl_layout.SMPL_JOINT_NAMES):
    raise ValueError(f"body parts need the 24 SMPL joints; model "
                     f"{assets.name!r} has {assets.num_joints}.")
  joint = np.argmax(assets.weights[assets.faces].sum(axis=1), axis=1)
  return NBF_OF_SMPL_JOINT[joint]


def to_lsp_6(nbf_parts: np.ndarray) -> np.ndarray:
  """An NBF_12 map (any shape, uint8) as LSP_6 ids."""
  return NBF_TO_LSP_6[np.asarray(nbf_parts)]
