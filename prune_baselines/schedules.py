"""Pruning schedules: the per-level counts of iterative pruning, and the non-IMP methods
(OBD rounds with fine-tuning; one-shot magnitude; SynFlow and random masks at initialisation)."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from .errors import PruneError
from .masks import Masks
from .models import set_state
from .obd import obd_scores
from .scoring import keep_top_k, layer_allocation, magnitude_scores, random_scores
from .synflow import synflow_prune

if TYPE_CHECKING:
    from .experiment import Experiment


def layer_rates_for(exp: "Experiment", names: list[str]) -> dict[str, float]:
    c = exp.cfg
    rates = {n: c.rate for n in names}
    if c.scope == "layerwise":
        rates[names[-1]] = c.output_rate
    return rates


def iterative_schedule(sizes: dict[str, int], targets, rates: dict[str, float]) -> list[dict[str, int]]:
    """Per-level, per-tensor counts: each level removes ``rates[name]`` of the remaining weights of each
    tensor, and a level lands exactly on every target (the last level is the smallest target). For global
    scope only the totals matter (one rate for all tensors)."""
    total = sum(sizes.values())
    targets = sorted({int(t) for t in targets}, reverse=True)
    if targets[0] > total:
        raise PruneError(f"target {targets[0]} exceeds the {total} weights of the dense model")
    current = dict(sizes)
    steps: list[dict[str, int]] = []
    while targets:
        nxt = {k: int(round(v * (1 - rates[k]))) for k, v in current.items()}
        t = targets[0]
        if sum(nxt.values()) <= t or sum(nxt.values()) >= sum(current.values()):
            alloc = layer_allocation(sizes, t, rates)
            alloc = _fit_under(alloc, current, t)
            targets.pop(0)
            if sum(alloc.values()) == sum(current.values()):
                continue  # a target equal to the current level: nothing to prune
            nxt = alloc
        steps.append(nxt)
        current = nxt
    return steps


def _fit_under(alloc: dict[str, int], current: dict[str, int], target: int) -> dict[str, int]:
    """Clip an allocation to the current counts (never revive) and move the excess to tensors with room."""
    out = {k: min(v, current[k]) for k, v in alloc.items()}
    short = target - sum(out.values())
    for k in sorted(out, key=lambda k: current[k] - out[k], reverse=True):
        add = min(short, current[k] - out[k])
        out[k] += add
        short -= add
    if short:
        raise PruneError(f"cannot keep {target} weights out of {sum(current.values())}")
    return out


def select(exp: "Experiment", scores, masks: Masks, counts: dict[str, int]) -> Masks:
    k = counts if exp.cfg.scope == "layerwise" else sum(counts.values())
    return keep_top_k(scores, masks, k, exp.cfg.floor_per_output)


def run_obd(exp: "Experiment", seed: int) -> None:
    """Dense training, then rounds: OBD saliency -> prune (20 % of remaining) -> fine-tune; no rewind."""
    c = exp.cfg
    model, masks, rec, _, _ = exp.dense(seed)
    steps = iterative_schedule(masks.sizes(), c.target_connections, layer_rates_for(exp, masks.names))
    for level, counts in enumerate(steps, start=1):
        point = exp.existing(seed, "ticket", level)
        if point is not None:
            masks, rec = exp.restore(model, point), point.record
            continue
        t0 = time.perf_counter()
        scores = obd_scores(model, masks, exp.data, n_samples=c.obd_samples, seed=derived(seed, level))
        masks = select(exp, scores, masks, counts)
        masks.apply_(model)
        score_wall = time.perf_counter() - t0
        stats = exp.train(model, masks, seed, "ticket", level, c.finetune_epochs)
        rec = exp.finish(seed, "ticket", level, model, masks, stats, extra_wall=score_wall, before=rec)


def run_magnitude(exp: "Experiment", seed: int) -> None:
    """Dense training, then for each target: prune once by |w| of the dense weights, then fine-tune
    (or, with ``oneshot_rewind``, train from the initial weights: a one-shot ticket)."""
    c = exp.cfg
    model, dense_masks, dense_rec, init, _ = exp.dense(seed)
    dense_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    rates = layer_rates_for(exp, dense_masks.names)
    for level, t in enumerate(sorted(set(c.target_connections), reverse=True), start=1):
        if exp.existing(seed, "ticket", level) is not None:
            continue
        set_state(model, dense_state)
        t0 = time.perf_counter()
        counts = layer_allocation(dense_masks.sizes(), t, rates)
        masks = select(exp, magnitude_scores(model, dense_masks), dense_masks, counts)
        if c.oneshot_rewind:
            set_state(model, init)
        masks.apply_(model)
        wall = time.perf_counter() - t0
        stats = exp.train(model, masks, seed, "ticket", level, c.epochs)
        exp.finish(seed, "ticket", level, model, masks, stats, extra_wall=wall, before=dense_rec)


def _at_init(exp: "Experiment", seed: int, make_masks) -> None:
    c = exp.cfg
    exp.dense(seed)
    for level, t in enumerate(sorted(set(c.target_connections), reverse=True), start=1):
        if exp.existing(seed, "ticket", level) is not None:
            continue
        model = exp.new_model(seed)
        t0 = time.perf_counter()
        masks = make_masks(model, Masks.ones(model), t, level)
        masks.apply_(model)
        wall = time.perf_counter() - t0
        stats = exp.train(model, masks, seed, "ticket", level, c.epochs)
        exp.finish(seed, "ticket", level, model, masks, stats, extra_wall=wall)


def run_synflow(exp: "Experiment", seed: int) -> None:
    """SynFlow at initialisation (iterative, exponential schedule, data-free), then train."""
    c = exp.cfg
    def make(model, ones, t, level):
        return synflow_prune(model, ones, t, iterations=c.synflow_iterations, floor_per_output=c.floor_per_output)
    _at_init(exp, seed, make)


def run_random(exp: "Experiment", seed: int) -> None:
    """A random mask at initialisation (layerwise: the IMP per-layer allocation), then train."""
    def make(model, ones, t, level):
        counts = layer_allocation(ones.sizes(), t, layer_rates_for(exp, ones.names))
        rng = np.random.default_rng(derived(seed, level, 7))
        return select(exp, random_scores(model, ones, rng=rng), ones, counts)
    _at_init(exp, seed, make)


def derived(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])
