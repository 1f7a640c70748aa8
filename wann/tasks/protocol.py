"""The Task protocol and the optional capabilities a task may declare.

Every task has the attributes and ``score`` of ``Task``. A capability is a small protocol of its
own; code that uses one asks ``isinstance(task, Capability)`` (never a task's name), and a task
has it by defining its members:

- ``HeldOutMetric``: ``metric_name`` and ``test_metric(net, weights) -> [n_weights]``, a held-out
  test measure (MNIST: accuracy on the test images); ``wann eval`` reports it instead of the score.
- ``Ensemble``: ``test_ensemble(net, weights) -> float``, the ensemble over the weight series.
- ``TrainingData``: ``training_data() -> (x [N, n_in], y [N])``; ``wann tune`` then trains by gradient.
- ``ImageInputs``: ``input_shape`` (rows, columns) of the inputs; plots draw them as an image grid.
- ``LabelledTestSet``: ``test_set() -> (x [N, n_in], y [N])``, labelled test data; ``wann compare``
  puts such champions beside pruned networks.
- ``ChampionSummary``: ``champion_lines(genome, weights) -> list[str]``, printed by ``wann show``.
- ``CheckedOptions`` (on the options dataclass): ``check()`` raises UserError before a run folder
  is made (MNIST: the data folder exists).
"""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from wann.genome import Genome
from wann.network import Net


class Task(Protocol):
    name: str
    n_inputs: int
    n_outputs: int
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    activations: tuple[int, ...]  # hidden activation ids the search may use (wann.activations)
    n_rollouts: int

    def score(self, net: Net, weights: np.ndarray, seed: int) -> np.ndarray:
        """Scores [n_weights, n_rollouts] of ``net`` under each shared weight; a function of (net, weights, seed)."""
        ...


@runtime_checkable
class HeldOutMetric(Protocol):
    metric_name: str

    def test_metric(self, net: Net, weights: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class Ensemble(Protocol):
    def test_ensemble(self, net: Net, weights: np.ndarray) -> float: ...


@runtime_checkable
class TrainingData(Protocol):
    def training_data(self) -> tuple[np.ndarray, np.ndarray]: ...


@runtime_checkable
class ImageInputs(Protocol):
    input_shape: tuple[int, int]


@runtime_checkable
class LabelledTestSet(Protocol):
    def test_set(self) -> tuple[np.ndarray, np.ndarray]: ...


@runtime_checkable
class ChampionSummary(Protocol):
    def champion_lines(self, genome: Genome, weights: Sequence[float]) -> list[str]: ...


@runtime_checkable
class CheckedOptions(Protocol):
    def check(self) -> None: ...
