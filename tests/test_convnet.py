"""The LeNet-5-like conv net: shapes, channel pruning by |BN γ| equal to zeroing γ and β, the L1 penalty."""
from __future__ import annotations

import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.convnet import bn_l1_penalty, build_convnet, channel_masks, prune_channels
from prune_baselines.errors import PruneError


def _trained_like(seed=0):
    """A double ConvNet with random γ, β and running statistics (a few train-mode passes), in eval mode."""
    model = build_convnet(seed).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for bn in (model.bn1, model.bn2):
            bn.weight.copy_(torch.randn(bn.num_features, generator=gen, dtype=torch.float64))
            bn.bias.copy_(0.5 * torch.randn(bn.num_features, generator=gen, dtype=torch.float64))
        for _ in range(3):
            model(torch.rand(32, 784, generator=gen, dtype=torch.float64))
    return model.eval()


def test_architecture_and_parameter_count():
    model = build_convnet(0)
    assert model(torch.zeros(5, 784)).shape == (5, 10)
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    n = 6 * 25 + 2 * 6 + 16 * 6 * 25 + 2 * 16 + (256 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert sum(p.numel() for p in model.parameters()) == n == 44_448
    a, b = build_convnet(7), build_convnet(7)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.5, 0.7])
def test_smaller_net_equals_zeroed_gamma_and_beta(ratio):
    model = _trained_like()
    masks = channel_masks(model, ratio)
    n_pruned = round(ratio * 22)
    assert int(masks["bn1"].sum()) + int(masks["bn2"].sum()) == 22 - n_pruned
    small = prune_channels(model, masks)
    assert small.channels == (int(masks["bn1"].sum()), int(masks["bn2"].sum()))
    assert not small.training
    zeroed = _trained_like()
    with torch.no_grad():
        for name, m in masks.items():
            getattr(zeroed, name).weight[~m] = 0.0
            getattr(zeroed, name).bias[~m] = 0.0
    x = torch.rand(40, 784, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(small(x), zeroed(x), rtol=1e-12, atol=1e-12)


def test_pruned_channels_have_smallest_gamma_globally():
    model = _trained_like(1)
    masks = channel_masks(model, 0.5)
    g = torch.cat([model.bn1.weight.abs(), model.bn2.weight.abs()]).detach()
    keep = torch.cat([masks["bn1"], masks["bn2"]])
    assert int(keep.sum()) == 11
    assert g[keep].min() > g[~keep].max()


def test_each_layer_keeps_its_best_channel_and_the_count_stays_exact():
    model = _trained_like(2)
    with torch.no_grad():
        model.bn1.weight.copy_(torch.linspace(1e-9, 6e-9, 6))  # every conv1 channel is below every conv2 one
    for ratio in (0.3, 0.5, 0.9):
        masks = channel_masks(model, ratio)
        assert masks["bn1"].tolist() == [False] * 5 + [True]  # only its largest |gamma| survives
        assert int(masks["bn2"].sum()) == 22 - round(ratio * 22) - 1
        g2 = model.bn2.weight.abs().detach()
        if not masks["bn2"].all():
            assert g2[masks["bn2"]].min() > g2[~masks["bn2"]].max()


def test_bad_ratio_and_masks():
    model = _trained_like()
    for r in (-0.1, 1.0):
        with pytest.raises(PruneError):
            channel_masks(model, r)
    with pytest.raises(PruneError, match="every conv layer"):
        channel_masks(model, 0.95)  # keeps 1 of 22
    with pytest.raises(PruneError):
        prune_channels(model, {"bn1": torch.ones(5, dtype=torch.bool), "bn2": torch.ones(16, dtype=torch.bool)})
    with pytest.raises(PruneError):
        prune_channels(model, {"bn1": torch.zeros(6, dtype=torch.bool), "bn2": torch.ones(16, dtype=torch.bool)})


def test_bn_l1_penalty_value_and_gradient():
    model = build_convnet(0)
    with torch.no_grad():
        model.bn1.weight.copy_(torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0, -1.0]))
        model.bn2.weight.fill_(-0.25)
    pen = bn_l1_penalty(model, 1e-2)
    assert pen.item() == pytest.approx(1e-2 * (7.5 + 16 * 0.25))
    pen.backward()
    assert model.bn1.weight.grad.tolist() == pytest.approx([1e-2, -1e-2, 1e-2, 0.0, 1e-2, -1e-2])
    assert torch.all(model.bn2.weight.grad == -1e-2)
    assert model.conv1.weight.grad is None
