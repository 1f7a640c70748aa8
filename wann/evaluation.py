"""Evaluators: score compiled Nets on a task under the shared weight series.

An evaluator maps (nets, seeds) to scores [P, n_weights, n_rollouts]; a net's
scores depend only on (net, seed), never on the worker, so every backend gives
the same numbers. ``SerialEvaluator`` runs in-process; the Ray evaluator
(``wann.ray_evaluation``) has the same interface.
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from wann.network import Net
from wann.tasks import Task


class Evaluator(Protocol):
    def evaluate(self, nets: Sequence[Net], seeds: Sequence[int]) -> np.ndarray: ...

    def close(self) -> None: ...


def score_batch(task: Task, weights: np.ndarray, nets: Sequence[Net], seeds: Sequence[int]) -> np.ndarray:
    """Scores [P, n_weights, n_rollouts] of nets[i] under seed seeds[i]."""
    if len(nets) != len(seeds):
        raise ValueError("one seed per net")
    out = np.empty((len(nets), len(weights), task.n_rollouts))
    for i, (net, seed) in enumerate(zip(nets, seeds)):
        out[i] = task.score(net, weights, int(seed))
    return out


class SerialEvaluator:
    """Evaluates in the calling process."""

    def __init__(self, task: Task, weights: Sequence[float]) -> None:
        self.task = task
        self.weights = np.asarray(weights, dtype=np.float64)

    def evaluate(self, nets: Sequence[Net], seeds: Sequence[int]) -> np.ndarray:
        return score_batch(self.task, self.weights, nets, seeds)

    def close(self) -> None:
        pass


def make_evaluator(backend: str, task: Task, weights: Sequence[float], workers: int = 0,
                   address: str = "") -> Evaluator:
    """The evaluator for a backend name ("serial" or "ray")."""
    if backend == "serial":
        return SerialEvaluator(task, weights)
    if backend == "ray":
        from wann.ray_evaluation import RayEvaluator

        return RayEvaluator(task, weights, workers=workers, address=address)
    raise ValueError(f"unknown backend {backend!r}; valid: serial, ray")
