"""SMPL-format body models: assets, loaders, differentiable skinning, keypoints."""
