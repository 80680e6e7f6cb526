"""The training runtime shared by every trainer (priors, human2d): strategies,
worker roles, checkpoints, the input order. Depends on TensorFlow only."""
