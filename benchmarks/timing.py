"""Small helpers shared by the benchmark programs: timing and reporting."""

import json
import os
import platform
import resource
import statistics
import time
from typing import Callable, Dict, List, Sequence


def median_ms(fn: Callable[[], object], runs: int, warmup: int = 2) -> float:
  """Median wall time of `fn()` in milliseconds, after `warmup` calls."""
  for _ in range(warmup):
    fn()
  times = []
  for _ in range(runs):
    start = time.perf_counter()
    fn()
    times.append((time.perf_counter() - start) * 1e3)
  return statistics.median(times)


def peak_rss_mb() -> float:
  """Peak resident set size of this process so far, MiB."""
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine() -> str:
  """One line describing where the numbers were taken."""
  load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
  return (f"{platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load {load:.2f}, "
          f"Python {platform.python_version()}")


def print_table(headers: Sequence[str], rows: List[Sequence[object]]) -> None:
  """Prints a GitHub-flavoured Markdown table."""
  cells = [[str(h) for h in headers]] + [[
      f"{c:.2f}" if isinstance(c, float) else str(c) for c in row]
                                         for row in rows]
  widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
  fmt = lambda r: "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |"
  print(fmt(cells[0]))
  print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
  for r in cells[1:]:
    print(fmt(r))


def print_json(figures: Dict[str, object]) -> None:
  """The last line of every benchmark: its headline figures as JSON."""
  print(json.dumps(figures, sort_keys=True))
