r"""Writes rendered training images as TFRecord shards
(`synth/image_generation.py`).

    python -m synth.generate_images --output=/tmp/images --num_images=10000 \
        --num_shards=8 --seed=0 --background_dirs=/data/backgrounds

Flags build a frozen `ImageGenerationConfig`; the library does the rest. A
rerun with the same flags writes only the missing shards; --beam runs the
shards on Apache Beam (unknown flags go to Beam's PipelineOptions). The job
also writes contact_sheet.jpg (--contact_sheet images, labels drawn).
"""

import os
import sys

from absl import app
from absl import flags
from absl import logging

from synth import camera_effects
from synth import image_generation
from synth import images

_OUTPUT = flags.DEFINE_string("output", None, "Output directory.",
                              required=True)
_NUM_IMAGES = flags.DEFINE_integer("num_images", 10000, "Images N.")
_NUM_SHARDS = flags.DEFINE_integer("num_shards", 8, "TFRecord shards.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the job.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 16,
                                   "Images rendered per call.")
_IMAGE_SIZE = flags.DEFINE_integer("image_size", 256, "Crop side S.")
_KEYPOINT_SET = flags.DEFINE_string("keypoint_set", "COCO_21_LSP",
                                    "Keypoint set (body.keypoints).")
_BODY_MODEL = flags.DEFINE_string(
    "body_model", "", "'' = bundled model, 'toy' = test body, or a path.")
_BACKGROUND_DIRS = flags.DEFINE_list(
    "background_dirs", [], "Folders of .jpg/.png photos for backgrounds.")
_PHOTO_PROBABILITY = flags.DEFINE_float(
    "photo_probability", 0.6, "Chance of a photo background (with folders).")
_OCCLUDER_PROBABILITY = flags.DEFINE_float(
    "occluder_probability", 0.25, "Chance of an occluder.")
_LOOSE_CLOTH_PROBABILITY = flags.DEFINE_float(
    "loose_cloth_probability", 0.2, "Chance of a skirt/coat surface.")
_EFFECTS = flags.DEFINE_bool("effects", True, "Camera effects on/off.")
_IMAGE_FORMAT = flags.DEFINE_enum("image_format", "jpeg", ["jpeg", "png"],
                                  "Encoding of the stored images.")
_JPEG_QUALITY = flags.DEFINE_integer("jpeg_quality", 95,
                                     "Quality of stored JPEG images.")
_CONTACT_SHEET = flags.DEFINE_integer(
    "contact_sheet", 48, "Images in contact_sheet.jpg (0: none).")
_CONTACT_SHEET_LABELS = flags.DEFINE_bool(
    "contact_sheet_labels", True, "Draw the labels on the contact sheet.")
_BEAM = flags.DEFINE_bool("beam", False, "Run the shards on Apache Beam.")


def config_from_flags() -> image_generation.ImageGenerationConfig:
  effects = camera_effects.EffectsConfig()
  return image_generation.ImageGenerationConfig(
      images=images.ImageConfig(
          keypoint_set=_KEYPOINT_SET.value,
          image_size=_IMAGE_SIZE.value,
          background_dirs=tuple(_BACKGROUND_DIRS.value),
          photo_probability=_PHOTO_PROBABILITY.value,
          occluder_probability=_OCCLUDER_PROBABILITY.value,
          loose_cloth_probability=_LOOSE_CLOTH_PROBABILITY.value,
          effects=effects if _EFFECTS.value else effects.off(),
          batch_size=_BATCH_SIZE.value,
          body_model=_BODY_MODEL.value),
      num_images=_NUM_IMAGES.value,
      num_shards=_NUM_SHARDS.value,
      seed=_SEED.value,
      image_format=_IMAGE_FORMAT.value,
      jpeg_quality=_JPEG_QUALITY.value)


def main(argv):
  try:
    config = config_from_flags()
  except ValueError as e:
    sys.exit(f"generate_images: bad flags: {e}")
  if _BEAM.value:
    manifest = image_generation.run_beam(config, _OUTPUT.value,
                                         list(argv[1:]) or None)
    renderer = None
  else:
    if len(argv) > 1:
      sys.exit(f"generate_images: unknown arguments {argv[1:]}.")
    try:
      renderer = images.ImageRenderer(config.images)
    except ValueError as e:
      sys.exit(f"generate_images: {e}")
    manifest = image_generation.generate(config, _OUTPUT.value,
                                         renderer=renderer)
  logging.info("%s: %d images in %d shards (%s)", _OUTPUT.value,
               manifest["num_images"], len(manifest["shards"]),
               manifest["status"])
  if _CONTACT_SHEET.value > 0:
    image_generation.write_contact_sheet(
        config, os.path.join(_OUTPUT.value, image_generation.CONTACT_SHEET),
        _CONTACT_SHEET.value, labels=_CONTACT_SHEET_LABELS.value,
        renderer=renderer)


def _parse(argv):
  # Keep unknown (Beam) flags for the pipeline instead of failing on them.
  return flags.FLAGS(argv, known_only=True)


if __name__ == "__main__":
  app.run(main, flags_parser=_parse, argv=sys.argv)
