"""``synflow``: SynFlow at initialisation (:mod:`prune_baselines.synflow`: data-free, ``synflow_iterations``
rounds on the exponential schedule, global ranking), then training. Its score is the order in which the rounds
prune (:func:`~prune_baselines.synflow.synflow_ranks`), whose top k is the SynFlow mask."""
from __future__ import annotations

from ..errors import PruneError
from ..synflow import synflow_ranks
from .base import Context, Method
from .loops import at_init


def run(ctx: Context, seed: int) -> None:
    c = ctx.cfg

    def score(model, ones, t, level):
        return synflow_ranks(model, ones, t, iterations=c.synflow_iterations, floor_per_output=c.floor_per_output)

    at_init(ctx, seed, score)


def check(cfg) -> None:
    if cfg.scope == "layerwise":
        raise PruneError("synflow ranks globally (its point is to need no layerwise rule); use --scope global")


METHOD = Method(run, default_scope="global", check=check, sanity_checks=True)
