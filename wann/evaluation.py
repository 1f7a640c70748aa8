"""Evaluators: score compiled Nets on a task under the shared weight series.

An evaluator maps (nets, seeds) to scores [P, n_weights, n_rollouts]; a net's
scores depend only on (net, seed), never on the worker, so every backend gives
the same numbers. ``SerialEvaluator`` runs in-process; the Ray evaluator
(``wann.ray_evaluation``) has the same interface; ``wann.evaluators`` picks one by name.

Non-finite scores, one rule for every task: a rollout whose return is not finite
(NaN or +-inf), or whose network output was not finite at some step (the tasks
end such an episode), scores ``-inf`` (``NONFINITE``). Ranking puts any individual
with a non-finite objective after all others (``wann.ranking``); such an individual
is never an elite or the champion (``wann.search``, ``wann.run``). The reference
lets NaN through (NumPy sorts it as the largest value, so a NaN individual can rank first).
"""
from __future__ import annotations

from typing import Callable, Protocol, Sequence

import numpy as np

from wann.errors import UserError
from wann.network import Net
from wann.tasks import Task

NONFINITE = -np.inf  # the score of a rollout whose return or network output is not finite

Result = Callable[..., np.ndarray]  # result(stop=None) -> scores of a submission (``Evaluator.submit``)


class Evaluator(Protocol):
    def evaluate(self, nets: Sequence[Net], seeds: Sequence[int],
                 stop: Callable[[], bool] | None = None) -> np.ndarray:
        """Scores [P, n_weights, n_rollouts]; ``stop()`` is polled between pieces of work and,
        once True, the call raises KeyboardInterrupt (from Python code, never inside a kernel)."""
        ...

    def submit(self, nets: Sequence[Net], seeds: Sequence[int]) -> Result:
        """``evaluate`` in two halves, so the caller can work while it runs: the returned
        ``result(stop=None)`` gives ``evaluate(nets, seeds, stop)``'s scores; one submission at a time."""
        ...

    def close(self) -> None: ...


def score_batch(task: Task, weights: np.ndarray, nets: Sequence[Net], seeds: Sequence[int],
                stop: Callable[[], bool] | None = None) -> np.ndarray:
    """Scores [P, n_weights, n_rollouts] of nets[i] under seed seeds[i] (``stop``: see ``Evaluator``)."""
    if len(nets) != len(seeds):
        raise ValueError("one seed per net")
    out = np.empty((len(nets), len(weights), task.n_rollouts))
    for i, (net, seed) in enumerate(zip(nets, seeds)):
        if stop is not None and stop():
            raise KeyboardInterrupt
        if (net.n_in, net.n_out) != (task.n_inputs, task.n_outputs):
            raise ValueError(f"a network with {net.n_in} inputs and {net.n_out} outputs cannot run on task "
                             f"{task.name} ({task.n_inputs} inputs, {task.n_outputs} outputs)")
        got = np.asarray(task.score(net, weights, int(seed)), dtype=np.float64)
        if got.shape != out.shape[1:]:
            raise UserError(f"task {task.name!r}: score(net, weights, seed) returned an array of shape {got.shape}; "
                            f"the Task protocol asks for [n_weights, n_rollouts] = {out.shape[1:]} "
                            "(wann/tasks/protocol.py)")
        out[i] = got
    out[~np.isfinite(out)] = NONFINITE
    return out


class SerialEvaluator:
    """Evaluates in the calling process."""

    def __init__(self, task: Task, weights: Sequence[float]) -> None:
        self.task = task
        self.weights = np.asarray(weights, dtype=np.float64)

    def evaluate(self, nets: Sequence[Net], seeds: Sequence[int],
                 stop: Callable[[], bool] | None = None) -> np.ndarray:
        return score_batch(self.task, self.weights, nets, seeds, stop)

    def submit(self, nets: Sequence[Net], seeds: Sequence[int]) -> Result:
        """Scores nothing yet: ``result(stop)`` calls ``evaluate``."""
        return lambda stop=None: self.evaluate(nets, seeds, stop)

    def close(self) -> None:
        pass
