"""SynFlow (Tanaka et al. 2020): data-free iterative pruning at initialisation.

Score = |dR/dw * w| with R = 1^T (prod_l |W_l * M_l|) 1: the network is evaluated on an all-ones input
with every weight made positive (a copy is used, so the model keeps its signs), biases set to zero, in
eval mode, optionally in float64. With zero biases the scores obey the conservation law: the summed
score of every layer is the same (= R). Pruning follows the exponential schedule over ``iterations``
rounds, ranking globally, ending at exactly ``k`` survivors.
"""
from __future__ import annotations

import copy
import math

import torch

from .masks import Masks
from .scoring import Scores, keep_top_k


def synflow_scores(model, masks: Masks, data=None, *, dtype: torch.dtype | None = torch.float64) -> Scores:
    net = copy.deepcopy(model)
    if dtype is not None:
        net = net.to(dtype)
    net.eval()
    with torch.no_grad():
        for _, w in net.prunable():
            w.abs_()
        for layer in net.layers:
            if layer.bias is not None:
                layer.bias.zero_()
    net.zero_grad(set_to_none=True)
    w0 = net.prunable()[0][1]
    ones = torch.ones(1, w0.shape[1], dtype=w0.dtype)
    net(ones, masks).sum().backward()
    return {n: (w.grad * w).detach().abs().to(torch.float64) for n, w in net.prunable()}


def synflow_ranks(model, masks: Masks, k: int, *, iterations: int = 100, floor_per_output: int = 0,
                  dtype: torch.dtype | None = torch.float64) -> Scores:
    """Iterative SynFlow from ``masks`` down to exactly ``k`` weights (exponential schedule), as one score per
    weight: its rank (0, 1, ...) in the order the rounds prune. Weights pruned in an earlier round rank lower;
    within a round, by that round's score; the ``k`` survivors rank highest, by the last round's score (ties in
    keep_top_k's order); weights already pruned in ``masks`` score -inf.

    ``keep_top_k(ranks, masks, k, floor_per_output)`` is the SynFlow mask; the lowest ranks are the weights
    SynFlow gives up first (what the inversion ablation of Frankle et al. 2021 keeps)."""
    names = masks.names
    start = masks.count()
    ranks = torch.full((sum(masks.sizes().values()),), -math.inf, dtype=torch.float64)
    next_rank = 0

    def rank(chosen: torch.Tensor, flat_scores: torch.Tensor) -> None:
        """Give the ``chosen`` (bool, flat) the next ranks, in keep_top_k's order (best score, then position)."""
        nonlocal next_rank
        idx = chosen.nonzero().squeeze(1)
        idx = idx[torch.sort(flat_scores[idx], descending=True, stable=True).indices]
        ranks[idx] = torch.arange(next_rank + idx.numel() - 1, next_rank - 1, -1, dtype=torch.float64)
        next_rank += idx.numel()

    current = masks
    for i in range(1, iterations + 1):
        k_i = k if i == iterations else max(k, int(round(start * (k / start) ** (i / iterations))))
        scores = synflow_scores(model, current, dtype=dtype)
        kept = keep_top_k(scores, current, k_i, floor_per_output)
        flat_scores = torch.cat([scores[n].flatten() for n in names])
        rank(torch.cat([(current[n] & ~kept[n]).flatten() for n in names]), flat_scores)
        current = kept
    rank(torch.cat([current[n].flatten() for n in names]), flat_scores)
    out, at = {}, 0
    for n, size in masks.sizes().items():
        out[n] = ranks[at:at + size].reshape(masks[n].shape)
        at += size
    return out


def synflow_prune(model, masks: Masks, k: int, *, iterations: int = 100, floor_per_output: int = 0,
                  dtype: torch.dtype | None = torch.float64) -> Masks:
    """Iterative SynFlow from ``masks`` down to exactly ``k`` weights (exponential schedule)."""
    ranks = synflow_ranks(model, masks, k, iterations=iterations, floor_per_output=floor_per_output, dtype=dtype)
    return keep_top_k(ranks, masks, k, floor_per_output)
