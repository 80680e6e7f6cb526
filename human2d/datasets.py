"""Every data-set converter behind one call: a `ConvertConfig` → examples.

    examples = datasets.examples(ConvertConfig(dataset="lsp", input=path))
    record.write(examples, "/data/lsp.tfrecord")

The `human2d.convert` binary builds the config from its flags; tests call
this module directly.
"""

import dataclasses
from typing import Iterator, List, Optional, Set

from human2d import coco
from human2d import lsp
from human2d import mpii
from human2d import record
from human2d import up3d

DEFAULT_SPLITS = {"lsp": "all", "lspet": "all", "mpii": "train",
                  "coco": "train2017", "up3d": "trainval"}


@dataclasses.dataclass(frozen=True)
class ConvertConfig:
  """What to convert (see `python -m human2d.convert --help`)."""
  dataset: str
  input: str
  split: str = ""
  numbers: str = ""
  exclude: str = ""
  upi_s1h: str = ""
  keypoint_set: str = "COCO_21_LSP"
  silhouettes: bool = True
  min_keypoints: Optional[int] = None
  mpii_box: str = "scale"
  single_person: bool = False
  annotations: str = ""
  skip_bad: bool = False

  def __post_init__(self):
    if self.dataset not in DEFAULT_SPLITS:
      raise ValueError(f"dataset must be one of {sorted(DEFAULT_SPLITS)}, "
                       f"got {self.dataset!r}.")
    if self.dataset not in ("lsp", "lspet") and (
        self.numbers or self.exclude or self.upi_s1h):
      raise ValueError("--numbers, --exclude and --upi_s1h are for "
                       "--dataset=lsp or lspet.")
    if self.dataset in ("lsp", "lspet") and self.split_name not in lsp.SPLITS:
      raise ValueError(f"--split for {self.dataset} must be one of "
                       f"{sorted(lsp.SPLITS)}, got {self.split_name!r}.")
    parse_ranges(self.numbers)   # Raises on a bad range.
    parse_ranges(self.exclude)

  @property
  def split_name(self) -> str:
    return self.split or DEFAULT_SPLITS[self.dataset]


def parse_ranges(text: str) -> Set[int]:
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


def lsp_numbers(config: ConvertConfig) -> Optional[List[int]]:
  """The LSP image numbers that `numbers` / `exclude` leave, or None."""
  keep, drop = parse_ranges(config.numbers), parse_ranges(config.exclude)
  if not (keep or drop):
    return None
  lo, hi = lsp.SPLITS[config.split_name]
  n = len(lsp.read_joints(config.input, config.dataset))
  base = keep or set(range(lo, min(hi, n) + 1))
  return sorted(i for i in base if i not in drop and lo <= i <= hi)


def examples(config: ConvertConfig) -> Iterator[record.Example]:
  """The examples `config` asks for (a generator)."""
  split = config.split_name
  options = {}
  if config.min_keypoints is not None:
    options["min_keypoints"] = config.min_keypoints
  if config.dataset in ("lsp", "lspet"):
    out = lsp.examples(config.input, config.dataset, split,
                       config.keypoint_set, numbers=lsp_numbers(config))
    if config.upi_s1h:
      out = up3d.with_s1h_silhouettes(out, config.upi_s1h, config.dataset,
                                      config.skip_bad)
    return out
  if config.dataset == "mpii":
    return mpii.examples(config.input, split, config.keypoint_set,
                         box=config.mpii_box,
                         single_person_only=config.single_person,
                         annotations=config.annotations or None,
                         skip_bad=config.skip_bad, **options)
  if config.dataset == "coco":
    return coco.examples(config.input, split, config.keypoint_set,
                         masks=config.silhouettes,
                         annotations=config.annotations or None,
                         skip_bad=config.skip_bad, **options)
  return up3d.examples(config.input, split, config.keypoint_set,
                       silhouettes=config.silhouettes,
                       skip_bad=config.skip_bad)
