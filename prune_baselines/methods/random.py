"""``random``: a random mask at initialisation (layerwise: the IMP per-layer allocation of each target), then
training."""
from __future__ import annotations

import numpy as np

from ..scoring import random_scores
from .base import Context, Method, derived_seed
from .loops import at_init


def run(ctx: Context, seed: int) -> None:
    def score(model, ones, t, level):
        return random_scores(model, ones, rng=np.random.default_rng(derived_seed(seed, level, 7)))

    at_init(ctx, seed, score)


METHOD = Method(run, default_scope="layerwise", sanity_checks=True)
