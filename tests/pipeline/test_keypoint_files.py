"""Tests for pipeline/keypoint_files.py on fixtures written here."""

import json
import os

import numpy as np

from body import keypoints
from pipeline import keypoint_files
from tests import testing

COCO = keypoints.COCO_17


class KeypointFilesTest(testing.TestCase):

  def setUp(self):
    super().setUp()
    self.dir = self.create_tempdir().full_path
    # A person's COCO_17 points, with some confidences.
    self.xy = self.rng.uniform(50, 150, (17, 2)).astype(np.float32)
    self.conf = self.rng.uniform(0.3, 1.0, 17).astype(np.float32)

  def _write(self, name, data):
    path = os.path.join(self.dir, name)
    with open(path, "w") as f:
      json.dump(data, f)
    return path

  def _openpose(self, layout, shift=0.0):
    flat = np.zeros((len(layout), 3), np.float32)
    for i, name in enumerate(layout):
      if name in COCO.names:
        j = COCO.names.index(name)
        flat[i] = [*(self.xy[j] + shift), self.conf[j]]
      else:  # Neck, mid-hip, feet: present in the file, dropped on reading.
        flat[i] = [999.0, 999.0, 0.9]
    return {"pose_keypoints_2d": flat.ravel().tolist()}

  @testing.parameters(18, 25)
  def test_openpose_people_in_coco_order(self, n):
    layout = keypoint_files.OPENPOSE_LAYOUTS[n]
    path = self._write("img_keypoints.json", {"version": 1.3, "people": [
        self._openpose(layout), self._openpose(layout, shift=300.0)]})
    people = keypoint_files.read_openpose(path)
    self.assertLen(people, 2)
    self.assertAllClose(people[0].keypoints, self.xy)
    self.assertAllClose(people[1].keypoints, self.xy + 300.0)
    self.assertAllClose(people[0].confidence, self.conf)
    box = people[0].box
    self.assertTrue(np.all(box[:2] < self.xy.min(0)))
    self.assertTrue(np.all(box[2:] > self.xy.max(0)))
    # A folder of them is matched to images by stem.
    source = keypoint_files.load(self.dir)
    self.assertLen(source.persons("/photos/img.jpg"), 2)
    self.assertIsNone(source.persons("/photos/other.jpg"))
    # One file answers for its own image, or for any in a one-image run.
    self.assertLen(keypoint_files.load(path).persons("b/img.png"), 2)
    self.assertIsNone(keypoint_files.load(path).persons("b/other.png"))
    self.assertLen(keypoint_files.load(path, any_image=True).persons(
        "b/other.png"), 2)

  def test_openpose_wrong_length_is_named(self):
    path = self._write("bad.json", {"people": [
        {"pose_keypoints_2d": [1.0] * 30}]})
    with self.assertRaisesRegex(ValueError, "75 .BODY_25. or 54"):
      keypoint_files.read_openpose(path)

  def test_coco_results_by_image_id(self):
    flat = np.concatenate([self.xy, self.conf[:, None]], 1).ravel().tolist()
    path = self._write("results.json", [
        {"image_id": 139, "category_id": 1, "keypoints": flat, "score": 0.4},
        {"image_id": 139, "category_id": 1, "keypoints": flat, "score": 0.9},
        {"image_id": 7, "category_id": 1, "keypoints": flat, "score": 0.05}])
    source = keypoint_files.load(path, min_score=0.1)
    self.assertEqual(source.kind, "coco")
    people = source.persons("/x/000000000139.jpg")
    self.assertEqual([p.score for p in people], [0.9, 0.4])
    self.assertAllClose(people[0].keypoints, self.xy)
    self.assertIsNone(source.persons("/x/000000000007.jpg"))  # Under 0.1.

  def test_coco_visibility_flags_become_confidences(self):
    flags = np.where(np.arange(17) % 2 == 0, 2.0, 0.0)
    flat = np.concatenate([self.xy, flags[:, None]], 1).ravel().tolist()
    path = self._write("gt.json", [{"image_id": "a", "keypoints": flat}])
    person = keypoint_files.read_coco_results(path)["a"][0]
    self.assertAllClose(person.confidence, np.minimum(flags, 1.0))

  def test_boxes_file(self):
    path = self._write("boxes.json", {"a.jpg": [[1, 2, 30, 40]],
                                      "b": [[0, 0, 5, 5], [5, 5, 9, 9]]})
    source = keypoint_files.PersonSource(keypoint_files.read_boxes(path),
                                         "boxes")
    self.assertAllClose(source.persons("dir/a.jpg")[0].box, [1, 2, 30, 40])
    self.assertLen(source.persons("dir/b.png"), 2)

  def test_unknown_file_is_named(self):
    path = self._write("what.json", {"foo": 1})
    with self.assertRaisesRegex(ValueError, "what.json"):
      keypoint_files.load(path)


if __name__ == "__main__":
  testing.main()
