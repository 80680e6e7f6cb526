"""Synthetic training data: pose/shape/camera sampling, projection, silhouettes, TFRecord shards."""
