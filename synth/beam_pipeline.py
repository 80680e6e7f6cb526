"""The generation job as an Apache Beam pipeline (scale-out).

    run(config, output_dir, ["--runner=DirectRunner",
                             "--direct_num_workers=2",
                             "--direct_running_mode=multi_processing"])

Each shard index is one element; a worker builds the SampleGenerator once
(`DoFn.setup`) and calls the same `generation.write_shard` as the in-process
job, so shard i has the same bytes whichever runner writes it, and a shard
that exists is skipped (a retried or rerun pipeline writes only what is
missing). The manifest is written before the pipeline ("incomplete") and
after it ("complete"). Other runners (Dataflow, Flink, Spark) take their usual
options; the output then has to be a path every worker can write (e.g. a
bucket), and the body model a path every worker can read. Those runners are
not tested here; workers install the project from its wheel:

    pip wheel --no-deps -w dist .     # pyproject.toml
    python -m synth.beam_main ... --runner=DataflowRunner \
        --extra_package=dist/body3d-0.1.0-py3-none-any.whl

An argument that is neither a flag of the job nor a Beam option is refused
(`check_pipeline_args`): Beam itself would drop it with a warning.

apache-beam is an optional dependency (`requirements-beam.txt`): it is
imported only when this module's functions run.
"""

import argparse
import difflib
import logging
import time
from typing import Iterable, List, Optional, Sequence

from synth import generation

METRICS_NAMESPACE = "synth"


def _write_shard_fn(config: generation.GenerationConfig, directory: str):
  import apache_beam as beam  # pylint: disable=g-import-not-at-top

  class WriteShard(beam.DoFn):
    """Writes one shard per element (a shard index); yields its count."""

    def setup(self):
      self._generator = generation.make_generator(config)
      metrics = beam.metrics.Metrics
      self._shards = metrics.counter(METRICS_NAMESPACE, "shards_written")
      self._samples = metrics.counter(METRICS_NAMESPACE, "samples_written")
      self._shard_ms = metrics.distribution(METRICS_NAMESPACE, "shard_ms")

    def process(self, index):
      start = time.perf_counter()
      count = generation.write_shard(self._generator, config, int(index),
                                     directory)
      self._shards.inc()
      self._samples.inc(count)
      self._shard_ms.update(int(1000 * (time.perf_counter() - start)))
      yield count

  return WriteShard()


def build(pipeline, config: generation.GenerationConfig, directory: str,
          shards: Sequence[int]):
  """Adds the generation steps to `pipeline`; returns the total count."""
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  return (pipeline
          | "ShardIndices" >> beam.Create(list(shards))
          | "Spread" >> beam.Reshuffle()
          | "WriteShards" >> beam.ParDo(_write_shard_fn(config, directory))
          | "Total" >> beam.CombineGlobally(sum))


def beam_parser() -> argparse.ArgumentParser:
  """An argument parser of every option that the installed Beam's
  `PipelineOptions` classes define (--runner, --project, ...)."""
  try:
    from apache_beam.options import pipeline_options  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError("the Beam job needs apache-beam: pip install "
                      "-r requirements-beam.txt (or pip install "
                      "'.[beam]')") from e
  parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False,
                                   exit_on_error=False)
  pending, seen = [pipeline_options.PipelineOptions], set()
  while pending:
    cls = pending.pop()
    if cls in seen:
      continue
    seen.add(cls)
    pending.extend(cls.__subclasses__())
    try:
      cls._add_argparse_args(parser)  # pylint: disable=protected-access
    except argparse.ArgumentError:
      pass   # an option that two classes define
  return parser


def beam_option_names(parser: Optional[argparse.ArgumentParser] = None
                      ) -> List[str]:
  """The option names of `parser` (default `beam_parser()`), without
  dashes."""
  parser = parser or beam_parser()
  return sorted({option.lstrip("-")
                 for action in parser._actions  # pylint: disable=protected-access
                 for option in action.option_strings})


def check_pipeline_args(args: Sequence[str], project_flags: Iterable[str],
                        parser: Optional[argparse.ArgumentParser] = None
                        ) -> List[str]:
  """Returns `args` if Beam's options take every one; raises otherwise.

  Beam drops arguments it does not know with a warning, so a mistyped flag
  (--num_sample for --num_samples) would run the job with the default.

  Args:
    args: the command line arguments the project's flags did not take.
    project_flags: the project's flag names (for "did you mean").
    parser: Beam's options; default `beam_parser()`.

  Raises:
    ValueError: naming each unknown argument and the closest known flags.
  """
  parser = parser or beam_parser()
  try:
    _, unknown = parser.parse_known_args(list(args))
  except argparse.ArgumentError as e:
    raise ValueError(f"bad Beam option: {e}") from e
  known = sorted(set(beam_option_names(parser)) | set(project_flags))
  problems = []
  for arg in unknown:
    name = arg.split("=", 1)[0].lstrip("-")
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
    hint = (" (did you mean " + ", ".join(f"--{c}" for c in close) + "?)"
            if close else "")
    problems.append(f"{arg!r}{hint}")
  if problems:
    raise ValueError(
        f"unknown arguments: {'; '.join(problems)}. Arguments that are not "
        f"this job's flags must be Apache Beam pipeline options (--runner, "
        f"--project, ...); Beam would ignore these.")
  return list(args)


def run(config: generation.GenerationConfig, directory: str,
        pipeline_args: Optional[Sequence[str]] = None) -> dict:
  """Runs the pipeline for the missing shards; returns the manifest (with
  `elapsed_s`, the job's wall time). The pipeline's counters (namespace
  `METRICS_NAMESPACE`: shards_written, samples_written, shard_ms) show in
  the runner's UI and are logged here.

  Raises:
    ValueError: `pipeline_args` holds something that is not a Beam option.
  """
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  from apache_beam.options import pipeline_options  # pylint: disable=g-import-not-at-top
  start = time.perf_counter()
  args = check_pipeline_args(
      list(pipeline_args or ["--runner=DirectRunner"]), ())
  generator = generation.make_generator(config)
  generation.prepare_output(config, directory, generator)
  todo = generation.missing_shards(config, directory)
  logging.info("beam: %d of %d shards to write", len(todo), config.num_shards)
  if todo:
    options = pipeline_options.PipelineOptions(args)
    pipeline = beam.Pipeline(options=options)
    build(pipeline, config, directory, todo)
    result = pipeline.run()
    result.wait_until_finish()
    _log_metrics(result)
  return generation.finish(config, directory, generator,
                           time.perf_counter() - start)


def _log_metrics(result) -> None:
  from apache_beam.metrics import metric  # pylint: disable=g-import-not-at-top
  query = result.metrics().query(
      metric.MetricsFilter().with_namespace(METRICS_NAMESPACE))
  for kind in ("counters", "distributions"):
    for item in query.get(kind, []):
      logging.info("beam metric %s: %s", item.key.metric.name,
                   item.committed if item.committed is not None
                   else item.attempted)
