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
from typing import Any, Sequence

from wann.errors import UserError
from wann.io import toml_value
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
    if name not in REGISTRY:
        raise KeyError(f"unknown task {name!r}; known tasks: {names()}")
    module, opts, task = REGISTRY[name].split(":")
    mod = importlib.import_module(module)
    return getattr(mod, opts), getattr(mod, task)


def task_options_class(name: str) -> type:
    """The options dataclass of task ``name`` (KeyError with the known names)."""
    return _lookup(name)[0]


def task_class(name: str) -> type:
    """The task class of task ``name`` (KeyError with the known names)."""
    return _lookup(name)[1]


def make_task(options: Any) -> Task:
    """Build the task described by an options dataclass (its ``name`` field picks the task)."""
    return _lookup(options.name)[1](options)


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
            raise UserError(f"--set task.{text}: expected task.key=value, e.g. --set task.max_steps=1000")
        values[key.strip()] = toml_value(raw)
    try:
        cls = task_options_class(values.get("name", ""))
        return cls(**values)
    except KeyError as exc:
        raise UserError(f"{source}: task: {exc.args[0]}") from None
    except (TypeError, ValueError) as exc:
        raise UserError(f"{source}: task options {values}: {exc}") from None


def with_rollouts(options, n: int):
    """The same task with ``n`` rollouts per seed, where the task has a ``rollouts`` option (else unchanged)."""
    if any(f.name == "rollouts" for f in dataclasses.fields(options)):
        return dataclasses.replace(options, rollouts=n)
    return options


def trial_options(options):
    """The same task with one rollout per seed: a trial."""
    return with_rollouts(options, 1)
