"""An independent, slow NumPy float64 SMPL forward pass, for tests only.

Written straight from Loper et al. 2015 with 4×4 homogeneous matrices and a
loop over joints, sharing no code with body/lbs.py.
"""

import numpy as np


def rodrigues(rotvec):
  """[3] axis-angle → [3, 3], Rodrigues' formula."""
  angle = np.linalg.norm(rotvec)
  if angle < 1e-12:
    return np.eye(3)
  k = rotvec / angle
  skew = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
  return np.eye(3) + np.sin(angle) * skew + (1 - np.cos(angle)) * skew @ skew


def smpl_forward(assets, betas, rotmats, transl=None):
  """One sample: betas [S'], rotmats [J, 3, 3] → (vertices [V,3], joints [J,3])."""
  s = len(betas)
  v_shaped = assets.v_template + assets.shapedirs[:, :, :s] @ betas
  joints = assets.j_regressor @ v_shaped
  v_posed = v_shaped.copy()
  if assets.posedirs is not None:
    feature = np.concatenate([(rotmats[j] - np.eye(3)).ravel()
                              for j in range(1, len(rotmats))])
    v_posed = v_posed + assets.posedirs @ feature
  num_j = len(assets.parents)
  world = [None] * num_j
  for j in range(num_j):
    local = np.eye(4)
    local[:3, :3] = rotmats[j]
    p = assets.parents[j]
    local[:3, 3] = joints[j] - (joints[p] if p >= 0 else 0)
    world[j] = local if p < 0 else world[p] @ local
  skinned = np.zeros_like(v_posed)
  for j in range(num_j):
    unpose = np.eye(4)
    unpose[:3, 3] = -joints[j]
    a = world[j] @ unpose
    skinned += assets.weights[:, j:j + 1] * (v_posed @ a[:3, :3].T + a[:3, 3])
  posed_joints = np.stack([w[:3, 3] for w in world])
  if transl is not None:
    skinned = skinned + transl
    posed_joints = posed_joints + transl
  return skinned, posed_joints
