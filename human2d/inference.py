"""Human2D at inference: crops → keypoints, confidences and a silhouette.

    net = inference.Human2D.load()            # the shipped weights
    out = net.predict(crops)                  # crops: [B, S, S, 3] uint8
    out.keypoints.xy, out.keypoints.confidence, out.silhouette

Flip test (on by default): the mirrored crops go through the network too,
their heatmaps are mirrored back with left and right swapped, and both are
averaged before decoding, as hourglass papers evaluate.
"""

import os
from typing import NamedTuple, Optional

import keras
import numpy as np
import tensorflow as tf

from body import keypoints as keypoints_lib
from human2d import config as config_lib
from human2d import heatmaps as heatmaps_lib
from human2d import hourglass

WEIGHTS_DIR = os.path.join(os.path.dirname(__file__), "weights")
SHIPPED = "human2d_medium"


class Prediction(NamedTuple):
  """Human2D's output for B crops (last stack).

  Attributes:
    keypoints: decoded `heatmaps.Keypoints2D` (`xy` `[B, K, 2]` crop
      pixels, `confidence` `[B, K]`).
    heatmaps: `[B, M, M, K]`.
    silhouette: `[B, M, M]` body probability.
  """
  keypoints: heatmaps_lib.Keypoints2D
  heatmaps: tf.Tensor
  silhouette: tf.Tensor


class Human2D:
  """A built network with its config; call `predict` on crops."""

  def __init__(self, model: keras.Model, config: config_lib.ModelConfig):
    self.model = model
    self.config = config
    self._perm = keypoints_lib.get(config.keypoint_set).flip_permutation()

  @classmethod
  def load(cls, weights: Optional[str] = None,
           config: Optional[str] = None) -> "Human2D":
    """From a weights file and its `*.config.json` (default: the shipped
    `small` weights), or from a training run's `model_dir` (its newest
    checkpoint and config.json)."""
    if weights and os.path.isdir(weights):
      return cls._from_model_dir(weights)
    if weights is None:
      weights = os.path.join(WEIGHTS_DIR, SHIPPED + ".weights.h5")
    if config is None:
      config = weights[:-len(".weights.h5")] + ".config.json"
      if not os.path.exists(config):
        config = os.path.join(os.path.dirname(weights), "human2d.config.json")
    if not os.path.exists(weights):
      raise ValueError(f"no Human2D weights at {weights}.")
    cfg = config_lib.model_from_json(config)
    model = hourglass.build(cfg)
    model.load_weights(weights)
    return cls(model, cfg)

  @classmethod
  def _from_model_dir(cls, model_dir: str) -> "Human2D":
    cfg = config_lib.model_from_json(os.path.join(model_dir, "config.json"))
    latest = tf.train.latest_checkpoint(os.path.join(model_dir,
                                                     "checkpoints"))
    if latest is None:
      raise ValueError(f"no checkpoint in {model_dir}/checkpoints.")
    model = hourglass.build(cfg)
    tf.train.Checkpoint(model=model).restore(latest).expect_partial()
    return cls(model, cfg)

  def heatmaps(self, crops, flip_test: bool = True):
    """(`[B, M, M, K]` heatmaps, `[B, M, M]` silhouette probability) of the
    last stack, flip-averaged when `flip_test`."""
    crops = tf.cast(crops, tf.float32)
    s = self.config.input_size
    if crops.shape.rank != 4 or tuple(crops.shape[1:]) != (s, s, 3):
      raise ValueError(f"crops must be [B, {s}, {s}, 3], got {crops.shape}.")
    if flip_test:
      both = tf.concat([crops, tf.reverse(crops, axis=[2])], axis=0)
      hms, sils = self.model(both, training=False)
      n = tf.shape(crops)[0]
      hm = hms[:, -1]
      sil = tf.nn.softmax(sils[:, -1], axis=-1)[..., 1]
      hm = 0.5 * (hm[:n] + heatmaps_lib.flip_back(hm[n:], self._perm))
      sil = 0.5 * (sil[:n] + tf.reverse(sil[n:], axis=[2]))
      return hm, sil
    hms, sils = self.model(crops, training=False)
    return hms[:, -1], tf.nn.softmax(sils[:, -1], axis=-1)[..., 1]

  def predict(self, crops, flip_test: bool = True,
              refine: str = "modulated") -> Prediction:
    hm, sil = self.heatmaps(crops, flip_test)
    return Prediction(heatmaps_lib.decode(hm, refine), hm, sil)


def predict_in_batches(net: Human2D, crops: np.ndarray, batch_size: int = 16,
                       flip_test: bool = True):
  """NumPy `(xy [N, K, 2], confidence [N, K], silhouette [N, M, M])`."""
  xy, conf, sil = [], [], []
  fn = tf.function(lambda c: net.predict(c, flip_test))
  for i in range(0, len(crops), batch_size):
    out = fn(tf.convert_to_tensor(crops[i:i + batch_size], tf.float32))
    xy.append(out.keypoints.xy.numpy())
    conf.append(out.keypoints.confidence.numpy())
    sil.append(out.silhouette.numpy())
  return np.concatenate(xy), np.concatenate(conf), np.concatenate(sil)
