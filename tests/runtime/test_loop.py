"""runtime.loop: checkpoint and log steps, the final save, resume, the
order of the calls after a step, the ran-out error."""

import itertools

from runtime import loop
from tests import testing


class _Recorder:
  """A step counter fake: the steps taken, and every call `run` makes, in
  order, as ("step" | "progress" | "log" | "after" | "save", step) pairs."""

  def __init__(self):
    self.events = []
    self.batches_seen = []

  def step(self, index, batch):
    self.events.append(("step", index))
    self.batches_seen.append(batch)
    return {"index": index, "batch": batch}

  def update(self, done):
    self.events.append(("progress", done))

  def on_log(self, done, outputs):
    self.events.append(("log", done))
    return dict(outputs, logged_at=done)

  def on_step(self, done, batch, outputs):
    del batch, outputs
    self.events.append(("after", done))

  def save(self, done):
    self.events.append(("save", done))

  def of(self, kind):
    return [s for k, s in self.events if k == kind]

  def run(self, batches, start=0, num_steps=10, log_every=3,
          checkpoint_every=4, progress=True):
    return loop.run(self.step, batches, start=start, num_steps=num_steps,
                    log_every=log_every, checkpoint_every=checkpoint_every,
                    save=self.save, on_log=self.on_log, on_step=self.on_step,
                    progress=self if progress else None)


def _order(seed=7):
  """An input order that is a function of the step (as `runtime.input_order`
  is of (seed, step)), started at batch `start`."""
  return lambda start: (seed * 1000 + s for s in itertools.count(start))


class RunTest(testing.TestCase):

  def test_checkpoints_on_the_interval_and_a_final_save_off_it(self):
    rec = _Recorder()
    end = rec.run(_order()(0), num_steps=10, checkpoint_every=4)
    self.assertEqual(rec.of("save"), [4, 8, 10])
    self.assertEqual(end.final_step, 10)
    self.assertEqual(rec.of("step"), list(range(10)))

  def test_no_second_save_when_the_last_step_is_on_the_interval(self):
    rec = _Recorder()
    rec.run(_order()(0), num_steps=8, checkpoint_every=4)
    self.assertEqual(rec.of("save"), [4, 8])

  def test_log_cadence_and_the_last_log(self):
    rec = _Recorder()
    end = rec.run(_order()(0), num_steps=10, log_every=3)
    self.assertEqual(rec.of("log"), [3, 6, 9, 10])
    # on_log sees the outputs of the step it logs; its return value is kept.
    self.assertEqual(end.last_log, {"index": 9, "batch": 7009,
                                    "logged_at": 10})

  def test_calls_after_a_step_come_in_order(self):
    rec = _Recorder()
    rec.run(_order()(0), num_steps=4, log_every=2, checkpoint_every=4)
    self.assertEqual(rec.events, [
        ("step", 0), ("progress", 1), ("after", 1),
        ("step", 1), ("progress", 2), ("log", 2), ("after", 2),
        ("step", 2), ("progress", 3), ("after", 3),
        ("step", 3), ("progress", 4), ("log", 4), ("after", 4),
        ("save", 4)])

  def test_progress_is_optional(self):
    rec = _Recorder()
    end = rec.run(_order()(0), num_steps=5, progress=False)
    self.assertEqual(rec.of("progress"), [])
    self.assertEqual(end.final_step, 5)

  def test_resumed_run_takes_the_steps_of_an_uninterrupted_one(self):
    order = _order()
    whole = _Recorder()
    whole.run(order(0), num_steps=10)
    first, second = _Recorder(), _Recorder()
    first.run(order(0), num_steps=5)   # A run killed after step 5 ...
    end = second.run(order(5), start=5, num_steps=10)   # ... resumed.
    self.assertEqual(end.final_step, 10)
    self.assertEqual(second.of("step"), list(range(5, 10)))
    self.assertEqual(first.batches_seen + second.batches_seen,
                     whole.batches_seen)
    # The same log and checkpoint steps as the uninterrupted run's tail.
    self.assertEqual(second.of("log"), [s for s in whole.of("log") if s > 5])
    self.assertEqual(second.of("save"), [8, 10])
    self.assertEqual(second.of("progress"), [6, 7, 8, 9, 10])

  def test_nothing_left_to_do(self):
    rec = _Recorder()
    end = rec.run(_order()(10), start=10, num_steps=10)
    self.assertEqual(rec.events, [])
    self.assertEqual(end, loop.LoopEnd(final_step=10, last_log=None))

  def test_data_that_runs_out_names_the_step(self):
    rec = _Recorder()
    with self.assertRaisesRegex(ValueError, r"ran out at step 6; sources "
                                r"must be infinite"):
      rec.run(iter(range(6)), num_steps=10, checkpoint_every=4)
    self.assertEqual(rec.of("step"), list(range(6)))
    self.assertEqual(rec.of("save"), [4])   # No final save after the error.

  def test_a_failing_log_stops_before_that_steps_checkpoint(self):
    rec = _Recorder()

    def on_log(done, outputs):
      del outputs
      if done == 4:
        raise FloatingPointError(f"loss is nan at step {done}")

    with self.assertRaisesRegex(FloatingPointError, "step 4"):
      loop.run(rec.step, _order()(0), start=0, num_steps=10, log_every=2,
               checkpoint_every=2, save=rec.save, on_log=on_log)
    self.assertEqual(rec.of("save"), [2])

  @testing.parameters(("start", -1), ("log_every", 0),
                      ("checkpoint_every", 0))
  def test_bad_arguments_are_refused(self, name, value):
    kwargs = dict(start=0, num_steps=3, log_every=1, checkpoint_every=1)
    kwargs[name] = value
    rec = _Recorder()
    with self.assertRaisesRegex(ValueError, f"{name} must be ≥ .*{value}"):
      loop.run(rec.step, _order()(0), save=rec.save, on_log=rec.on_log,
               **kwargs)
    self.assertEqual(rec.events, [])


if __name__ == "__main__":
  testing.main()
