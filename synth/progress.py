"""What a long job reports: its progress (rate, ETA) and its provenance.

    progress = Progress(total=10000, unit="samples")
    for batch in batches:
      ...
      progress.update(done)
      logging.info("%s", progress.summary())   # 512 / 10000 samples,
                                               # 41.3 samples/s, ETA 3m50s

The rate leaves out the first update's interval (tracing, XLA compilation,
loading), which would otherwise dominate the early figures; until a second
update it is unknown and the summary says so.

`provenance(data_source)` is the record written beside a job's outputs
(`write_provenance`; priors.train writes `<model_dir>/provenance.json`):
package versions, the git commit of the code (when it runs from a checkout)
and a fingerprint of the input data. Binaries of any package can use both.

A job's binary starts the same way in every package:

    def main(argv):
      config = progress.config_from_argv(argv, config_from_flags)
      progress.write_run_provenance(config.model_dir, data_source)

(stray arguments and a config's ValueError become absl's UsageError: the
message and the usage text, exit status 1, no traceback).
"""

import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import time
from typing import Callable, Optional, Sequence, TypeVar

from absl import app

T = TypeVar("T")

PROVENANCE_FILE = "provenance.json"

PACKAGES = ("numpy", "scipy", "tensorflow", "keras", "tensorflow-graphics",
            "opencv-python-headless", "absl-py")


def format_seconds(seconds: float) -> str:
  """3725 → '1h02m', 230 → '3m50s', 12.3 → '12s'."""
  seconds = max(0, int(round(seconds)))
  hours, rest = divmod(seconds, 3600)
  minutes, secs = divmod(rest, 60)
  if hours:
    return f"{hours}h{minutes:02d}m"
  if minutes:
    return f"{minutes}m{secs:02d}s"
  return f"{secs}s"


class Progress:
  """Rate and ETA of a job of `total` units, started at `start` units done.

  Call `update(done)` with the cumulative count after each step. The rate is
  measured from the end of the first step on.
  """

  def __init__(self, total: int, start: int = 0, unit: str = "steps",
               clock: Callable[[], float] = time.perf_counter):
    if total < start:
      raise ValueError(f"total ({total}) must be ≥ start ({start}).")
    self.total, self.unit, self._clock = total, unit, clock
    self.done = start
    self._t_start = clock()
    self._base: Optional[tuple] = None   # (time, done) after the first step.
    self._last_time = self._t_start

  def update(self, done: int) -> None:
    self.done = done
    self._last_time = self._clock()
    if self._base is None:
      self._base = (self._last_time, done)

  @property
  def elapsed_s(self) -> float:
    return self._last_time - self._t_start

  @property
  def rate(self) -> Optional[float]:
    """Units per second since the first step; None before two updates."""
    if self._base is None:
      return None
    t0, d0 = self._base
    if self._last_time <= t0 or self.done <= d0:
      return None
    return (self.done - d0) / (self._last_time - t0)

  @property
  def eta_s(self) -> Optional[float]:
    rate = self.rate
    if rate is None:
      return None
    return max(self.total - self.done, 0) / rate

  def summary(self) -> str:
    text = f"{self.done} / {self.total} {self.unit}"
    rate = self.rate
    if rate is None:
      return f"{text}, rate after the first step"
    return (f"{text}, {rate:.3g} {self.unit}/s, "
            f"ETA {format_seconds(self.eta_s)}")


def _versions() -> dict:
  versions = {"python": platform.python_version()}
  for name in PACKAGES:
    try:
      versions[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
      versions[name] = None
  return versions


def _git(args, cwd) -> Optional[str]:
  try:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True,
                         text=True, timeout=10, check=True)
  except (OSError, subprocess.SubprocessError):
    return None
  return out.stdout.strip()


def code_version(directory: Optional[str] = None) -> dict:
  """The git commit of `directory` (default: this code's checkout) and
  whether it has uncommitted changes; None values outside a checkout."""
  directory = directory or os.path.dirname(os.path.abspath(__file__))
  commit = _git(["rev-parse", "HEAD"], directory)
  status = _git(["status", "--porcelain", "--untracked-files=no"], directory)
  return {"commit": commit,
          "dirty": None if status is None else bool(status)}


def file_sha256(path: str, chunk: int = 1 << 20) -> str:
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(chunk), b""):
      digest.update(block)
  return digest.hexdigest()


def data_fingerprint(source: str) -> Optional[str]:
  """sha256 identifying a job's input data: of a file's bytes, or for a
  synth dataset directory of its manifest (whose shard entries carry their
  own sha256); None for anything else (e.g. data generated at start-up,
  which the config's seed identifies)."""
  if os.path.isfile(source):
    return "sha256:" + file_sha256(source)
  manifest = os.path.join(source, "manifest.json")
  if os.path.isdir(source) and os.path.isfile(manifest):
    with open(manifest) as f:
      shards = json.load(f).get("shards", [])
    text = json.dumps(shards, sort_keys=True)
    if all("sha256" in s for s in shards):
      return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return "manifest-sha256:" + file_sha256(manifest)
  return None


def provenance(data_source: str = "") -> dict:
  """Package versions, code version and the data fingerprint, as a dict."""
  return {"versions": _versions(), "code": code_version(),
          "data": {"source": data_source,
                   "fingerprint": data_fingerprint(data_source)
                                  if data_source else None},
          "host": platform.node(),
          "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def write_provenance(path: str, data_source: str = "") -> dict:
  """Writes `provenance(data_source)` as JSON at `path` (write, then
  rename); returns it. Kept apart from a run's config.json, which resumes
  compare field by field."""
  record = provenance(data_source)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = f"{path}.tmp-{os.getpid()}"
  with open(tmp, "w") as f:
    json.dump(record, f, indent=2, sort_keys=True)
    f.write("\n")
  os.replace(tmp, path)
  return record


def write_run_provenance(model_dir: str, data_source: str = "") -> dict:
  """`write_provenance` to `<model_dir>/provenance.json` (the folder made
  when missing); returns the record."""
  return write_provenance(os.path.join(model_dir, PROVENANCE_FILE),
                          data_source)


def config_from_argv(argv: Sequence[str],
                     config_from_flags: Callable[[], T]) -> T:
  """A binary's `config_from_flags()`, its argv (program name first) free of
  stray arguments; those and a `ValueError` of the config raise
  `app.UsageError` with the message, which absl prints with the usage."""
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  try:
    return config_from_flags()
  except ValueError as e:
    raise app.UsageError(str(e)) from e
