"""Task registry: name -> options dataclass and task class, in one place; task options from champion files.

A task knows its inputs and outputs (with names for plots), its default set of
hidden activations, and how to score a compiled Net: ``score(net, weights, seed)``
returns an array [n_weights, n_rollouts] that depends only on (net, weights, seed).
The protocol and the optional capabilities: ``wann.tasks.protocol``. A new task is one module
with an options dataclass (a ``name`` field) and a task class, plus one line in ``REGISTRY``.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Callable, Sequence

from wann.errors import UserError
from wann.io import toml_value
from wann.typed import build
from wann.tasks.protocol import Task

# name -> "module:OptionsClass:TaskClass" (imported when first used)
REGISTRY = {
    "swingup": "wann.tasks.swingup:SwingUpOptions:SwingUpTask",
    "mnist256": "wann.tasks.mnist:MnistOptions:MnistTask",
    "gym": "wann.tasks.gym:GymOptions:GymTask",
}


def names() -> list[str]:
    """The registered task names, sorted."""
    return sorted(REGISTRY)


def _lookup(name: str) -> tuple[type, type]:
    """(options class, task class) of ``name``: KeyError if unknown, UserError if its registry entry is broken."""
    if name not in REGISTRY:
        raise KeyError(f"unknown task {name!r}; known tasks: {names()}")
    entry = REGISTRY[name]
    where = (f"task registry entry {name!r}: {entry!r} (wann.tasks.REGISTRY: 'module:OptionsClass:TaskClass', "
             "the module importable: installed or on PYTHONPATH)")
    parts = entry.split(":") if isinstance(entry, str) else []
    if len(parts) != 3:
        raise UserError(f"{where}: not of the form 'module:OptionsClass:TaskClass'")
    module, opts, task = parts
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise UserError(f"{where}: cannot import {module!r}: {exc}") from None
    missing = [n for n in (opts, task) if not isinstance(getattr(mod, n, None), type)]
    if missing:
        raise UserError(f"{where}: module {module!r} has no class {missing[0]!r}")
    return getattr(mod, opts), getattr(mod, task)


def task_options_class(name: str) -> type:
    """The options dataclass of task ``name`` (KeyError with the known names)."""
    return _lookup(name)[0]


def task_class(name: str) -> type:
    """The task class of task ``name`` (KeyError with the known names)."""
    return _lookup(name)[1]


def make_task(options: Any) -> Task:
    """Build the task described by an options dataclass (its ``name`` field picks the task); UserError if the
    built task lacks a member of the Task protocol or has inconsistent ones (``check_task``)."""
    task = _lookup(options.name)[1](options)
    check_task(task)
    return task


def check_task(task: Any) -> None:
    """UserError naming the task unless it has the members of ``wann.tasks.protocol.Task`` with sane values.

    Run on every task as it is built, so a task written by a user fails before a run folder is made."""
    from wann import activations

    name = getattr(task, "name", type(task).__name__)
    problems = [f"no attribute {a!r}" for a in ("name", "n_inputs", "n_outputs", "input_names", "output_names",
                                               "activations", "n_rollouts") if not hasattr(task, a)]
    if not callable(getattr(task, "score", None)):
        problems.append("no method score(net, weights, seed)")
    if not problems:
        for a in ("n_inputs", "n_outputs", "n_rollouts"):
            v = getattr(task, a)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                problems.append(f"{a} = {v!r} (an int >= 1)")
        for a, n in (("input_names", "n_inputs"), ("output_names", "n_outputs")):
            if len(getattr(task, a)) != getattr(task, n):
                problems.append(f"{len(getattr(task, a))} {a} for {getattr(task, n)} {n}")
        bad = [a for a in task.activations if a not in activations.NAMES]
        if bad or not len(task.activations):
            problems.append(f"activations {tuple(task.activations)} (ids of wann.activations: "
                            f"{sorted(activations.NAMES)})")
    if problems:
        raise UserError(f"task {name!r} ({type(task).__module__}.{type(task).__name__}) does not follow the Task "
                        "protocol (wann/tasks/protocol.py): " + "; ".join(problems))


def check_fits(genome, task, where: str) -> None:
    """UserError naming ``where`` unless ``genome`` has ``task``'s numbers of inputs and outputs.

    Every place a genome meets a task calls this before any kernel runs (a network with more
    inputs than the task would read memory the task never wrote).
    """
    if (genome.n_inputs, genome.n_outputs) != (task.n_inputs, task.n_outputs):
        raise UserError(f"{where}: the network has {genome.n_inputs} inputs and {genome.n_outputs} outputs, "
                        f"task {task.name} has {task.n_inputs} and {task.n_outputs}; is this the right file "
                        "for the task?")


def task_options(task_dict: dict, source: str, overrides: Sequence[str] = ()) -> object:
    """The options dataclass of a champion's ``task`` entry, with ``key=value`` overrides (TOML values)."""
    values = dict(task_dict)
    for text in overrides:
        key, sep, raw = text.partition("=")
        if not sep:
            raise UserError(f"task override {text!r}: expected KEY=VALUE, e.g. --set task.max_steps=1000")
        values[key.strip()] = toml_value(raw)
    try:
        cls = task_options_class(values.get("name", ""))
    except KeyError as exc:
        raise UserError(f"{source}: task: {exc.args[0]}") from None
    return build(cls, values, "task", source + (" with the task overrides " + " ".join(overrides) if overrides else ""))


def with_rollouts(options, n: int):
    """The same task with ``n`` rollouts per seed, where the task has a ``rollouts`` option (else unchanged)."""
    if any(f.name == "rollouts" for f in dataclasses.fields(options)):
        return dataclasses.replace(options, rollouts=n)
    return options


def trial_options(options):
    """The same task with one rollout per seed: a trial."""
    return with_rollouts(options, 1)


def io_names(task_dict: dict, where: str, genome, note: Callable[[str], None] = print):
    """(input names, output names, input shape or None) from a champion's ``task`` entry, for plots and exports.

    When the task cannot be built here (e.g. its data is missing) ``note`` says why and the names are None
    (generic names); UserError if it can be built and ``genome`` does not fit it."""
    from wann.tasks.protocol import ImageInputs

    try:
        task = make_task(task_options(task_dict, where))
    except UserError as exc:
        note(f"note: task not available ({exc}); using generic input/output names")
        return None, None, None
    check_fits(genome, task, where)
    return task.input_names, task.output_names, task.input_shape if isinstance(task, ImageInputs) else None
