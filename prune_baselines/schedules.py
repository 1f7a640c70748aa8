"""Pruning schedules: the per-level, per-tensor counts of iterative pruning (IMP, OBD; see
:mod:`prune_baselines.methods.loops`)."""
from __future__ import annotations

from .errors import PruneError
from .scoring import layer_allocation


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

