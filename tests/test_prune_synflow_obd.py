"""SynFlow's conservation law and OBD's exact Hessian diagonal."""
from __future__ import annotations

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.masks import Masks
from prune_baselines.models import build_model
from prune_baselines.obd import hessian_diagonal, obd_scores
from prune_baselines.scoring import keep_top_k, random_scores
from prune_baselines.synflow import synflow_prune, synflow_scores


def _masked(seed, keep, sizes=(30, (20, 15), 6)):
    model = build_model("mlp", sizes[0], sizes[1], n_outputs=sizes[2], seed=seed)
    with torch.no_grad():
        for layer in model.layers:
            layer.bias.normal_(0, 0.3)  # non-zero biases: SynFlow must not depend on them
    ones = Masks.ones(model)
    masks = keep_top_k(random_scores(model, ones, rng=np.random.default_rng(seed)), ones, int(keep * ones.count()))
    masks.apply_(model)
    return model, masks


@pytest.mark.parametrize("seed,keep", [(0, 1.0), (1, 0.5), (2, 0.1)])
def test_synflow_conservation_equal_layer_sums(seed, keep):
    model, masks = _masked(seed, keep)
    sums = [float(s.sum()) for s in synflow_scores(model, masks).values()]
    assert sums[0] > 0
    np.testing.assert_allclose(sums, sums[0], rtol=1e-10)


def test_synflow_keeps_model_signs_and_prunes_to_exactly_k():
    model, masks = _masked(3, 1.0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out = synflow_prune(model, masks, 150, iterations=20)
    assert out.count() == 150 and out.is_subset_of(masks)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def _double_backprop_diag(model, masks, x, y):
    ws = [w for _, w in model.prunable()]
    loss = torch.nn.functional.cross_entropy(model(x, masks), y)
    grads = torch.autograd.grad(loss, ws, create_graph=True)
    out = []
    for w, g in zip(ws, grads):
        h = torch.zeros(w.numel(), dtype=torch.float64)
        gf = g.reshape(-1)
        for k in range(w.numel()):
            h[k] = torch.autograd.grad(gf[k], w, retain_graph=True)[0].reshape(-1)[k]
        out.append(h.reshape(w.shape))
    return out


@pytest.mark.parametrize("keep", [1.0, 0.6])
def test_obd_diagonal_equals_double_backprop(keep):
    torch.manual_seed(0)
    model, masks = _masked(4, keep, sizes=(7, (6, 5), 4))
    model = model.double()
    x = torch.randn(40, 7, dtype=torch.float64)
    y = torch.randint(0, 4, (40,))
    exact = _double_backprop_diag(model, masks, x, y)
    fast = hessian_diagonal(model, masks, x, batch=16)
    for e, f in zip(exact, fast.values()):
        assert e.abs().max() > 1e-4  # a non-trivial comparison
        torch.testing.assert_close(f, e, atol=1e-10, rtol=0)


def test_obd_saliency_is_half_h_w_squared():
    model, masks = _masked(5, 0.7)
    x = torch.rand(300, 30)
    data = type("D", (), {"x_train": x})()
    s = obd_scores(model, masks, data, n_samples=0)
    h = hessian_diagonal(model, masks, x)
    for (n, w) in model.prunable():
        torch.testing.assert_close(s[n], 0.5 * h[n] * w.detach().double() ** 2)
        assert torch.all(s[n][~masks[n]] == 0)
