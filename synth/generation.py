"""The generation job: TFRecord shards of samples, a manifest, a preview.

    config = GenerationConfig(num_samples=10000, num_shards=8, seed=0)
    manifest = generate(config, "/data/synth")

Determinism: shard i draws from `np.random.default_rng(SeedSequence([seed,
i]))` in chunks of `batch_size`, so its bytes depend only on the config and
i (not on which process or worker writes it, nor on the other shards), on a
given machine and library stack.

Robustness: each shard is written to a hidden temp file in the output
directory and renamed into place when complete, so a killed job leaves no
partial shard; a rerun with the same config checks the shards that exist
(each must read back with its record CRCs intact and its sample count),
deletes damaged ones, and writes what is missing. Temp files of killed runs
on this host are deleted at the start of the next run. A rerun with a
different config into the same directory is refused. `manifest.json`
(config, schema, seed, per-shard counts) is written at the start (status
"incomplete") and again when every shard exists ("complete", with each
shard's size in bytes and sha256, which readers verify:
`record.verify_dataset`).

Paths go through `tf.io.gfile`, so the output may be a local directory or a
bucket URL (for the Beam runners).
"""

import dataclasses
import glob
import json
import logging
import os
import re
import socket
import time
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from body import assets as assets_lib
from synth import pose_bank as pose_bank_lib
from synth import progress as progress_lib
from synth import record
from synth import sample as sample_lib

_PREVIEW_STREAM = 2 ** 31 - 1     # The preview's rng stream (not a shard).


@dataclasses.dataclass(frozen=True)
class GenerationConfig:
  """A generation job.

  Attributes:
    sample: the distribution of samples.
    num_samples: total number of samples N.
    num_shards: number of TFRecord files (N is split as evenly as possible).
    seed: the job's seed K.
    batch_size: samples drawn per call of the body model and rasterizer
      (part of the definition of the output: changing it changes the bytes).
    body_model: "" for the bundled model, "toy" for the tiny test body, or a
      path to an SMPL-format `.pkl`/`.npz`.
    pose_bank: "" to sample the structured pose prior, or a path to a pose
      bank (`synth/pose_bank.py`).
    pose_bank_up_axis: the vertical axis of the pose bank's world ("z" for
      AMASS, "y" for SMPL-world fits).
  """
  sample: sample_lib.SampleConfig = sample_lib.SampleConfig()
  num_samples: int = 10000
  num_shards: int = 8
  seed: int = 0
  batch_size: int = 256
  body_model: str = ""
  pose_bank: str = ""
  pose_bank_up_axis: str = "z"

  def __post_init__(self):
    if self.num_samples <= 0:
      raise ValueError(f"num_samples must be positive, got "
                       f"{self.num_samples}.")
    if not 0 < self.num_shards <= self.num_samples:
      raise ValueError(
          f"num_shards must be in [1, num_samples = {self.num_samples}], got "
          f"{self.num_shards}.")
    if self.seed < 0:
      raise ValueError(f"seed must be ≥ 0, got {self.seed}.")
    if self.batch_size <= 0:
      raise ValueError(f"batch_size must be positive, got {self.batch_size}.")

  def to_json(self) -> dict:
    """A JSON-compatible dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(self)))


def shard_sizes(num_samples: int, num_shards: int) -> List[int]:
  """N split into `num_shards` sizes, the first ones one larger."""
  base, extra = divmod(num_samples, num_shards)
  return [base + (1 if i < extra else 0) for i in range(num_shards)]


def shard_name(index: int, num_shards: int) -> str:
  return record.SHARD_PATTERN.format(index=index, count=num_shards)


def shard_rng(seed: int, index: int) -> np.random.Generator:
  """The random stream of shard `index` of a job with seed `seed`."""
  return np.random.default_rng(np.random.SeedSequence([seed, index]))


def load_body(spec: str) -> assets_lib.BodyAssets:
  """The body model named by `GenerationConfig.body_model`."""
  # Imported here: the toy and bundled modules are only needed by jobs.
  from body import bundled  # pylint: disable=g-import-not-at-top
  from body import toy  # pylint: disable=g-import-not-at-top
  if spec == "toy":
    return toy.make_assets()
  return bundled.load_model(spec or None)


def make_generator(config: GenerationConfig,
                   assets: Optional[assets_lib.BodyAssets] = None
                   ) -> sample_lib.SampleGenerator:
  """The SampleGenerator of a job (loads the body and pose bank)."""
  assets = assets if assets is not None else load_body(config.body_model)
  bank = (pose_bank_lib.load(config.pose_bank, config.pose_bank_up_axis)
          if config.pose_bank else None)
  return sample_lib.SampleGenerator(assets, config.sample, pose_bank=bank)


def generate_shard_batches(generator: sample_lib.SampleGenerator,
                           config: GenerationConfig, index: int):
  """Yields the SampleBatches of shard `index`, in order."""
  size = shard_sizes(config.num_samples, config.num_shards)[index]
  rng = shard_rng(config.seed, index)
  for start in range(0, size, config.batch_size):
    yield generator.generate(rng, min(config.batch_size, size - start))


_TEMP = re.compile(r"^\.(.+)\.tmp-(?:(.+)-)?(\d+)$")


def _temp_name(name: str) -> str:
  """`.name.tmp-HOST-PID`: a killed run's temp files are recognised later."""
  return f".{name}.tmp-{socket.gethostname()}-{os.getpid()}"


