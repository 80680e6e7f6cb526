"""Differentiable rendering in TensorFlow: cameras, rasterizers, render losses."""
