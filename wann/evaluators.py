"""Evaluators by backend name, and a cache that keeps one evaluator open at a time.

``make_evaluator`` maps a backend name to an evaluator (``wann.evaluation.SerialEvaluator`` or the
Ray pool of ``wann.ray_evaluation``, imported only when asked for); ``Evaluators`` reopens one only
when the task or the weight series changes (``wann eval``, ``wann tune``).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from wann.evaluation import Evaluator, SerialEvaluator
from wann.network import Net
from wann.tasks import Task

MakeEvaluator = Callable[[Task, Sequence[float]], Evaluator]


def make_evaluator(backend: str, task: Task, weights: Sequence[float], workers: int = 0,
                   address: str = "") -> Evaluator:
    """The evaluator for a backend name ("serial" or "ray")."""
    if backend == "serial":
        return SerialEvaluator(task, weights)
    if backend == "ray":
        from wann.ray_evaluation import RayEvaluator

        return RayEvaluator(task, weights, workers=workers, address=address)
    raise ValueError(f"unknown backend {backend!r}; valid: serial, ray")


class Evaluators:
    """One evaluator open at a time, reopened when the task or the weights change.

    One at a time because a Ray evaluator's actors hold the cluster's CPUs;
    callers group their work by (task, weights) to keep reopening rare.
    """

    def __init__(self, make: MakeEvaluator) -> None:
        self.make = make
        self._key: tuple | None = None
        self._open: Evaluator | None = None

    def get(self, task: Task, weights: Sequence[float]) -> Evaluator:
        key = (id(task), tuple(float(w) for w in weights))
        if key != self._key:
            self.close()
            self._open, self._key = self.make(task, key[1]), key
        return self._open

    def trial_scores(self, task: Task, nets: Sequence[Net], seeds: Sequence[int],
                     weights: Sequence[float] = (1.0,)) -> np.ndarray:
        """Scores [len(nets), n_weights]: net i on seed i, averaged over the task's rollouts."""
        return self.get(task, weights).evaluate(list(nets), [int(s) for s in seeds]).mean(axis=2)

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
        self._open, self._key = None, None

    def __enter__(self) -> Evaluators:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
