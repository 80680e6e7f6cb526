"""TensorBoard scalars and images without the `tensorboard` package.

`tf.summary.scalar` / `tf.summary.image` live in the `tensorboard` pip
package, which the project does not install. The event files TensorBoard
reads only need `tf.summary.write` (core TensorFlow) with the plugin name in
the summary metadata, which is all those functions add; the tensors written
here have the layouts the scalars and images plugins expect (a float32
scalar; a string vector [width, height, png, ...]).
"""

import tensorflow as tf
from tensorflow.core.framework import summary_pb2


def _metadata(plugin: str) -> summary_pb2.SummaryMetadata:
  return summary_pb2.SummaryMetadata(
      plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin))


def scalar(name: str, value, step: int) -> None:
  """Writes a scalar to the default writer."""
  tf.summary.write(name, tf.cast(value, tf.float32), step=step,
                   metadata=_metadata("scalars"))


def image(name: str, images, step: int) -> None:
  """Writes `[N, H, W, C]` uint8 images to the default writer."""
  images = tf.convert_to_tensor(images, tf.uint8)
  if images.shape.rank != 4:
    raise ValueError(f"images must have shape [N, H, W, C], got "
                     f"{images.shape.as_list()}.")
  pngs = tf.map_fn(tf.io.encode_png, images, fn_output_signature=tf.string)
  shape = tf.shape(images)
  tensor = tf.concat([tf.strings.as_string([shape[2], shape[1]]), pngs], 0)
  tf.summary.write(name, tensor, step=step, metadata=_metadata("images"))
