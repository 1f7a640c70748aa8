"""Iterative magnitude pruning with rewinding (lottery tickets, Frankle & Carbin 2019) and its controls.

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

import time
from typing import TYPE_CHECKING

import numpy as np

from .models import init_weights, set_state
from .schedules import derived, iterative_schedule, layer_rates_for, select
from .scoring import magnitude_scores

if TYPE_CHECKING:
    from .experiment import Experiment


def run_imp(exp: "Experiment", seed: int) -> None:
    c = exp.cfg
    model, masks, rec, init, rewind = exp.dense(seed)
    steps = iterative_schedule(masks.sizes(), c.target_connections, layer_rates_for(exp, masks.names))
    for level, counts in enumerate(steps, start=1):
        point = exp.existing(seed, "ticket", level)
        if point is not None:
            masks, rec = exp.restore(model, point), point.record
        else:
            t0 = time.perf_counter()
            masks = select(exp, magnitude_scores(model, masks), masks, counts)
            set_state(model, rewind)
            masks.apply_(model)
            wall = time.perf_counter() - t0
            stats = exp.train(model, masks, seed, "ticket", level, c.epochs)
            rec = exp.finish(seed, "ticket", level, model, masks, stats, extra_wall=wall, before=rec)
        if c.controls and (c.control_levels == "all" or level == len(steps)):
            run_controls(exp, seed, level, masks, rewind)


def run_controls(exp: "Experiment", seed: int, level: int, masks, rewind) -> None:
    c = exp.cfg
    for variant in c.controls:
        if exp.existing(seed, variant, level) is not None:
            continue
        model = exp.new_model(seed)
        if variant == "reinit":
            init_weights(model, derived(seed, level, 1000))
            m = masks
        else:
            set_state(model, rewind)
            m = masks.random_like(np.random.default_rng(derived(seed, level, 2000)))
        m.apply_(model)
        stats = exp.train(model, m, seed, variant, level, c.epochs)
        exp.finish(seed, variant, level, model, m, stats)
