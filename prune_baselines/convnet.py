"""A LeNet-5-like conv net with batch norm for MNIST 28x28, channel pruning by |BN γ| (network slimming), and
the smaller dense net that remains.

Architecture (:class:`ConvNet`, default ``channels=(6, 16)``; "LeNet-5-like", not LeNet-5: ReLU, max pooling,
batch norm, no padding to 32x32, a full conv2 connection table, a linear classifier instead of RBF units)::

    input [N, 784] or [N, 1, 28, 28]
    conv1 1->c1 5x5 (no bias) -> BN(c1) -> ReLU -> maxpool 2   [N, c1, 12, 12]
    conv2 c1->c2 5x5 (no bias) -> BN(c2) -> ReLU -> maxpool 2  [N, c2, 4, 4]
    fc1 c2*4*4 -> 120 -> ReLU -> fc2 120 -> 84 -> ReLU -> fc3 84 -> 10

Channels are pruned globally across both conv layers, as network slimming (Liu et al., ICCV 2017, sec. 4):
the ``round(ratio * total)`` channels of smallest |γ| go, whichever layer they are in; Early-Bird tickets
(You et al., ICLR 2020) draw their masks the same way. Training for slimming adds :func:`bn_l1_penalty`.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .errors import PruneError

BNS = ("bn1", "bn2")


class ConvNet(nn.Module):
    """LeNet-5-like conv net with batch norm (module docstring); ``channels``: conv1 and conv2 out-channels."""

    def __init__(self, channels: tuple[int, int] = (6, 16), n_outputs: int = 10) -> None:
        super().__init__()
        c1, c2 = (int(c) for c in channels)
        if c1 <= 0 or c2 <= 0:
            raise PruneError(f"channel counts must be positive, got {channels}")
        self.channels = (c1, c2)
        self.conv1, self.bn1 = nn.Conv2d(1, c1, 5, bias=False), nn.BatchNorm2d(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 5, bias=False), nn.BatchNorm2d(c2)
        self.fc1, self.fc2, self.fc3 = nn.Linear(c2 * 16, 120), nn.Linear(120, 84), nn.Linear(84, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


def build_convnet(seed: int = 0, channels: tuple[int, int] = (6, 16), n_outputs: int = 10) -> ConvNet:
    """A ConvNet with torch's default initialisation (BN γ = 1, β = 0) drawn from ``seed`` (the global RNG is
    left as it was)."""
    with torch.random.fork_rng():
        torch.manual_seed(int(seed))
        return ConvNet(channels, n_outputs)


def bn_l1_penalty(model: ConvNet, lam: float) -> torch.Tensor:
    """``lam * sum |γ|`` over both BN layers (network slimming's sparsity term; paper λ = 1e-4 or 1e-5)."""
    return lam * sum(getattr(model, n).weight.abs().sum() for n in BNS)


def channel_masks(model: ConvNet, ratio: float) -> dict[str, torch.Tensor]:
    """``{"bn1": bool [c1], "bn2": bool [c2]}``: the channels kept after pruning the ``round(ratio * total)``
    channels of smallest |γ| over both layers (ties: the later channel goes), except that each layer keeps at
    least its largest-|γ| channel (then the next smallest elsewhere goes instead: the count stays exact; the
    conv net's 6 first-layer channels can all fall below the second layer's 16 under the L1 penalty). Raises
    PruneError for a ratio outside [0, 1) or one that leaves fewer channels than layers."""
    if not 0 <= ratio < 1:
        raise PruneError(f"channel pruning ratio must be in [0, 1), got {ratio}")
    gammas = [getattr(model, n).weight.detach().abs().cpu().double().numpy() for n in BNS]
    flat = np.concatenate(gammas)
    n_keep = flat.size - int(round(ratio * flat.size))
    if n_keep < len(BNS):
        raise PruneError(f"pruning ratio {ratio} keeps {n_keep} of {flat.size} channels; every conv layer needs one")
    keep = np.zeros(flat.size, dtype=bool)
    starts = np.cumsum([0] + [g.size for g in gammas[:-1]])
    for start, g in zip(starts, gammas):  # each layer's best channel (the first on a tie)
        keep[start + int(np.argmax(g))] = True
    rest = [i for i in np.argsort(-flat, kind="stable") if not keep[i]]
    keep[rest[:n_keep - len(BNS)]] = True
    return dict(zip(BNS, (torch.from_numpy(k.copy()) for k in np.split(keep, [gammas[0].size]))))


def prune_channels(model: ConvNet, masks: dict[str, torch.Tensor]) -> ConvNet:
    """The smaller dense ConvNet with only the channels in ``masks`` (as :func:`channel_masks`): conv
    out-channels, BN γ, β and running statistics, conv2's in-channels and fc1's inputs sliced; the rest copied
    (same dtype). In eval mode it equals ``model`` with the pruned channels' γ and β set to 0."""
    m1, m2 = masks["bn1"], masks["bn2"]
    if m1.shape != (model.channels[0],) or m2.shape != (model.channels[1],):
        raise PruneError(f"channel masks of shapes {tuple(m1.shape)}, {tuple(m2.shape)} for channels {model.channels}")
    if not m1.any() or not m2.any():
        raise PruneError("every conv layer must keep at least one channel")
    small = ConvNet((int(m1.sum()), int(m2.sum())), model.fc3.out_features).to(model.fc1.weight)
    with torch.no_grad():
        small.conv1.weight.copy_(model.conv1.weight[m1])
        small.conv2.weight.copy_(model.conv2.weight[m2][:, m1])
        for name, m in zip(BNS, (m1, m2)):
            big, new = getattr(model, name), getattr(small, name)
            for t in ("weight", "bias", "running_mean", "running_var"):
                getattr(new, t).copy_(getattr(big, t)[m])
            new.num_batches_tracked.copy_(big.num_batches_tracked)
        w = model.fc1.weight.reshape(model.fc1.out_features, model.channels[1], 16)
        small.fc1.weight.copy_(w[:, m2].reshape(model.fc1.out_features, -1))
        for fc in ("fc1", "fc2", "fc3"):
            getattr(small, fc).bias.copy_(getattr(model, fc).bias)
        small.fc2.weight.copy_(model.fc2.weight)
        small.fc3.weight.copy_(model.fc3.weight)
    small.train(model.training)
    return small
