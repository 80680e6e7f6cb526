"""A run's directory: its config, its checkpoints, under any strategy.

    role = strategy_lib.role(strategy)
    checkpoints.prepare_model_dir(model_dir, config_dict, role,
                                  may_differ=("log_every",))  # before all else
    keeper = checkpoints.CheckpointKeeper(
        dict(model=model, optimizer=optimizer, step=step), model_dir, role)
    path = keeper.restore()        # newest intact checkpoint's path, or None
    ...
    keeper.save(step)              # every process calls it, at the same step
    checkpoints.save_file(model.save_weights, final_path, role)

`prepare_model_dir` refuses a directory whose `config.json` differs from this
run's config before anything is written, so a rerun with other flags leaves
the old run loadable. Only the chief writes `model_dir`: under
`MultiWorkerMirroredStrategy` every process must take part in a save (reading
mirrored variables may need collectives), so the other workers save to a
temporary directory of their own and delete it (TensorFlow's recipe; two
processes writing one checkpoint prefix fail in MergeV2Checkpoints).
`restore` falls back from a truncated or unreadable checkpoint to the next
older one; on the chief the unreadable one is moved to `checkpoints/corrupt`.
"""

import glob
import json
import logging
import os
import re
import shutil
import tempfile
from typing import Any, Callable, Dict, List, Optional, Sequence

import tensorflow as tf

from runtime import strategy as strategy_lib

CONFIG_NAME = "config.json"
PREFIX = "ckpt"
# What a truncated or garbled checkpoint raises on restore (a short data file:
# IndexError "Read less bytes than requested"; a bad index: DataLossError).
_UNREADABLE = (tf.errors.OpError, IndexError, ValueError)


def _flatten(value: Any, prefix: str = "") -> Dict[str, Any]:
  if isinstance(value, dict):
    out = {}
    for key, item in value.items():
      out.update(_flatten(item, f"{prefix}{key}."))
    return out
  return {prefix[:-1]: value}


def config_differences(old: Dict[str, Any], new: Dict[str, Any],
                       may_differ: Sequence[str] = ()) -> List[str]:
  """`"key: old → new"` for each (dotted) key whose values differ, except
  keys named in `may_differ` (or below them). Values compare as JSON."""
  old = _flatten(json.loads(json.dumps(old)))
  new = _flatten(json.loads(json.dumps(new)))
  free = tuple(may_differ)
  out = []
  for key in sorted(set(old) | set(new)):
    if key in free or key.startswith(tuple(f + "." for f in free)):
      continue
    a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
    if a != b:
      out.append(f"{key}: {a!r} → {b!r}")
  return out


def prepare_model_dir(model_dir: str, config: Dict[str, Any],
                      role: strategy_lib.WorkerRole = strategy_lib.SINGLE,
                      may_differ: Sequence[str] = ()) -> None:
  """Checks `model_dir/config.json` against `config` (a JSON-able dict), then
  (on the chief) creates `model_dir` and writes `config` there.

  Raises:
    ValueError: `model_dir` holds a `config.json` that differs from `config`
      in keys other than `may_differ` (nothing is written), or one that is
      not a JSON object.
  """
  path = os.path.join(model_dir, CONFIG_NAME)
  if os.path.exists(path):
    with open(path) as f:
      try:
        old = json.load(f)
      except ValueError as e:
        raise ValueError(f"{path} is not valid JSON ({e}); move it away or "
                         f"use another model_dir.") from e
    if not isinstance(old, dict):
      raise ValueError(f"{path} holds {type(old).__name__}, not a config.")
    diff = config_differences(old, config, may_differ)
    if diff:
      raise ValueError(
          f"{model_dir} holds a run with another config; resuming it with "
          f"this one would mix two runs. Differences (saved → now): "
          f"{'; '.join(diff)}. Rerun with the saved settings to resume, or "
          f"pass a new model_dir.")
  if not role.is_chief:
    return
  os.makedirs(model_dir, exist_ok=True)
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    json.dump(config, f, indent=2, sort_keys=True)
  os.replace(tmp, path)


def checkpoint_paths(directory: str) -> List[str]:
  """The checkpoint prefixes in `directory` with an index file, newest
  (highest number) first."""
  found = []
  for index in glob.glob(os.path.join(directory, f"{PREFIX}-*.index")):
    match = re.fullmatch(rf"{PREFIX}-(\d+)\.index", os.path.basename(index))
    if match:
      found.append((int(match.group(1)), index[:-len(".index")]))
  return [p for _, p in sorted(found, reverse=True)]


def step_of(path: str) -> int:
  """The number of checkpoint prefix `path` (`.../ckpt-500` → 500)."""
  return int(path.rsplit("-", 1)[1])


def seed_states(model) -> List[Any]:
  """The state variables of every Keras `SeedGenerator` in `model` (its
  dropout layers' and other random layers'). Put them in the checkpoint
  (`tf.train.Checkpoint(..., seeds=seed_states(model))`) so a resumed run
  draws the masks an uninterrupted one draws."""
  return [v for v in model.variables
          if v.name.split("/")[-1].startswith("seed_generator_state")]


