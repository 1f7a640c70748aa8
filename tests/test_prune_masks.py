"""Masks: counts, random controls, and pruned weights staying exactly zero through training."""
from __future__ import annotations

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.data import synthetic_dataset
from prune_baselines.masks import Masks
from prune_baselines.models import build_model
from prune_baselines.scoring import keep_top_k, random_scores
from prune_baselines.train import TrainConfig, evaluate, train


def _model_and_mask(seed=0, keep=0.3):
    model = build_model("mlp", 20, (24, 12), n_outputs=4, seed=seed)
    ones = Masks.ones(model)
    masks = keep_top_k(random_scores(model, ones, rng=np.random.default_rng(seed)), ones,
                       int(keep * ones.count()))
    return model, masks


@pytest.mark.parametrize("opt,wd", [("adam", 0.0), ("sgd", 0.0), ("adam", 1e-3), ("sgd", 1e-4)])
def test_pruned_weights_stay_exactly_zero_through_training(opt, wd):
    torch.set_num_threads(1)
    data = synthetic_dataset(n_train=600, n_test=200, n_inputs=20, n_classes=4)
    model, masks = _model_and_mask()
    before = {n: w.detach().clone() for n, w in model.prunable()}
    cfg = TrainConfig(epochs=10, batch_size=30, lr=5e-2 if opt == "sgd" else 1e-2, optimizer=opt, weight_decay=wd)
    train(model, masks, data, cfg, seed=1)
    for n, w in model.prunable():
        assert torch.count_nonzero(w[~masks[n]]) == 0, n
        assert not torch.equal(w[masks[n]], before[n][masks[n]]), "surviving weights must have trained"
    assert evaluate(model, masks, data.x_test, data.y_test) > 0.5


def test_without_rezero_adam_would_revive_pruned_weights():
    """The reason for re-zeroing: Adam's moments move zeroed weights once their gradient was non-zero."""
    data = synthetic_dataset(n_train=300, n_test=50, n_inputs=20, n_classes=4)
    model, masks = _model_and_mask()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = data.x_train[:60], data.y_train[:60]
    torch.nn.functional.cross_entropy(model(x), y).backward()  # dense gradient fills Adam's moments
    opt.step()
    masks.apply_(model)
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x, masks), y).backward()  # masked: zero grad on pruned
    opt.step()
    revived = sum(int(torch.count_nonzero(w[~masks[n]])) for n, w in model.prunable())
    assert revived > 0


def test_counts_and_live_units():
    m0 = torch.zeros(3, 4, dtype=torch.bool)
    m0[0, :2] = True                      # unit 0 has inputs; unit 2 has none
    m1 = torch.zeros(2, 3, dtype=torch.bool)
    m1[:, 0] = True                       # only hidden unit 0 feeds the output
    m1[1, 2] = True                       # hidden unit 2 (no inputs) still passes its bias on
    masks = Masks({"layers.0.weight": m0, "layers.1.weight": m1})
    assert masks.count() == 5
    assert masks.per_layer() == {"layers.0.weight": 2, "layers.1.weight": 3}
    assert masks.live_units() == [2, 2]
    assert masks.count_with_biases() == 5 + 4
    assert masks.density() == pytest.approx(5 / 18)


def test_random_like_keeps_per_layer_counts_and_differs():
    _, masks = _model_and_mask(keep=0.25)
    r = masks.random_like(np.random.default_rng(3))
    assert r.per_layer() == masks.per_layer()
    assert any(not torch.equal(r[n], masks[n]) for n in masks.names)
    r2 = masks.random_like(np.random.default_rng(3))
    assert all(torch.equal(r[n], r2[n]) for n in masks.names)


def test_masked_forward_ignores_stored_values_of_pruned_weights():
    model, masks = _model_and_mask()
    x = torch.rand(5, 20)
    masks.apply_(model)
    ref = model(x, masks)
    with torch.no_grad():
        for n, w in model.prunable():
            w[~masks[n]] = 123.0
    assert torch.equal(model(x, masks), ref)


def test_on_paths_counts_only_weights_between_an_input_and_an_output():
    m0 = torch.zeros(3, 4, dtype=torch.bool)
    m0[0, :2] = True                      # hidden unit 0: inputs 0, 1, feeds both outputs
    m0[1, 3] = True                       # hidden unit 1 has an input but feeds no output: not counted
    m1 = torch.zeros(2, 3, dtype=torch.bool)
    m1[:, 0] = True
    m1[1, 2] = True                       # hidden unit 2 has no input: its weight to output 1 is not counted
    masks = Masks({"layers.0.weight": m0, "layers.1.weight": m1})
    eff = masks.on_paths()
    assert eff.per_layer() == {"layers.0.weight": 2, "layers.1.weight": 2}
    assert eff.is_subset_of(masks)
    assert masks.counts() == {"connections": 6, "connections_with_biases": 6 + 2 + 2,
                              "effective_connections": 4, "effective_connections_with_biases": 4 + 1 + 2}
    cut = Masks({"layers.0.weight": m0, "layers.1.weight": torch.zeros(2, 3, dtype=torch.bool)})
    assert cut.on_paths().count() == 0
    dense = Masks.ones(build_model("mlp", 5, (3,), n_outputs=2))
    assert dense.on_paths().per_layer() == dense.per_layer()
