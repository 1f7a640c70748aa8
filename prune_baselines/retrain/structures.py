"""What is pruned, and how a pruned network is made: unstructured weights of an MLP, whole hidden units of an
MLP, whole channels of the conv net. Each :class:`Structure` draws a mask at a prune ratio from a model's
current weights, and turns a model and a mask into the pruned network that carries the model's weights.

* ``weights`` (LeNet-300-100): each layer keeps the ``round((1 - p) * size)`` weights of largest |w| (layerwise,
  uniform: Han et al. 2015's magnitude pruning as Liu et al. 2019 use it for their non-structured experiments);
  the network is the masked MLP.
* ``units`` (LeNet-300-100): each hidden layer keeps the ``round((1 - p) * units)`` units of largest incoming
  L1 norm (:func:`~prune_baselines.structured.unit_masks`, Li et al. 2017's rule for filters); the network is
  the smaller dense MLP.
* ``channels`` (conv net): the ``round(p * total)`` channels of smallest |BN gamma| over both conv layers go
  (network slimming, :func:`~prune_baselines.convnet.channel_masks`); the network is the smaller dense conv net.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

from torch import nn

from ..convnet import ConvNet, build_convnet, channel_masks, prune_channels
from ..errors import PruneError
from ..masks import Masks
from ..models import MLP, init_weights
from ..scoring import keep_top_k, magnitude_scores
from ..structured import prune_units, unit_masks

Pruned = tuple[nn.Module, "Masks | None"]
"""A pruned network: the model to train, and its weight masks (None: a smaller dense model)."""


def _weight_mask(model: MLP, ratio: float) -> Masks:
    ones = Masks.ones(model)
    keep = {n: max(1, int(round((1 - ratio) * s))) for n, s in ones.sizes().items()}
    return keep_top_k(magnitude_scores(model, ones), ones, keep)


def _weight_net(model: MLP, mask: Masks) -> Pruned:
    net = copy.deepcopy(model)
    mask.apply_(net)
    return net, mask


def _unit_mask(model: MLP, ratio: float) -> dict:
    return {f"layers.{i}": m for i, m in enumerate(unit_masks(model, 1.0 - ratio))}


@dataclass(frozen=True)
class Structure:
    """A way of pruning (module docstring)."""

    name: str
    model: str
    """The model it prunes: ``lenet300`` or ``convnet``."""
    draw: Callable[[nn.Module, float], Any]
    """``draw(model, p)``: the mask removing the fraction ``p`` of the weights, units or channels (a
    :class:`~prune_baselines.masks.Masks` or a dict of bool tensors: what :func:`~prune_baselines.early_bird.
    mask_distance` compares)."""
    extract: Callable[[nn.Module, Any], Pruned]
    """``extract(model, mask)``: the pruned network carrying ``model``'s weights (``model`` is not changed)."""


STRUCTURES = {
    "weights": Structure("weights", "lenet300", _weight_mask, _weight_net),
    "units": Structure("units", "lenet300", _unit_mask, lambda m, k: (prune_units(m, list(k.values())), None)),
    "channels": Structure("channels", "convnet", lambda m, p: channel_masks(m, p), lambda m, k: (prune_channels(m, k), None)),
}


def fresh(net: nn.Module, seed: int) -> nn.Module:
    """A freshly initialised network of ``net``'s architecture (MLP: Glorot normal as
    :func:`~prune_baselines.models.init_weights`; conv net: torch's default), drawn from ``seed``."""
    if isinstance(net, MLP):
        out = MLP(net.n_inputs, net.sizes[1:-1], net.sizes[-1])
        init_weights(out, seed)
        return out
    if isinstance(net, ConvNet):
        return build_convnet(seed, net.channels, net.fc3.out_features)
    raise PruneError(f"cannot initialise a {type(net).__name__}")
