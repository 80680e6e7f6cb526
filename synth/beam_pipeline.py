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
not tested here.

apache-beam is an optional dependency (`requirements-beam.txt`): it is
imported only when this module's functions run.
"""

import logging
from typing import Optional, Sequence

from synth import generation


def _write_shard_fn(config: generation.GenerationConfig, directory: str):
  import apache_beam as beam  # pylint: disable=g-import-not-at-top

  class WriteShard(beam.DoFn):
    """Writes one shard per element (a shard index); yields its count."""

    def setup(self):
      self._generator = generation.make_generator(config)

    def process(self, index):
      yield generation.write_shard(self._generator, config, int(index),
                                   directory)

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


def run(config: generation.GenerationConfig, directory: str,
        pipeline_args: Optional[Sequence[str]] = None) -> dict:
  """Runs the pipeline for the missing shards; returns the manifest."""
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  from apache_beam.options import pipeline_options  # pylint: disable=g-import-not-at-top
  generator = generation.make_generator(config)
  generation.prepare_output(config, directory, generator)
  todo = generation.missing_shards(config, directory)
  logging.info("beam: %d of %d shards to write", len(todo), config.num_shards)
  if todo:
    options = pipeline_options.PipelineOptions(
        list(pipeline_args or ["--runner=DirectRunner"]))
    with beam.Pipeline(options=options) as pipeline:
      build(pipeline, config, directory, todo)
  return generation.finish(config, directory, generator)
