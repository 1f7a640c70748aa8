"""``random``: a random mask at initialisation (layerwise: the IMP per-layer allocation of each target), then
training."""
from __future__ import annotations

import numpy as np

from ..scoring import layer_allocation, random_scores
from .base import Context, Method, derived_seed, layer_rates, select
from .loops import at_init


def run(ctx: Context, seed: int) -> None:
    c = ctx.cfg

    def make(model, ones, t, level):
        counts = layer_allocation(ones.sizes(), t, layer_rates(c, ones.names))
        rng = np.random.default_rng(derived_seed(seed, level, 7))
        return select(c, random_scores(model, ones, rng=rng), ones, counts)

    at_init(ctx, seed, make)


METHOD = Method(run, default_scope="layerwise")
