"""``imp``: iterative magnitude pruning with rewinding (lottery tickets, Frankle & Carbin 2019) and its controls.

Level 0 trains the dense network (saving the parameters at ``rewind_iteration``; 0 = the initial
weights). Each further level prunes ``rate`` of the remaining weights by magnitude of the *trained*
weights (layerwise: 20 % per hidden layer and 10 % of the output layer; or global), rewinds the survivors
to the saved values, and trains again. The last level lands exactly on the target connection count.

Controls at the chosen levels (``control_levels``: ``last`` or ``all``), each trained like the ticket:

* ``reinit``: the ticket's mask with a fresh random initialisation (another seed);
* ``random_mask``: a random mask with the ticket's per-layer counts, from the ticket's rewind weights.

Resumable: every level is saved as it finishes; a run restarted on the same folder loads finished
levels (masks and trained weights) instead of training them again.
"""
from __future__ import annotations

import numpy as np
import torch

from ..masks import Masks
from ..models import init_weights, set_state
from ..scoring import magnitude_scores
from .base import Context, Method, derived_seed
from .loops import iterative


def run(ctx: Context, seed: int) -> None:
    c = ctx.cfg

    def controls(level: int, last: bool, masks: Masks, rewind: dict[str, torch.Tensor]) -> None:
        if c.controls and (c.control_levels == "all" or last):
            run_controls(ctx, seed, level, masks, rewind)

    iterative(ctx, seed, lambda model, masks, level: magnitude_scores(model, masks), epochs=c.epochs, rewind=True,
              after_level=controls)


def run_controls(ctx: Context, seed: int, level: int, masks: Masks, rewind: dict[str, torch.Tensor]) -> None:
    c = ctx.cfg
    for variant in c.controls:
        if ctx.existing(seed, variant, level) is not None:
            continue
        model = ctx.new_model(seed)
        if variant == "reinit":
            init_weights(model, derived_seed(seed, level, 1000))
            m = masks
        else:
            set_state(model, rewind)
            m = masks.random_like(np.random.default_rng(derived_seed(seed, level, 2000)))
        m.apply_(model)
        stats = ctx.train(model, m, seed, variant, level, c.epochs)
        ctx.finish(seed, variant, level, model, m, stats)


METHOD = Method(run, default_scope="layerwise", controls=True)
