"""The priors' own supervised loss on synthetic bodies, for fine-tuning.

    anchor = SyntheticPriorLoss(pose_weights, shape_weights, num_examples,
                                batch_size, seed)
    batches = iter(anchor.dataset(start_turn))  # from that priors update on
    total, terms = anchor(pose_model, shape_model, next(batches))

End-to-end fine-tuning (`pipeline.finetuning`) sees 2D labels only, and the
render loss alone lets the PosePrior match the 2D keypoints with poses that
are wrong in depth (measured: PA-MPJPE +23 mm over the paper's 2,000
iterations while PVE fell 4.5 %). This loss keeps the priors on what they
were trained for: bodies drawn as their own training data was (the sampler
and keypoint corruption of each prior's `*.config.json`, a fresh seed),
scored with their own training terms (`priors.training.LossComputer`:
rotation matrices, vertices, joints, reprojection, camera; β and vertices
for the ShapePrior) at their final-phase weights, the render term off. The
3D truth used is that of the synthetic bodies, never of the fine-tuning
images.

The batches are a function of (seed, turn): a resumed fine-tuning run that
asks for the batch of the same priors update gets the same batch.
"""

from typing import Dict, Tuple

import tensorflow as tf

from priors import data as data_lib
from priors import pose_sources
from priors import pretrained
from priors import roll as roll_lib
from priors import training as priors_training

TERMS = ("pose", "shape")


def _final_weights(config) -> Dict[str, float]:
  """The prior's loss weights at the end of its schedule, render off (it
  needs silhouettes of the prior's own renderer, not worth its cost here)."""
  weights = dict(priors_training.loss_weights(config, config.num_steps - 1))
  weights["render"] = 0.0
  return weights


class SyntheticPriorLoss:
  """Both priors' training losses on one set of generated bodies."""

  def __init__(self, pose_weights: str, shape_weights: str,
               num_examples: int, batch_size: int, seed: int):
    if num_examples < batch_size or batch_size < 1:
      raise ValueError(f"need 1 ≤ batch_size ≤ num_examples, got "
                       f"{batch_size} and {num_examples}.")
    self.pose_config = pretrained.training_config(pose_weights)
    self.shape_config = pretrained.training_config(shape_weights)
    if self.pose_config.body_model != self.shape_config.body_model:
      raise ValueError(
          f"the priors were trained on different bodies "
          f"({self.pose_config.body_model!r}, "
          f"{self.shape_config.body_model!r}).")
    data = self.pose_config.data
    assets = priors_training.load_body(self.pose_config.body_model)
    kset = data.keypoint_set
    self.arrays = data_lib.generate_arrays(
        assets, num_examples, seed, kset,
        sample_config=pose_sources.sample_config(data.poses, kset),
        pose_bank=pose_sources.load_bank(data.poses))
    self._pelvis = roll_lib.rest_pelvis(assets) if data.roll > 0 else None
    self.batch_size = batch_size
    self.seed = seed
    self._pose = priors_training.LossComputer(self.pose_config, assets)
    self._shape = priors_training.LossComputer(self.shape_config, assets)
    self._pose_weights = _final_weights(self.pose_config)
    self._shape_weights = _final_weights(self.shape_config)

  def dataset(self, start_turn: int = 0) -> tf.data.Dataset:
    """Endless batches from priors update `start_turn` on."""
    data = self.pose_config.data
    return data_lib.make_dataset(
        self.arrays, self.batch_size, data.noise, data.clean_fraction,
        seed=self.seed, keypoint_set=data.keypoint_set, mirror=data.mirror,
        start_step=start_turn, roll=data.roll, pelvis=self._pelvis)

  def __call__(self, pose_model, shape_model, batch
               ) -> Tuple[tf.Tensor, Dict[str, tf.Tensor]]:
    """(pose total + shape total, {"pose": …, "shape": …}). The priors run
    in inference mode, as the chain runs them: no dropout (whose random
    state a resumed run could not replay), batch norm's moving statistics
    left as they are."""
    pose_total, _, _ = self._pose(pose_model, batch, self._pose_weights,
                                  training=False)
    shape_total, _, _ = self._shape(shape_model, batch, self._shape_weights,
                                    training=False)
    return pose_total + shape_total, {"pose": pose_total,
                                      "shape": shape_total}
