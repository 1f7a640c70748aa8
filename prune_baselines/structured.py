"""Structured pruning of an :class:`~.models.MLP`: whole hidden units, and the smaller dense MLP that remains.

A unit is ranked by the L1 norm of its incoming weights (the row ``layers[i].weight[u, :]``; its bias is not
counted): the MLP analogue of Li et al. (ICLR 2017, "Pruning Filters for Efficient ConvNets"), who rank a
conv filter by the L1 norm of its (incoming) kernel weights. A pruned unit is removed with its incoming
weights, its bias and its outgoing weights, so the smaller dense MLP computes exactly what the original
computes with those units masked (their outgoing weights zeroed).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .errors import PruneError
from .models import MLP


def _n_keep(keep: int | float, n: int) -> int:
    if isinstance(keep, float):
        if not 0 < keep <= 1:
            raise PruneError(f"a fraction of units to keep must be in (0, 1], got {keep}")
        return max(1, int(round(keep * n)))
    if not 1 <= keep <= n:
        raise PruneError(f"units to keep must be in 1..{n}, got {keep}")
    return int(keep)


def unit_masks(model: MLP, keep: int | float | Sequence[int]) -> list[torch.Tensor]:
    """Per hidden layer, a bool [units] mask of the units kept: the ``keep`` units of largest incoming L1 norm
    (ties: the lower index). ``keep``: a count or a fraction (rounded, at least 1) for every hidden layer, or
    one count per hidden layer. Raises PruneError for a count out of range or a list of the wrong length."""
    hidden = model.layers[:-1]
    if isinstance(keep, (int, float)):
        keep = [keep] * len(hidden)
    if len(keep) != len(hidden):
        raise PruneError(f"{len(keep)} counts of units to keep for {len(hidden)} hidden layers")
    out = []
    for layer, k in zip(hidden, keep):
        norms = layer.weight.detach().abs().sum(dim=1).cpu().double().numpy()
        order = np.argsort(-norms, kind="stable")[:_n_keep(k, len(norms))]
        m = torch.zeros(len(norms), dtype=torch.bool)
        m[torch.from_numpy(order)] = True
        out.append(m)
    return out


def prune_units(model: MLP, masks: Sequence[torch.Tensor]) -> MLP:
    """The smaller dense MLP with only the hidden units in ``masks`` (one bool [units] per hidden layer, as
    :func:`unit_masks`), in their original order; weights and biases copied (same dtype)."""
    hidden = model.layers[:-1]
    if len(masks) != len(hidden) or any(m.shape != (l.out_features,) for m, l in zip(masks, hidden)):
        raise PruneError(f"unit masks of shapes {[tuple(m.shape) for m in masks]} for hidden layers "
                         f"{list(model.sizes[1:-1])}")
    if any(not m.any() for m in masks):
        raise PruneError("every hidden layer must keep at least one unit")
    small = MLP(model.n_inputs, tuple(int(m.sum()) for m in masks), model.sizes[-1]).to(model.layers[0].weight)
    rows = [*masks, torch.ones(model.sizes[-1], dtype=torch.bool)]
    cols = [torch.ones(model.n_inputs, dtype=torch.bool), *masks]
    with torch.no_grad():
        for big, new, r, c in zip(model.layers, small.layers, rows, cols):
            new.weight.copy_(big.weight[r][:, c])
            new.bias.copy_(big.bias[r])
    return small
