"""Structured pruning of MLP units: the smaller dense MLP equals the masked original."""
from __future__ import annotations

import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.errors import PruneError
from prune_baselines.models import build_model
from prune_baselines.structured import prune_units, unit_masks


def _model():
    model = build_model("mlp", 20, (24, 12), n_outputs=4, seed=3).double()
    with torch.no_grad():
        for layer in model.layers:
            layer.bias.normal_(0, 0.1, generator=torch.Generator().manual_seed(1))
    return model


def _masked_output(model, masks, x):
    """The original with the pruned units' outgoing weights zeroed."""
    with torch.no_grad():
        h = x
        for i, layer in enumerate(model.layers):
            w = layer.weight if i == 0 else layer.weight * masks[i - 1].to(layer.weight)[None, :]
            h = torch.nn.functional.linear(h, w, layer.bias)
            if i < len(model.layers) - 1:
                h = torch.relu(h)
        return h


@pytest.mark.parametrize("keep", [(10, 5), 0.5, 7, (24, 12), (1, 1)])
def test_smaller_model_equals_masked_original(keep):
    model = _model()
    masks = unit_masks(model, keep)
    small = prune_units(model, masks)
    x = torch.randn(50, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = small(x)
    torch.testing.assert_close(out, _masked_output(model, masks, x), rtol=1e-12, atol=1e-12)
    k = [int(m.sum()) for m in masks]
    assert small.sizes == (20, *k, 4)
    assert sum(p.numel() for p in small.parameters()) == 20 * k[0] + k[0] + k[0] * k[1] + k[1] + k[1] * 4 + 4


def test_counts_and_top_l1_units_kept():
    model = _model()
    m = unit_masks(model, (10, 0.25))
    assert [int(x.sum()) for x in m] == [10, 3]
    for layer, mask in zip(model.layers[:-1], m):
        norms = layer.weight.detach().abs().sum(dim=1)
        assert norms[mask].min() > norms[~mask].max()


def test_ties_keep_lower_index():
    model = build_model("mlp", 3, (4,), n_outputs=2, seed=0)
    with torch.no_grad():
        model.layers[0].weight.fill_(1.0)
    assert unit_masks(model, 2)[0].tolist() == [True, True, False, False]


@pytest.mark.parametrize("keep", [0, 25, 0.0, 1.5, (5,), (5, 5, 5)])
def test_bad_keep(keep):
    with pytest.raises(PruneError):
        unit_masks(_model(), keep)


def test_bad_masks():
    model = _model()
    with pytest.raises(PruneError):
        prune_units(model, [torch.ones(24, dtype=torch.bool)])
    with pytest.raises(PruneError):
        prune_units(model, [torch.ones(24, dtype=torch.bool), torch.zeros(12, dtype=torch.bool)])
