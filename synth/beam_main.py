r"""The synth generation job on Apache Beam (needs requirements-beam.txt).

    python -m synth.beam_main --output=/tmp/synth --num_samples=100000 \
        --num_shards=64 --seed=0 --runner=DirectRunner \
        --direct_num_workers=2 --direct_running_mode=multi_processing

Takes every flag of `synth.generate` (except --preview); the other
arguments must be Beam options (--runner, --project, --region, ...), which go
to Beam's PipelineOptions. Anything else (a mistyped --num_sample) stops the
job before it starts, with the closest flag names.
"""

import sys

from absl import app
from absl import flags

from synth import beam_pipeline
from synth import generate  # Defines the shared flags.

FLAGS = flags.FLAGS


def main(argv):
  config = generate.config_from_flags()
  args = list(argv[1:]) or ["--runner=DirectRunner"]
  try:
    beam_pipeline.check_pipeline_args(args, FLAGS)
  except ValueError as e:
    raise app.UsageError(str(e)) from e
  beam_pipeline.run(config, generate._OUTPUT.value, args)  # pylint: disable=protected-access


def _parse(argv):
  # Keep unknown (Beam) flags for the pipeline instead of failing on them.
  return FLAGS(argv, known_only=True)


if __name__ == "__main__":
  app.run(main, flags_parser=_parse, argv=sys.argv)