def _process_alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  return True


def remove_stale_temp_files(directory: str) -> List[str]:
  """Deletes temp files left by killed runs of this host; returns them.

  A temp file is stale if it names this host (or no host: older runs) and a
  process id that is no longer running; other hosts' files are left alone.
  """
  removed = []
  if "://" in directory:  # Buckets: other hosts' workers may be writing.
    return removed
  for path in glob.glob(os.path.join(directory, ".*.tmp-*")):
    match = _TEMP.match(os.path.basename(path))
    if not match:
      continue
    host, pid = match.group(2), int(match.group(3))
    if host not in (None, socket.gethostname()) or _process_alive(pid):
      continue
    os.remove(path)
    removed.append(path)
    logging.warning("removed %s, left by a killed run (pid %d)", path, pid)
  return removed


def write_shard(generator: sample_lib.SampleGenerator,
                config: GenerationConfig, index: int, directory: str,
                overwrite: bool = False) -> int:
  """Writes shard `index` (temp file, then rename); returns its sample count.

  An existing shard is kept (and counted) unless `overwrite`.
  """
  if not 0 <= index < config.num_shards:
    raise ValueError(f"shard index {index} outside [0, {config.num_shards}).")
  name = shard_name(index, config.num_shards)
  path = os.path.join(directory, name)
  size = shard_sizes(config.num_samples, config.num_shards)[index]
  if tf.io.gfile.exists(path) and not overwrite:
    logging.info("shard %s exists; skipped", name)
    return size

  def records():
    for batch in generate_shard_batches(generator, config, index):
      yield from record.serialize(batch)

  return write_records_atomically(path, records(), "samples", total=size,
                                  label=f"shard {index}")


def write_records_atomically(path: str, records: Iterable[bytes],
                             what: str = "records",
                             total: Optional[int] = None,
                             label: str = "") -> int:
  """Writes `records` to a hidden temp file beside `path`, renamed to
  `path` when complete (removed if anything fails, a kill included);
  returns the count. `what` names the records in the log; with `total`
  the log shows progress with rate and ETA."""
  directory, name = os.path.split(path)
  tmp = os.path.join(directory, _temp_name(name))
  count = 0
  start = time.perf_counter()
  progress = progress_lib.Progress(total or 0, unit=what)
  try:
    with tf.io.TFRecordWriter(tmp) as writer:
      for example in records:
        writer.write(example)
        count += 1
        if total and (count % 256 == 0 or count == total):
          progress.update(count)
          logging.info("%s: %s", label or name, progress.summary())
    tf.io.gfile.rename(tmp, path, overwrite=True)
  except BaseException:
    if tf.io.gfile.exists(tmp):
      tf.io.gfile.remove(tmp)
    raise
  elapsed = time.perf_counter() - start
  logging.info("wrote %s: %d %s in %.1f s (%.1f %s/s)", name, count, what,
               elapsed, count / max(elapsed, 1e-9), what)
  return count


