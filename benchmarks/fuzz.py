"""The long fuzz run: seeded cases over every public entry point
(`benchmarks/fuzz_cases.py`), judged by their oracles, in child processes
so that an interpreter crash is counted rather than fatal.

    nice -n 19 python -m benchmarks.fuzz --cases=10000 [--seed=0]
    # or in ranges side by side, then added up:
    nice -n 19 python -m benchmarks.fuzz --start=5000 --log=b.jsonl &
    python -m benchmarks.fuzz --from_logs=a.jsonl,b.jsonl

Each child runs a chunk of cases and reports one JSON line per case; if it
dies, the case it was running counts as a crash and a new child resumes
after it. Prints counts per family and verdict, the first bad cases, and
ends with one line of JSON. Targets: 0 crashes, 0 silent_nan,
0 wrong_result, 0 unclear_error, 0 unexpected_error.
"""

import collections
import json
import os
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

from benchmarks import timing

_CASES = flags.DEFINE_integer("cases", 10000, "Number of cases.")
_SEED = flags.DEFINE_integer("seed", 0, "Stream of cases.")
_CHUNK = flags.DEFINE_integer("chunk", 10000, "Cases per child process.")
_LOG = flags.DEFINE_string("log", "", "Also append each case's JSON line "
                           "here, as it comes (a long run's partial result).")
_WORKER = flags.DEFINE_bool("worker", False, "Internal: run as a child.")
_START = flags.DEFINE_integer(
    "start", 0, "First case: runs cases [start, cases) (several ranges can "
    "run side by side, each with its --log; --from_logs adds them up).")
_STOP = flags.DEFINE_integer("stop", 0, "Internal: end of cases (worker).")
_FROM_LOGS = flags.DEFINE_list(
    "from_logs", [], "Report the cases in these --log files instead of "
    "running any.")


def _worker(seed: int, start: int, stop: int) -> None:
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  from benchmarks import fuzz_cases  # pylint: disable=g-import-not-at-top
  context = fuzz_cases.make_context()
  for index in range(start, stop):
    print(json.dumps({"index": index, "running": True}), flush=True)
    verdict = fuzz_cases.run_case(context, seed, index)
    print(json.dumps({"index": index, **verdict._asdict()}), flush=True)


def _run_chunk(seed: int, start: int, stop: int, results: dict,
               log) -> int:
  """Runs cases [start, stop) in a child; returns where to resume."""
  command = [sys.executable, "-m", "benchmarks.fuzz", "--worker",
             f"--seed={seed}", f"--start={start}", f"--stop={stop}"]
  errors = tempfile.TemporaryFile("w+")  # A pipe could fill and block.
  with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors,
                        text=True,
                        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
                        ) as child:
    running = None
    for line in child.stdout:
      if not line.startswith("{"):
        continue
      row = json.loads(line)
      if row.get("running"):
        running = row["index"]
        continue
      results[row["index"]] = row
      running = None
      if log:
        log.write(line)
        log.flush()
  errors.seek(0)
  stderr = errors.read()
  errors.close()
  if child.returncode == 0:
    return stop
  crashed = running if running is not None else (
      max(results, default=start - 1) + 1)
  results[crashed] = {"index": crashed, "family": "?", "verdict": "crash",
                      "detail": f"exit {child.returncode}: "
                                f"{stderr.strip()[-300:]}"}
  if log:
    log.write(json.dumps(results[crashed]) + "\n")
  return crashed + 1


def main(argv):
  del argv
  if _WORKER.value:
    _worker(_SEED.value, _START.value, _STOP.value)
    return
  from benchmarks import fuzz_cases  # pylint: disable=g-import-not-at-top
  results, start, began = {}, _START.value, time.perf_counter()
  if _FROM_LOGS.value:
    for path in _FROM_LOGS.value:
      with open(path) as f:
        for line in f:
          row = json.loads(line)
          if _START.value <= row["index"] < _CASES.value:
            results[row["index"]] = row
    seconds = None
  else:
    log = open(_LOG.value, "a") if _LOG.value else None  # pylint: disable=consider-using-with
    while start < _CASES.value:
      stop = min(start + _CHUNK.value, _CASES.value)
      start = _run_chunk(_SEED.value, start, stop, results, log)
    if log:
      log.close()
    seconds = time.perf_counter() - began
  counts = collections.Counter((r["family"], r["verdict"])
                               for r in results.values())
  families = sorted({f for f, _ in counts})
  rows = [[f] + [counts[(f, v)] for v in fuzz_cases.VERDICTS]
          for f in families]
  totals = collections.Counter(r["verdict"] for r in results.values())
  rows.append(["all"] + [totals[v] for v in fuzz_cases.VERDICTS])
  print(f"{len(results)} cases, seed {_SEED.value}, {seconds or 0:.0f} s, "
        f"{timing.machine()}")
  timing.print_table(["family"] + list(fuzz_cases.VERDICTS), rows)
  bad = [r for r in results.values() if r["verdict"] in fuzz_cases.BAD]
  for r in sorted(bad, key=lambda r: r["index"])[:20]:
    print(f"case {r['index']} {r['family']} {r['verdict']}: {r['detail']}")
  timing.print_json({"cases": len(results), "seed": _SEED.value,
                     "seconds": seconds and round(seconds, 1),
                     **{v: totals[v] for v in fuzz_cases.VERDICTS}})


if __name__ == "__main__":
  app.run(main)
