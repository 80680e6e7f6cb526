r"""Converts a local copy of a 2D data set into Human2D's TFRecord schema.

    python -m human2d.convert --dataset=lspet --input=/data/lspet \
        --output=/data/lspet.tfrecord
    python -m human2d.convert --dataset=lsp --input=/data/lsp --split=train \
        --output=/data/lsp_train.tfrecord --exclude=801-1000

Joints are mapped into `--keypoint_set` (COCO_21_LSP by default) with the
points the data set does not annotate marked unlabelled (`human2d.record`).
"""

from absl import app
from absl import flags
from absl import logging

from human2d import lsp
from human2d import record

flags.DEFINE_enum("dataset", None, ["lsp", "lspet"], "Data set on disk.")
flags.DEFINE_string("input", None, "The data set's folder.")
flags.DEFINE_string("output", None, "TFRecord file to write.")
flags.DEFINE_enum("split", "all", sorted(lsp.SPLITS), "LSP split.")
flags.DEFINE_string("numbers", "", "Image numbers to keep, e.g. 1-800 "
                    "(1-based, inclusive; ranges separated by ',').")
flags.DEFINE_string("exclude", "", "Image numbers to drop, same syntax.")
flags.DEFINE_string("keypoint_set", "COCO_21_LSP", "Target keypoint set.")
flags.mark_flags_as_required(["dataset", "input", "output"])


def parse_ranges(text: str):
  """"1-3,7" → {1, 2, 3, 7}."""
  out = set()
  for part in filter(None, (p.strip() for p in text.split(","))):
    try:
      lo, _, hi = part.partition("-")
      lo, hi = int(lo), int(hi or lo)
    except ValueError:
      raise ValueError(f"bad range {part!r}: use e.g. 1-800,900") from None
    if lo > hi:
      raise ValueError(f"bad range {part!r}: {lo} > {hi}")
    out.update(range(lo, hi + 1))
  return out


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  f = flags.FLAGS
  try:
    keep, drop = parse_ranges(f.numbers), parse_ranges(f.exclude)
  except ValueError as e:
    raise app.UsageError(str(e)) from e
  lo, hi = lsp.SPLITS[f.split]
  numbers = None
  if keep or drop:
    n = len(lsp.read_joints(f.input, f.dataset))
    base = keep or set(range(lo, min(hi, n) + 1))
    numbers = sorted(i for i in base if i not in drop and lo <= i <= hi)
  examples = lsp.examples(f.input, f.dataset, f.split, f.keypoint_set,
                          numbers=numbers)
  count = record.write(examples, f.output)
  logging.info("wrote %d examples to %s", count, f.output)


if __name__ == "__main__":
  app.run(main)