def manifest_for(config: GenerationConfig, status: str,
                 generator: sample_lib.SampleGenerator,
                 elapsed_s: Optional[float] = None,
                 digests: Optional[Dict[str, tuple]] = None) -> dict:
  """The manifest dict (JSON-compatible); `digests` maps shard file names to
  (bytes, sha256), recorded per shard."""
  sizes = shard_sizes(config.num_samples, config.num_shards)
  schema = record.schema_for(config.sample)
  manifest = {
      "status": status,
      "config": config.to_json(),
      "seed": config.seed,
      "num_samples": config.num_samples,
      "schema": dataclasses.asdict(schema),
      "keypoint_names": list(generator.keypoint_set.names),
      "families": list(sample_lib.pose_prior.FAMILIES),
      "body_model": {"name": generator.assets.name,
                     "num_vertices": int(generator.assets.num_vertices),
                     "num_faces": int(len(generator.assets.faces))},
      "shards": [_shard_entry(shard_name(i, config.num_shards), n, digests)
                 for i, n in enumerate(sizes)],
      "versions": {"numpy": np.__version__, "tensorflow": tf.__version__},
      "provenance": progress_lib.provenance(config.pose_bank),
  }
  if elapsed_s is not None:
    manifest["elapsed_s"] = round(elapsed_s, 3)
  return manifest


def _shard_entry(name: str, count: int, digests) -> dict:
  entry = {"file": name, "count": count}
  if digests and name in digests:
    entry["bytes"], entry["sha256"] = digests[name]
  return entry


def write_manifest(directory: str, manifest: dict) -> None:
  """Writes `manifest.json` atomically."""
  path = os.path.join(directory, record.MANIFEST)
  tmp = os.path.join(directory, _temp_name(record.MANIFEST))
  with tf.io.gfile.GFile(tmp, "w") as f:
    json.dump(manifest, f, indent=2, sort_keys=True)
    f.write("\n")
  tf.io.gfile.rename(tmp, path, overwrite=True)


def check_compatible(directory: str, config: GenerationConfig) -> None:
  """Raises ValueError if `directory` holds a job with another config."""
  path = os.path.join(directory, record.MANIFEST)
  if not tf.io.gfile.exists(path):
    return
  with tf.io.gfile.GFile(path) as f:
    try:
      old = json.load(f).get("config")
    except (ValueError, AttributeError) as e:
      raise record.DatasetError(
          f"{path!r} is not a valid manifest ({e}); delete it (the shards "
          f"beside it are checked on the rerun) or use a new --output.") from e
  if old != config.to_json():
    raise ValueError(
        f"{directory!r} holds a dataset generated with another config; use a "
        f"new --output directory (or delete the old one). Old config: {old}")


def _shard_is_intact(path: str, count: int) -> bool:
  """Whether every record of `path` reads back (CRCs) and there are `count`."""
  try:
    return sum(1 for _ in tf.data.TFRecordDataset(path)) == count
  except (tf.errors.DataLossError, tf.errors.OutOfRangeError,
          tf.errors.InvalidArgumentError):
    return False


