"""Tests for pipeline/weight_flags.py: the weights flags' values as
`BodyFromImage.load` and `FinetuneConfig` take them."""

import dataclasses
import inspect

from absl.testing import flagsaver

from pipeline import finetuning
from pipeline import model
from pipeline import weight_flags
from tests import testing

NAMES = ("human2d_weights", "human2d_config", "pose_weights", "shape_weights")


class WeightFlagsTest(testing.TestCase):

  def test_defaults_are_the_shipped_weights(self):
    self.assertEqual(weight_flags.paths(), {name: "" for name in NAMES})
    self.assertEqual(weight_flags.load_kwargs(),
                     {name: None for name in NAMES})

  def test_given_paths(self):
    with flagsaver.flagsaver(human2d_weights="h.weights.h5",
                             shape_weights="s.weights.h5"):
      self.assertEqual(weight_flags.load_kwargs(),
                       {"human2d_weights": "h.weights.h5",
                        "human2d_config": None, "pose_weights": None,
                        "shape_weights": "s.weights.h5"})
      self.assertEqual(weight_flags.paths()["human2d_config"], "")
      self.assertEqual(weight_flags.paths()["shape_weights"], "s.weights.h5")

  def test_names_are_the_arguments_of_the_libraries(self):
    # A misspelt name fails here rather than in a binary's main.
    inspect.signature(model.BodyFromImage.load).bind(
        **weight_flags.load_kwargs())
    fields = {f.name for f in dataclasses.fields(finetuning.FinetuneConfig)}
    self.assertLessEqual(set(weight_flags.paths()), fields)


if __name__ == "__main__":
  testing.main()
