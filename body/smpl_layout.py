"""SMPL's 24 joints: names in order and the kinematic tree, in plain Python
(no TensorFlow), so offline tools such as `body/tools/convert_anny.py`, which
run without it, share them with `body.keypoints`.

`body.keypoints` re-exports both; see `../shared/SMPL_CONVENTIONS.md`.
"""

SMPL_JOINT_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee",
    "spine2", "left_ankle", "right_ankle", "spine3", "left_foot",
    "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hand", "right_hand")

# Parent joint index of each joint (−1 for the root).
SMPL_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16,
                17, 18, 19, 20, 21)
