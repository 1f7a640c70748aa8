"""Optimal Brain Damage (LeCun et al. 1990) with the exact Hessian diagonal.

Saliency of weight k: s_k = h_kk * w_k^2 / 2, h_kk the diagonal of the Hessian of the mean
softmax cross-entropy. For a ReLU network the logits are, for a fixed activation pattern, linear in
each single weight, so d^2 logits / dw_k^2 = 0 and the Hessian diagonal equals the Gauss-Newton
diagonal diag(J^T H_L J), H_L = diag(p) - p p^T (independent of the labels). With the factor
H_L = S S^T, S = diag(sqrt p) - p sqrt(p)^T, it is one backward pass of the C columns of S:
h[l]_ij = mean_n sum_c delta[l]_nci^2 * a[l-1]_nj^2. Computed in float64 over >= 10k samples.
"""
from __future__ import annotations

import numpy as np
import torch

from .errors import PruneError
from .masks import Masks
from .scoring import Scores


@torch.no_grad()
def hessian_diagonal(model, masks: Masks | None, x: torch.Tensor, *, batch: int = 2000,
                     dtype: torch.dtype = torch.float64) -> Scores:
    """Exact diagonal of the Hessian of the mean cross-entropy over x with respect to each weight tensor."""
    Ws = [layer.weight.detach().to(dtype) for layer in model.layers]
    bs = [layer.bias.detach().to(dtype) for layer in model.layers]
    if masks is not None:
        Ws = [w * m for w, m in zip(Ws, masks.as_float(dtype))]
    diag = [torch.zeros_like(w) for w in Ws]
    n = x.shape[0]
    L = len(Ws)
    for i in range(0, n, batch):
        a = [x[i:i + batch].to(dtype)]
        pre = []
        for l in range(L):
            z = a[-1] @ Ws[l].T + bs[l]
            pre.append(z)
            if l < L - 1:
                a.append(torch.relu(z))
        p = torch.softmax(pre[-1], dim=1)  # [B, C]
        sp = p.sqrt()
        # delta[b, c, i] = S[b, i, c] = (i == c) sqrt(p_c) - p_i sqrt(p_c)
        delta = torch.diag_embed(sp) - sp.unsqueeze(2) * p.unsqueeze(1)
        for l in range(L - 1, -1, -1):
            diag[l] += (delta ** 2).sum(1).T @ (a[l] ** 2)
            if l > 0:
                delta = (delta @ Ws[l]) * (pre[l - 1] > 0).to(dtype).unsqueeze(1)
    names = [name for name, _ in model.prunable()]
    out = {}
    for l, name in enumerate(names):
        h = diag[l] / n
        if masks is not None:
            h = h * masks.as_float(dtype)[l]  # d/dw of (w * m): pruned weights have zero curvature
        out[name] = h
    return out


def obd_scores(model, masks: Masks, data, *, n_samples: int = 10000, seed: int = 0) -> Scores:
    """OBD saliency h_kk w_k^2 / 2 averaged over ``n_samples`` training images (a seeded random subset)."""
    x = data.x_train if hasattr(data, "x_train") else data
    if n_samples and n_samples < x.shape[0]:
        idx = np.sort(np.random.default_rng(seed).choice(x.shape[0], size=n_samples, replace=False))
        x = x[torch.from_numpy(idx)]
    if x.shape[0] == 0:
        raise PruneError("OBD needs data")
    h = hessian_diagonal(model, masks, x)
    return {n: 0.5 * h[n] * w.detach().to(torch.float64) ** 2 for n, w in model.prunable()}
