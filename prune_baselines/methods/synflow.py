"""``synflow``: SynFlow at initialisation (:mod:`prune_baselines.synflow`: data-free, ``synflow_iterations``
rounds on the exponential schedule, global ranking), then training."""
from __future__ import annotations

from ..errors import PruneError
from ..synflow import synflow_prune
from .base import Context, Method
from .loops import at_init


def run(ctx: Context, seed: int) -> None:
    c = ctx.cfg

    def make(model, ones, t, level):
        return synflow_prune(model, ones, t, iterations=c.synflow_iterations, floor_per_output=c.floor_per_output)

    at_init(ctx, seed, make)


def check(cfg) -> None:
    if cfg.scope == "layerwise":
        raise PruneError("synflow ranks globally (its point is to need no layerwise rule); use --scope global")


METHOD = Method(run, default_scope="global", check=check)
