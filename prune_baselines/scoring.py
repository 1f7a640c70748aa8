"""Scorers ``(model, masks, data) -> {name: scores}`` and the one selection rule, ``keep_top_k``.

Higher score = more important. Scores of pruned weights are ignored: ``keep_top_k`` ranks surviving
weights only, so a pruned weight is never revived. SynFlow and OBD live in their own modules.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .errors import PruneError
from .masks import Masks

Scores = dict[str, torch.Tensor]


def magnitude_scores(model, masks: Masks, data=None) -> Scores:
    """|w| of every weight."""
    return {n: w.detach().abs().to(torch.float64) for n, w in model.prunable()}


def random_scores(model, masks: Masks, data=None, *, rng: np.random.Generator) -> Scores:
    """I.i.d. uniform scores: keep_top_k on them is a uniformly random choice among survivors."""
    return {n: torch.from_numpy(rng.random(tuple(w.shape))) for n, w in model.prunable()}


def keep_top_k(scores: Scores, masks: Masks, k: int | dict[str, int], floor_per_output: int = 0) -> Masks:
    """Keep exactly ``k`` surviving weights with the highest scores.

    ``k`` an int: one global ranking over all tensors. ``k`` a dict: exactly ``k[name]`` per tensor.
    ``floor_per_output``: each output unit (row of a weight tensor) keeps its best ``floor`` surviving
    weights (or all of them if it has fewer), so no unit and no layer is cut off; the rest of the budget
    goes to the best remaining weights. Ties are broken by position (stable), so results are deterministic.
    """
    if isinstance(k, dict):
        if set(k) != set(masks.names):
            raise PruneError(f"per-layer k has tensors {sorted(k)}, masks have {masks.names}")
        out = {}
        for name in masks.names:
            out.update(_keep(({name: scores[name]}), Masks({name: masks[name]}), int(k[name]), floor_per_output))
        return Masks(out)
    return Masks(_keep(scores, masks, int(k), floor_per_output))


def _keep(scores: Scores, masks: Masks, k: int, floor: int) -> dict[str, torch.Tensor]:
    alive_total = masks.count()
    if k < 0 or k > alive_total:
        raise PruneError(f"cannot keep {k} weights: {alive_total} survive (a pruned weight is never revived)")
    forced: dict[str, torch.Tensor] = {}
    cand: list[torch.Tensor] = []
    for name in masks.names:
        alive = masks[name]
        s = scores[name].detach().to(torch.float64)
        if s.shape != alive.shape:
            raise PruneError(f"scores for {name} have shape {tuple(s.shape)}, mask has {tuple(alive.shape)}")
        if torch.isnan(s[alive]).any():
            raise PruneError(f"scores for {name} contain NaN")
        s = torch.where(alive, s, torch.full_like(s, -math.inf))
        f = torch.zeros_like(alive)
        if floor > 0:
            kk = min(floor, s.shape[1])
            idx = torch.sort(s, dim=1, descending=True, stable=True).indices[:, :kk]
            f.scatter_(1, idx, True)
            f &= alive
        forced[name] = f
        cand.append(torch.where(alive & ~f, s, torch.full_like(s, -math.inf)).flatten())
    n_forced = sum(int(f.sum()) for f in forced.values())
    if n_forced > k:
        raise PruneError(f"the per-output floor needs {n_forced} weights, more than k={k}; lower the floor")
    flat = torch.cat(cand)
    rest = k - n_forced
    keep_flat = torch.zeros(flat.numel(), dtype=torch.bool)
    if rest > 0:
        order = torch.sort(flat, descending=True, stable=True).indices[:rest]
        keep_flat[order] = True
    out, start = {}, 0
    for name in masks.names:
        n = masks[name].numel()
        out[name] = forced[name] | keep_flat[start:start + n].reshape(masks[name].shape)
        start += n
    return out


def layer_allocation(sizes: dict[str, int], target: int, rates: dict[str, float]) -> dict[str, int]:
    """Per-tensor counts summing exactly to ``target`` after a (fractional) number n of rounds of
    layerwise pruning at ``rates`` (fraction removed per round): count_l ~ size_l * (1 - rate_l) ** n."""
    total = sum(sizes.values())
    if not 0 < target <= total:
        raise PruneError(f"target {target} connections must be in 1..{total}")
    def tot(n: float) -> float:
        return sum(s * (1 - rates[k]) ** n for k, s in sizes.items())
    lo, hi = 0.0, 1.0
    while tot(hi) > target:
        hi *= 2
        if hi > 1e6:
            raise PruneError("cannot reach the target with these layer rates")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if tot(mid) > target else (lo, mid)
    exact = {k: s * (1 - rates[k]) ** hi for k, s in sizes.items()}
    alloc = {k: min(sizes[k], max(1, int(math.floor(v)))) for k, v in exact.items()}
    # largest remainder to hit the target exactly
    diff = target - sum(alloc.values())
    order = sorted(exact, key=lambda k: exact[k] - math.floor(exact[k]), reverse=True)
    i = 0
    while diff != 0 and i < 10 * len(order) + abs(diff) * len(order):
        k = order[i % len(order)]
        if diff > 0 and alloc[k] < sizes[k]:
            alloc[k] += 1
            diff -= 1
        elif diff < 0 and alloc[k] > 1:
            alloc[k] -= 1
            diff += 1
        i += 1
    if diff != 0:
        raise PruneError(f"cannot split {target} connections over tensors of sizes {sizes}")
    return alloc

