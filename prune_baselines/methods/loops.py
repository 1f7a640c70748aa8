"""The prune-and-train loops that methods share; a method supplies its score (or its masks).

* :func:`iterative`: dense training, then levels of score -> select (``rate`` of the remaining weights) ->
  rewind (IMP) or keep the trained weights (OBD) -> train; the last level lands exactly on each target.
* :func:`one_shot_trained`: dense training, then per target one selection on the dense weights -> train.
* :func:`at_init`: per target, scores of the freshly initialised model -> select -> train; and the sanity checks
  of that mask (:mod:`.sanity`).

Every level is saved as it finishes and a saved level is loaded instead of computed again (resuming).
Time spent scoring and selecting is added to the point's training time.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from ..errors import PruneError
from ..masks import Masks
from ..models import MLP, get_state, set_state
from ..schedules import iterative_schedule
from ..scoring import Scores, layer_allocation
from .base import Context, layer_rates, select
from .sanity import ablate

Score = Callable[[MLP, Masks, int], Scores]
"""``score(model, masks, level)``: higher = keep; only surviving weights are ranked."""
InitScore = Callable[[MLP, Masks, int, int], Scores]
"""``score(model, ones, target, level)`` of the initial model: higher = keep."""
AfterLevel = Callable[[int, bool, Masks, dict[str, torch.Tensor]], None]
"""``after_level(level, last, masks, rewind_state)``: called after each level, computed or resumed."""


def iterative(ctx: Context, seed: int, score: Score, *, epochs: float, rewind: bool,
              after_level: AfterLevel | None = None) -> None:
    """Dense training, then levels: ``score`` the current (trained) weights, keep the best (per the schedule of
    ``rate``/``output_rate``), rewind the survivors to the rewind state (``rewind``) or keep their trained
    values (fine-tuning), and train ``epochs``."""
    c = ctx.cfg
    model, masks, rec, _, rewind_state = ctx.dense(seed)
    steps = iterative_schedule(masks.sizes(), c.target_connections, layer_rates(c, masks.names))
    for level, counts in ctx.levels(seed, enumerate(steps, start=1)):
        point = ctx.existing(seed, "ticket", level)
        if point is not None:
            masks, rec = ctx.restore(model, point), point.record
        else:
            t0 = time.perf_counter()
            masks = select(c, score(model, masks, level), masks, counts)
            if rewind:
                set_state(model, rewind_state)
            masks.apply_(model)
            wall = time.perf_counter() - t0
            stats = ctx.train(model, masks, seed, "ticket", level, epochs)
            rec = ctx.finish(seed, "ticket", level, model, masks, stats, extra_wall=wall, before=rec)
        if after_level is not None:
            after_level(level, level == len(steps), masks, rewind_state)


def targets(ctx: Context) -> list[tuple[int, int]]:
    """(level, target) of one-shot methods: level 1 is the largest target."""
    return list(enumerate(sorted(set(ctx.cfg.target_connections), reverse=True), start=1))


def one_shot_trained(ctx: Context, seed: int, score: Score, *, rewind: bool) -> None:
    """Dense training, then for each target: ``score`` the trained dense weights once, keep the best (layerwise:
    the per-layer allocation of the target), and train ``epochs`` from the dense weights (fine-tuning) or,
    with ``rewind``, from the initial weights."""
    c = ctx.cfg
    model, dense_masks, dense_rec, init, _ = ctx.dense(seed)
    dense_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    rates = layer_rates(c, dense_masks.names)
    for level, t in ctx.levels(seed, targets(ctx)):
        if ctx.existing(seed, "ticket", level) is not None:
            continue
        set_state(model, dense_state)
        t0 = time.perf_counter()
        counts = layer_allocation(dense_masks.sizes(), t, rates)
        masks = select(c, score(model, dense_masks, level), dense_masks, counts)
        if rewind:
            set_state(model, init)
        masks.apply_(model)
        wall = time.perf_counter() - t0
        stats = ctx.train(model, masks, seed, "ticket", level, c.epochs)
        ctx.finish(seed, "ticket", level, model, masks, stats, extra_wall=wall, before=dense_rec)


def at_init(ctx: Context, seed: int, score: InitScore) -> None:
    """Level 0 (the dense reference), then for each target: ``score(model, ones, target, level)`` on the seed's
    initial model, the best weights kept under the run's scope (layerwise: the per-layer allocation of the
    target), trained ``epochs`` from the initial weights; then the run's ``sanity_checks`` of that mask
    (:mod:`.sanity`), each trained the same way. A saved point is resumed; if only some are saved, the scores
    are computed again and must give the saved mask."""
    c = ctx.cfg
    ctx.dense(seed)
    for level, t in ctx.levels(seed, targets(ctx)):
        saved = {v: ctx.existing(seed, v, level) for v in ("ticket", *c.sanity_checks)}
        todo = [v for v, point in saved.items() if point is None]
        if not todo:
            continue
        model = ctx.new_model(seed)
        init = get_state(model)
        t0 = time.perf_counter()
        ones = Masks.ones(model)
        scores = score(model, ones, t, level)
        masks = select(c, scores, ones, layer_allocation(ones.sizes(), t, layer_rates(c, ones.names)))
        wall = time.perf_counter() - t0
        if saved["ticket"] is not None and not all(np.array_equal(masks[n].numpy(), m)
                                                   for n, m in zip(masks.names, saved["ticket"].masks)):
            raise PruneError(f"[{c.method} seed {seed} level {level}] the scores no longer give the saved mask "
                             f"(different torch?); use a fresh --out folder")
        for variant in todo:
            set_state(model, init)
            m = masks if variant == "ticket" else ablate(variant, model, masks, scores, c.floor_per_output, seed, level)
            m.apply_(model)
            stats = ctx.train(model, m, seed, variant, level, c.epochs)
            ctx.finish(seed, variant, level, model, m, stats, extra_wall=wall)
