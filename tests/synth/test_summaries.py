"""TensorBoard event files written without the tensorboard package."""

import os

import numpy as np
import tensorflow as tf

from synth import summaries
from tests import testing


class SummariesTest(testing.TestCase):

  def test_scalar_and_image_events(self):
    logdir = self.create_tempdir().full_path
    writer = tf.summary.create_file_writer(logdir)
    image = np.zeros((2, 8, 6, 3), np.uint8)
    image[0, 1, 2] = [255, 0, 0]
    with writer.as_default():
      summaries.scalar("loss/total", 1.5, 7)
      summaries.image("overlay", image, 7)
    writer.flush()
    (event_file,) = os.listdir(logdir)
    found = {}
    for record in tf.data.TFRecordDataset(os.path.join(logdir, event_file)):
      event = tf.compat.v1.Event.FromString(record.numpy())
      for value in event.summary.value:
        found[value.tag] = (event.step, value)
    step, scalar = found["loss/total"]
    self.assertEqual(step, 7)
    self.assertEqual(scalar.metadata.plugin_data.plugin_name, "scalars")
    self.assertAllClose(tf.make_ndarray(scalar.tensor), 1.5)
    _, img = found["overlay"]
    self.assertEqual(img.metadata.plugin_data.plugin_name, "images")
    parts = tf.make_ndarray(img.tensor)
    self.assertEqual([int(parts[0]), int(parts[1])], [6, 8])  # width, height
    self.assertAllEqual(tf.io.decode_png(parts[2]).numpy(), image[0])

  def test_image_rejects_rank(self):
    with self.assertRaisesRegex(ValueError, "images"):
      summaries.image("x", np.zeros((8, 8, 3), np.uint8), 0)


if __name__ == "__main__":
  testing.main()