def save_file(save: Callable[[str], Any], path: str,
              role: strategy_lib.WorkerRole = strategy_lib.SINGLE) -> None:
  """Calls `save(target)` on every process: the chief's target is a
  temporary name beside `path`, renamed to `path` afterwards; the other
  workers' a temporary directory of their own, deleted afterwards. The
  temporary name keeps `path`'s extension (Keras checks it)."""
  base = os.path.basename(path)
  if role.is_chief:
    head, dot, tail = base.partition(".")
    tmp = os.path.join(os.path.dirname(path), f"{head}.tmp{dot}{tail}")
    save(tmp)
    os.replace(tmp, path)
    return
  scratch = tempfile.mkdtemp(prefix=f"{role.task_type}-{role.task_id}-")
  try:
    save(os.path.join(scratch, base))
  finally:
    shutil.rmtree(scratch, ignore_errors=True)


class CheckpointKeeper:
  """Saves and restores `checkpoint` in `model_dir/checkpoints`.

  Args:
    objects: what a run needs, by name (model, optimizer, step, ...): the
      children of `self.checkpoint`.
    model_dir: the run's directory (shared by every worker).
    role: this process's role (`strategy.role`).
    max_to_keep: checkpoints kept in `model_dir/checkpoints`.
    optional: names in `objects` that older checkpoints may lack (state
      added to a trainer later, e.g. dropout seeds); a checkpoint without
      them restores the rest, and these keep their initial values.
  """

  def __init__(self, objects: Dict[str, Any], model_dir: str,
               role: strategy_lib.WorkerRole = strategy_lib.SINGLE,
               max_to_keep: int = 3, optional: Sequence[str] = ()):
    unknown = set(optional) - set(objects)
    if unknown:
      raise ValueError(f"optional names {sorted(unknown)} are not in "
                       f"objects {sorted(objects)}.")
    self.objects = dict(objects)
    self.optional = tuple(optional)
    self.checkpoint = tf.train.Checkpoint(**self.objects)
    self.role = role
    self.directory = os.path.join(model_dir, "checkpoints")
    self.max_to_keep = max_to_keep
    self._manager = self._make_manager() if role.is_chief else None

  def _make_manager(self) -> tf.train.CheckpointManager:
    return tf.train.CheckpointManager(
        self.checkpoint, self.directory, max_to_keep=self.max_to_keep,
        checkpoint_name=PREFIX)

  def restore(self) -> Optional[str]:
    """Restores the newest checkpoint that reads back whole; returns its
    path, or None when there is none (a fresh run).

    Raises:
      ValueError: every checkpoint there is unreadable (named).
      AssertionError: a checkpoint misses objects of `checkpoint` (another
        model).
    """
    candidates = checkpoint_paths(self.directory)
    failed = []
    for path in candidates:
      try:
        self._restore(path)
      except _UNREADABLE as e:
        logging.warning("checkpoint %s is unreadable (%s: %s); trying the "
                        "previous one", path, type(e).__name__, e)
        failed.append(path)
        self._set_aside(path)
        continue
      logging.info("resumed from %s", path)
      return path
    if failed:
      raise ValueError(
          f"no checkpoint in {self.directory} reads back ({failed}); move "
          f"the directory away to start afresh.")
    return None

  def _restore(self, path: str) -> None:
    names = {name.split("/", 1)[0] for name, _ in tf.train.list_variables(path)}
    absent = [n for n in self.optional if n not in names]
    checkpoint = self.checkpoint
    if absent:
      logging.info("%s predates %s: restoring the rest", path, absent)
      checkpoint = tf.train.Checkpoint(**{
          k: v for k, v in self.objects.items() if k not in absent})
    checkpoint.restore(path).assert_existing_objects_matched()

  def _set_aside(self, path: str) -> None:
    """Moves a corrupt checkpoint's files (chief only) to `corrupt/`, so
    the manager neither lists it nor deletes the intact ones for it."""
    if not self.role.is_chief:
      return
    corrupt = os.path.join(self.directory, "corrupt")
    os.makedirs(corrupt, exist_ok=True)
    for name in glob.glob(path + ".*"):
      os.replace(name, os.path.join(corrupt, os.path.basename(name)))
    # The manager read the `checkpoint` state file when it was made.
    self._manager = self._make_manager()

  def save(self, step: int) -> str:
    """Saves the checkpoint of `step`; every worker calls it. Returns the
    path written (a deleted temporary one on workers other than the
    chief)."""
    if self.role.is_chief:
      return self._manager.save(checkpoint_number=step)
    scratch = tempfile.mkdtemp(
        prefix=f"ckpt-{self.role.task_type}-{self.role.task_id}-")
    try:
      manager = tf.train.CheckpointManager(self.checkpoint, scratch,
                                           max_to_keep=1,
                                           checkpoint_name=PREFIX)
      return manager.save(checkpoint_number=step)
    finally:
      shutil.rmtree(scratch, ignore_errors=True)

  @property
  def latest(self) -> Optional[str]:
    """The newest checkpoint in `model_dir/checkpoints`, or None."""
    paths = checkpoint_paths(self.directory)
    return paths[0] if paths else None
