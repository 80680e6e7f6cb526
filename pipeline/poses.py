"""A few named, hand-set SMPL poses for demos and visual checks.

Signs follow shared/SMPL_CONVENTIONS.md (rest-frame axes, radians). Each pose
is a `[72]` axis-angle θ with the global orientation zero (body upright,
facing +z).
"""

from typing import Dict

import numpy as np

_J = {"left_hip": 1, "right_hip": 2, "spine1": 3, "left_knee": 4,
      "right_knee": 5, "spine2": 6, "left_ankle": 7, "right_ankle": 8,
      "spine3": 9, "neck": 12, "left_collar": 13, "right_collar": 14,
      "head": 15, "left_shoulder": 16, "right_shoulder": 17,
      "left_elbow": 18, "right_elbow": 19}


def _pose(**joints) -> np.ndarray:
  theta = np.zeros((24, 3))
  for name, rotvec in joints.items():
    theta[_J[name]] = rotvec
  return theta.reshape(72)


_ARMS_DOWN = dict(left_collar=[0, 0, -0.35], right_collar=[0, 0, 0.35],
                  left_shoulder=[0, 0, -0.95], right_shoulder=[0, 0, 0.95])

POSES: Dict[str, np.ndarray] = {
    "t_pose": _pose(),
    "relaxed": _pose(**_ARMS_DOWN, left_elbow=[0, -0.2, 0],
                     right_elbow=[0, 0.2, 0]),
    "walking": _pose(**_ARMS_DOWN, left_hip=[-0.45, 0, 0],
                     right_hip=[0.3, 0, 0], left_knee=[0.15, 0, 0],
                     right_knee=[0.55, 0, 0], left_elbow=[0, -0.5, 0],
                     right_elbow=[0, 0.3, 0]),
    "sitting": _pose(**_ARMS_DOWN, left_hip=[-1.5, 0, 0.1],
                     right_hip=[-1.5, 0, -0.1], left_knee=[1.55, 0, 0],
                     right_knee=[1.55, 0, 0], left_elbow=[0, -1.2, 0],
                     right_elbow=[0, 1.2, 0]),
    "arms_up": _pose(left_collar=[0, 0, 0.2], right_collar=[0, 0, -0.2],
                     left_shoulder=[0, 0, 1.1], right_shoulder=[0, 0, -1.1],
                     spine2=[0, 0, -0.15]),
    "bending": _pose(**_ARMS_DOWN, spine1=[0.5, 0, 0], spine2=[0.3, 0, 0],
                     spine3=[0.2, 0, 0], left_elbow=[0, -1.5, 0],
                     right_elbow=[0, 1.5, 0], left_knee=[0.3, 0, 0],
                     right_knee=[0.3, 0, 0], left_hip=[-0.3, 0, 0],
                     right_hip=[-0.3, 0, 0]),
}
