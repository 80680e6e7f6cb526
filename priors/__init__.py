"""PosePrior and ShapePrior: regress SMPL-format θ and β from 2D evidence."""
