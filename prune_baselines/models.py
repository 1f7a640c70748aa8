"""Dense models to prune: LeNet-300-100 and configurable MLPs (ReLU hidden layers, linear output).

A model lists its prunable weight tensors in order (``model.prunable()``); masks are keyed by the same
parameter names (``"layers.0.weight"``, ...). ``forward(x, masks)`` multiplies each weight by its mask,
so a masked model is exact even if a pruned weight were non-zero in storage (it never is: training
re-zeroes pruned weights after every optimiser step, see :mod:`prune_baselines.masks`).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from .errors import PruneError

if TYPE_CHECKING:
    from .masks import Masks

MODELS = ("lenet300", "mlp")


class MLP(nn.Module):
    """Fully connected ReLU network; ``layers[i].weight`` is [out, in] as in torch.nn.Linear."""

    def __init__(self, n_inputs: int, hidden: tuple[int, ...], n_outputs: int = 10) -> None:
        super().__init__()
        sizes = [int(n_inputs), *[int(h) for h in hidden], int(n_outputs)]
        if any(s <= 0 for s in sizes):
            raise PruneError(f"layer sizes must be positive, got {sizes}")
        self.sizes = tuple(sizes)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    @property
    def n_inputs(self) -> int:
        return self.sizes[0]

    def prunable(self) -> list[tuple[str, nn.Parameter]]:
        """(name, weight) for every prunable tensor, in layer order. Biases are never pruned."""
        return [(f"layers.{i}.weight", layer.weight) for i, layer in enumerate(self.layers)]

    def forward(self, x: torch.Tensor, masks: "Masks | None" = None) -> torch.Tensor:
        mult = masks.as_float(self.layers[0].weight.dtype) if masks is not None else None
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            w = layer.weight if mult is None else layer.weight * mult[i]
            x = F.linear(x, w, layer.bias)
            if i < last:
                x = F.relu(x)
        return x


def init_weights(model: MLP, seed: int) -> None:
    """Glorot-normal weights and zero biases (as Frankle & Carbin), from an explicit seed."""
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for layer in model.layers:
            fan_out, fan_in = layer.weight.shape
            std = math.sqrt(2.0 / (fan_in + fan_out))
            w = torch.empty(layer.weight.shape, dtype=torch.float64).normal_(0.0, std, generator=gen)
            layer.weight.copy_(w.to(layer.weight.dtype))
            layer.bias.zero_()


def build_model(name: str, n_inputs: int, hidden: tuple[int, ...] | None = None, n_outputs: int = 10,
                seed: int = 0) -> MLP:
    """``lenet300`` (hidden 300-100, the Frankle & Carbin LeNet) or ``mlp`` (hidden sizes given)."""
    if name == "lenet300":
        if hidden not in (None, (), (300, 100)):
            raise PruneError(f"model lenet300 has hidden layers (300, 100); got hidden={hidden}; use --model mlp")
        hidden = (300, 100)
    elif name == "mlp":
        if not hidden:
            raise PruneError("model mlp needs hidden layer sizes, e.g. --hidden 100 or --hidden 300,100")
    else:
        raise PruneError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    model = MLP(n_inputs, tuple(hidden), n_outputs)
    init_weights(model, seed)
    return model


def get_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of every parameter (weights and biases)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def set_state(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy a saved state into the model in place (exact values)."""
    with torch.no_grad():
        for k, v in model.state_dict().items():
            v.copy_(state[k])
