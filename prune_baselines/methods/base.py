"""What a pruning method is (:class:`Method`), what it may call (:class:`Context`), and the helpers every
method shares: the per-layer rates, the selection rule under the run's scope and floor, derived seeds.

Method modules import from here and from the scoring and model modules, never from
:mod:`prune_baselines.experiment`: the experiment hands each runner a :class:`Context` (itself).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, TypeVar

import numpy as np
import torch

from ..data import Dataset
from ..errors import PruneError
from ..masks import Masks
from ..models import MLP
from ..results import Point
from ..scoring import Scores, keep_top_k
from ..train import TrainStats

T = TypeVar("T")

SCOPES = ("layerwise", "global")


class Context(Protocol):
    """The run a method works in (:class:`prune_baselines.experiment.Experiment`): its settings and data, and
    the machinery of points. A runner computes the points of one seed through these calls only."""

    cfg: Any
    """The :class:`~prune_baselines.experiment.ExperimentConfig` (method, scope, rate, epochs, targets, ...)."""
    data: Dataset

    def new_model(self, seed: int) -> MLP:
        """The seed's freshly initialised dense model."""

    def dense(self, seed: int) -> tuple[MLP, Masks, dict, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Level 0 (dense training, resumed if saved): model (trained), masks (all ones), record, initial state,
        state at the rewind iteration."""

    def existing(self, seed: int, variant: str, level: int) -> Point | None:
        """The saved point (recorded as resumed), or None: a runner never recomputes a saved point."""

    def restore(self, model: MLP, point: Point) -> Masks:
        """Load a saved point's weights into ``model``; returns its masks."""

    def train(self, model: MLP, masks: Masks, seed: int, variant: str, level: int, epochs: float,
              snapshot_iteration: int | None = None) -> TrainStats:
        """Train ``model`` under ``masks`` (data order seeded by seed, level and variant)."""

    def levels(self, seed: int, items: Iterable[T]) -> Iterable[T]:
        """``items``, one per level, with a progress bar over them (on a terminal)."""

    def finish(self, seed: int, variant: str, level: int, model: MLP, masks: Masks, stats: TrainStats | None,
               extra_wall: float = 0.0, before: dict | None = None, extra: dict | None = None) -> dict:
        """Evaluate and save the point (``extra_wall``: seconds spent pruning; ``before``: the record this point
        grew from, for cumulative epochs and time; ``extra``: fields of the method's own in the record); returns
        its record."""


Runner = Callable[[Context, int], None]
"""``run(ctx, seed)``: compute (or resume) every point of one seed, each saved through ``ctx.finish``."""


@dataclass(frozen=True)
class Method:
    """A registered pruning method (see :mod:`prune_baselines.methods`)."""

    run: Runner
    default_scope: str = "global"
    """The ``--scope`` when none is given: ``layerwise`` or ``global``."""
    controls: bool = False
    """Whether ``--controls`` (reinit, random_mask) are defined for it (IMP)."""
    sanity_checks: bool = False
    """Whether ``--sanity-checks`` (shuffle, reinit, invert) are defined for it: it prunes at initialisation
    through :func:`.loops.at_init` (SynFlow, random)."""
    check: Callable[[Any], None] | None = None
    """Rules of its own on the settings (called with the config, scope filled in): raise PruneError."""
    frozen_weights: bool = False
    """Whether its points keep untrained weights whatever the mask (supermasks): a comparison may then put
    the same weights under a shuffled mask as a control."""
    own_settings: tuple[str, ...] = ()
    """Settings only this method has (None for every other method, which refuses them if given)."""

    def __post_init__(self) -> None:
        if self.default_scope not in SCOPES:
            raise PruneError(f"a method's default scope must be one of {', '.join(SCOPES)}, got {self.default_scope!r}")


def derived_seed(*parts: int) -> int:
    """A seed derived from several integers (seed, level, variant, ...)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def layer_rates(cfg, names: list[str]) -> dict[str, float]:
    """Fraction of the remaining weights pruned per round, per tensor: ``rate``, and layerwise ``output_rate``
    for the output layer (Frankle & Carbin 20/20/10)."""
    rates = {n: cfg.rate for n in names}
    if cfg.scope == "layerwise":
        rates[names[-1]] = cfg.output_rate
    return rates


def select(cfg, scores: Scores, masks: Masks, counts: dict[str, int]) -> Masks:
    """Keep the best-scored surviving weights: ``counts`` per tensor (layerwise scope) or their sum over all
    tensors (global scope), with the per-unit floor."""
    k = counts if cfg.scope == "layerwise" else sum(counts.values())
    return keep_top_k(scores, masks, k, cfg.floor_per_output)
