"""Tests for human2d/datasets.py (what the human2d.convert binary runs):
each dataset reaches its converter and writes records (fixtures from the
converters' tests)."""

import os

import numpy as np
import tensorflow as tf

from human2d import datasets
from human2d import record
from tests import testing
from tests.human2d import test_coco
from tests.human2d import test_lsp
from tests.human2d import test_mpii
from tests.human2d import test_up3d


def count_records(path):
  return sum(1 for _ in tf.data.TFRecordDataset(path).map(record.parse_fn()))


class ConvertTest(testing.TestCase):

  def run_binary(self, **flag_values):
    out = os.path.join(self.create_tempdir().full_path, "out.tfrecord")
    record.write(datasets.examples(datasets.ConvertConfig(**flag_values)),
                 out)
    return out

  def test_each_dataset(self):
    root = self.create_tempdir().full_path
    rng = np.random.default_rng(0)
    anns = [dict(id=1, image_id=1, category_id=1, iscrowd=0,
                 bbox=[1, 1, 9, 9], segmentation=[[1, 1, 9, 1, 9, 9]],
                 keypoints=test_coco.keypoint_list(rng, [2] * 17))]
    test_coco.write_split(root, anns, "val2017")
    out = self.run_binary(dataset="coco", input=root, split="val2017")
    self.assertEqual(count_records(out), 1)

    root = self.create_tempdir().full_path
    rect = test_mpii.rect(test_mpii.points(rng.uniform(2, 9, [3, 2]),
                                           [0, 9, 15], [1, 1, 1]),
                          (1, 1, 4, 5), 0.2, (5, 5))
    test_mpii.write_release(root, [("a.jpg", rect), ("b.jpg", rect)], [1, 0],
                            [[], []])
    out = self.run_binary(dataset="mpii", input=root)
    self.assertEqual(count_records(out), 1)       # The train image only.
    out = self.run_binary(dataset="mpii", input=root, min_keypoints=4)
    self.assertEqual(count_records(out), 0)

    root = self.create_tempdir().full_path
    test_up3d.write_up3d(root, {3: rng.uniform(2, 9, [2, 14])}, split="val")
    out = self.run_binary(dataset="up3d", input=root, split="val")
    self.assertEqual(count_records(out), 1)

    root = self.create_tempdir().full_path
    test_lsp.write_fixture(root, "lsp", rng.uniform(5, 35, [3, 14, 2]),
                           np.zeros([3, 14]))
    out = self.run_binary(dataset="lsp", input=root, exclude="2")
    self.assertEqual(count_records(out), 2)

  def test_usage_errors(self):
    with self.assertRaisesRegex(ValueError, "are for --dataset=lsp"):
      self.run_binary(dataset="coco", input="x", numbers="1-3")
    with self.assertRaisesRegex(ValueError, "--split for lsp"):
      self.run_binary(dataset="lsp", input="x", split="train2017")


if __name__ == "__main__":
  testing.main()
