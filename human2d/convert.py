r"""Converts a local copy of a 2D data set into Human2D's TFRecord schema.

    python -m human2d.convert --dataset=lspet --input=/data/lspet \
        --output=/data/lspet.tfrecord
    python -m human2d.convert --dataset=lsp --input=/data/lsp --split=train \
        --output=/data/lsp_train.tfrecord --exclude=801-1000
    python -m human2d.convert --dataset=lsp --input=/data/lsp \
        --upi_s1h=/data/upi-s1h --output=/data/lsp_s1h.tfrecord
    python -m human2d.convert --dataset=mpii --input=/data/mpii \
        --output=/data/mpii_train.tfrecord
    python -m human2d.convert --dataset=coco --input=/data/coco \
        --split=train2017 --output=/data/coco_train.tfrecord
    python -m human2d.convert --dataset=up3d --input=/data/up-3d \
        --split=trainval --output=/data/up3d.tfrecord

Joints are mapped into `--keypoint_set` (COCO_21_LSP by default) with the
points the data set does not annotate marked unlabelled (`human2d.record`).
A broken annotation stops the run with its file and entry named, unless
`--skip_bad` (then it is logged and left out).
"""

from absl import app
from absl import flags
from absl import logging

from human2d import datasets
from human2d import mpii
from human2d import record
from synth import progress

flags.DEFINE_enum("dataset", None, sorted(datasets.DEFAULT_SPLITS), "Data set on disk.")
flags.DEFINE_string("input", None, "The data set's folder.")
flags.DEFINE_string("output", None, "TFRecord file to write.")
flags.DEFINE_string("split", "", "lsp/lspet: train, test, all; mpii: train, "
                    "test, all; coco: e.g. train2017, val2017; up3d: train, "
                    "val, test, trainval. Empty: "
                    + ", ".join(f"{k} {v}" for k, v
                                in datasets.DEFAULT_SPLITS.items()) + ".")
flags.DEFINE_string("numbers", "", "lsp/lspet: image numbers to keep, e.g. "
                    "1-800 (1-based, inclusive; ranges separated by ',').")
flags.DEFINE_string("exclude", "", "lsp/lspet: image numbers to drop, same "
                    "syntax.")
flags.DEFINE_string("upi_s1h", "", "lsp/lspet: the UPi-S1h folder; keep the "
                    "images it has a person mask for, as the silhouette.")
flags.DEFINE_string("keypoint_set", "COCO_21_LSP", "Target keypoint set.")
flags.DEFINE_bool("silhouettes", True, "coco: person masks; up3d: the SMPL "
                  "fit's silhouette.")
flags.DEFINE_integer("min_keypoints", None, "mpii, coco: people with fewer "
                     "labelled joints are left out (default mpii 2, coco 1).")
flags.DEFINE_enum("mpii_box", "scale", list(mpii.BOXES), "mpii: person box "
                  "from objpos and scale (the hourglass crop) or the joints.")
flags.DEFINE_bool("single_person", False, "mpii: only the people "
                  "`single_person` lists.")
flags.DEFINE_string("annotations", "", "mpii: the .mat, coco: the JSON, when "
                    "not where --input and --split put them.")
flags.DEFINE_bool("skip_bad", False, "Log and leave out a broken annotation "
                  "instead of stopping.")


def config_from_flags() -> datasets.ConvertConfig:
  f = flags.FLAGS
  return datasets.ConvertConfig(
      dataset=f.dataset, input=f.input, split=f.split, numbers=f.numbers,
      exclude=f.exclude, upi_s1h=f.upi_s1h, keypoint_set=f.keypoint_set,
      silhouettes=f.silhouettes, min_keypoints=f.min_keypoints,
      mpii_box=f.mpii_box, single_person=f.single_person,
      annotations=f.annotations, skip_bad=f.skip_bad)


def main(argv):
  config = progress.config_from_argv(argv, config_from_flags)
  count = record.write(datasets.examples(config), flags.FLAGS.output)
  logging.info("wrote %d examples to %s", count, flags.FLAGS.output)


if __name__ == "__main__":
  # Required only when run as a program, so tests can import this module.
  flags.mark_flags_as_required(["dataset", "input", "output"])
  app.run(main)
