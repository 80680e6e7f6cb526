"""The step loop a trainer runs: batches, steps, logs, checkpoints.

    end = loop.run(train_step, iter(dataset.skip(start)), start=start,
                   num_steps=config.num_steps, log_every=config.log_every,
                   checkpoint_every=config.checkpoint_every,
                   save=keeper.save, on_log=log, progress=progress)
    end.final_step, end.last_log

Steps are counted as steps done: the step that takes `batches`' first batch
is step `start + 1`. After step `done`:

  * `progress.update(done)` (a `synth.progress.Progress`, optional);
  * `on_log(done, outputs)` when `done` is a multiple of `log_every` or the
    last step (`num_steps`); what it returns is kept as `last_log`;
  * `on_step(done, batch, outputs)` (optional; e.g. TensorBoard images);
  * `save(done)` when `done` is a multiple of `checkpoint_every`

in that order. A run that took steps and ended off the checkpoint interval
saves once more at its last step, so the final state is always checkpointed.

Resume: the caller restores the step counter and passes it as `start`, with
an iterator that starts at batch `start` (an input order that is a function
of (seed, step)); a resumed run then takes, logs and saves at the steps an
uninterrupted one would. Depends on nothing but Python, so any package may
use it (`human2d.training`, `pipeline.finetuning`).
"""

from typing import Any, Callable, Iterator, NamedTuple, Optional, Protocol


class LoopEnd(NamedTuple):
  """Where `run` stopped.

  Attributes:
    final_step: steps done: `num_steps`, or `start` when `start ≥ num_steps`
      (nothing was left to do).
    last_log: what the last `on_log` call returned; None if none ran.
  """
  final_step: int
  last_log: Any


class Updates(Protocol):
  """What `run` needs of a progress meter (`synth.progress.Progress`)."""

  def update(self, done: int) -> None:
    ...


def run(step: Callable[[int, Any], Any], batches: Iterator, *, start: int,
        num_steps: int, log_every: int, checkpoint_every: int,
        save: Callable[[int], Any], on_log: Callable[[int, Any], Any],
        on_step: Optional[Callable[[int, Any, Any], Any]] = None,
        progress: Optional[Updates] = None) -> LoopEnd:
  """Runs steps `start + 1 … num_steps` (module doc for the order of calls).

  Args:
    step: `step(index, batch) -> outputs`, `index` the 0-based number of the
      step (`done - 1`); `outputs` is handed to `on_log` and `on_step` as is.
    batches: yields one batch per step; must not run out.
    start: steps already done (≥ 0; a resumed run's restored step).
    num_steps: the step to stop at.
    log_every, checkpoint_every: intervals in steps (≥ 1).
    save: `save(done)` writes a checkpoint (`CheckpointKeeper.save`).
    on_log: `on_log(done, outputs) -> anything`; may raise (a loss that is
      not finite) to stop the run before that step's checkpoint.
    on_step: `on_step(done, batch, outputs)` after every step, after `on_log`.
    progress: `progress.update(done)` after every step, before `on_log`.

  Returns:
    `LoopEnd(final_step, last_log)`.

  Raises:
    ValueError: an argument is out of range, or `batches` ran out (naming
      the step).
  """
  if start < 0:
    raise ValueError(f"start must be ≥ 0, got {start}.")
  for name, every in (("log_every", log_every),
                      ("checkpoint_every", checkpoint_every)):
    if every < 1:
      raise ValueError(f"{name} must be ≥ 1, got {every}.")
  last_log = None
  done = start
  while done < num_steps:
    try:
      batch = next(batches)
    except StopIteration:
      raise ValueError(f"the training data ran out at step {done}; "
                       f"sources must be infinite.") from None
    outputs = step(done, batch)
    done += 1
    if progress is not None:
      progress.update(done)
    if done % log_every == 0 or done == num_steps:
      last_log = on_log(done, outputs)
    if on_step is not None:
      on_step(done, batch, outputs)
    if done % checkpoint_every == 0:
      save(done)
  if done > start and done % checkpoint_every:
    save(done)
  return LoopEnd(final_step=done, last_log=last_log)