def missing_shards(config: GenerationConfig, directory: str,
                   check: bool = True, name_fn=None,
                   sizes: Optional[Sequence[int]] = None) -> List[int]:
  """Indices of the shards not yet (intact) in `directory` (file names from
  `name_fn(index, num_shards)`, default `shard_name`; any config with
  `num_samples` and `num_shards`, or any with `num_shards` and the records
  per shard as `sizes`).

  With `check`, existing shards are read back; a damaged one (truncated,
  corrupt, wrong record count) is deleted, with a warning, and listed.
  """
  name_fn = name_fn or shard_name
  if sizes is None:
    sizes = shard_sizes(config.num_samples, config.num_shards)
  missing = []
  for i, size in enumerate(sizes):
    path = os.path.join(directory, name_fn(i, config.num_shards))
    if not tf.io.gfile.exists(path):
      missing.append(i)
    elif check and not _shard_is_intact(path, size):
      logging.warning("%s is damaged (truncated, corrupt or not %d samples); "
                      "deleting it to write it again", path, size)
      tf.io.gfile.remove(path)
      missing.append(i)
  return missing


def prepare_output(config: GenerationConfig, directory: str,
                   generator: sample_lib.SampleGenerator) -> None:
  """Creates the directory, checks an old manifest, writes "incomplete"."""
  tf.io.gfile.makedirs(directory)
  check_compatible(directory, config)
  remove_stale_temp_files(directory)
  write_manifest(directory, manifest_for(config, "incomplete", generator))


def generate(config: GenerationConfig, directory: str,
             shards: Optional[Sequence[int]] = None,
             assets: Optional[assets_lib.BodyAssets] = None) -> dict:
  """Writes the missing shards of a job in this process; returns the manifest.

  Args:
    config: the job.
    directory: output directory.
    shards: optional subset of shard indices to write (default: all).
    assets: optional body model (default: `config.body_model`).
  """
  start = time.perf_counter()
  generator = make_generator(config, assets)
  prepare_output(config, directory, generator)
  todo = [i for i in missing_shards(config, directory)
          if shards is None or i in shards]
  logging.info("%d of %d shards to write in %s", len(todo),
               config.num_shards, directory)
  sizes = shard_sizes(config.num_samples, config.num_shards)
  progress = progress_lib.Progress(sum(sizes[i] for i in todo),
                                   unit="samples")
  for done, i in enumerate(todo):
    write_shard(generator, config, i, directory)
    progress.update(progress.done + sizes[i])
    logging.info("progress: %d / %d shards, %s", done + 1, len(todo),
                 progress.summary())
  return finish(config, directory, generator, time.perf_counter() - start)


def finish(config: GenerationConfig, directory: str,
           generator: sample_lib.SampleGenerator,
           elapsed_s: Optional[float] = None) -> dict:
  """Rewrites the manifest as "complete", with each shard's size and
  sha256, if every shard exists."""
  missing = missing_shards(config, directory, check=False)
  status = "incomplete" if missing else "complete"
  digests = None
  if not missing:
    digests = {}
    for i in range(config.num_shards):
      name = shard_name(i, config.num_shards)
      digests[name] = record.file_digest(os.path.join(directory, name))
  manifest = manifest_for(config, status, generator, elapsed_s, digests)
  write_manifest(directory, manifest)
  return manifest


def preview_batch(config: GenerationConfig, num: int,
                  generator: Optional[sample_lib.SampleGenerator] = None
                  ) -> sample_lib.SampleBatch:
  """`num` samples of the job's distribution from a stream of their own."""
  generator = generator or make_generator(config)
  return generator.generate(shard_rng(config.seed, _PREVIEW_STREAM), num)


def write_preview(config: GenerationConfig, path: str, num: int = 48,
                  generator: Optional[sample_lib.SampleGenerator] = None,
                  columns: int = 8) -> None:
  """Writes a contact sheet PNG of `num` samples to `path`."""
  from synth import preview  # pylint: disable=g-import-not-at-top
  generator = generator or make_generator(config)
  batch = preview_batch(config, num, generator)
  sheet = preview.contact_sheet(batch, generator.keypoint_set,
                                columns=columns)
  preview.write_png(path, sheet)
  logging.info("wrote a contact sheet of %d samples to %s", num, path)


def shard_counts(directory: str) -> Dict[str, int]:
  """Records per shard file, counted by reading them (for checks)."""
  return {os.path.basename(p): sum(1 for _ in tf.data.TFRecordDataset(p))
          for p in record.shard_paths(directory)}
