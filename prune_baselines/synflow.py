"""SynFlow (Tanaka et al. 2020): data-free iterative pruning at initialisation.

Score = |dR/dw * w| with R = 1^T (prod_l |W_l * M_l|) 1: the network is evaluated on an all-ones input
with every weight made positive (a copy is used, so the model keeps its signs), biases set to zero, in
eval mode, optionally in float64. With zero biases the scores obey the conservation law: the summed
score of every layer is the same (= R). Pruning follows the exponential schedule over ``iterations``
rounds, ranking globally, ending at exactly ``k`` survivors.
"""
from __future__ import annotations

import copy

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


def synflow_prune(model, masks: Masks, k: int, *, iterations: int = 100, floor_per_output: int = 0,
                  dtype: torch.dtype | None = torch.float64) -> Masks:
    """Iterative SynFlow from ``masks`` down to exactly ``k`` weights (exponential schedule)."""
    start = masks.count()
    current = masks
    for i in range(1, iterations + 1):
        k_i = k if i == iterations else max(k, int(round(start * (k / start) ** (i / iterations))))
        current = keep_top_k(synflow_scores(model, current, dtype=dtype), current, k_i, floor_per_output)
    return current
