"""Forward FLOPs per image of the dense and pruned networks, and of their training.

Convention: a multiply-accumulate is 2 FLOPs; biases, activations, pooling and batch norm (foldable into the
preceding convolution at inference) are not counted. A masked (unstructured) MLP counts only its kept weights:
the theoretical sparse count, which dense kernels do not realise. Training FLOPs are 3x the forward FLOPs per
image seen (forward, and a backward pass of about twice its cost: the usual estimate, e.g. Kaplan et al. 2020).
"""
from __future__ import annotations

from torch import nn

from .convnet import ConvNet
from .errors import PruneError
from .masks import Masks
from .models import MLP

TRAIN_FACTOR = 3
"""Training FLOPs per image = TRAIN_FACTOR x forward FLOPs (forward + backward)."""


def convnet_flops(channels: tuple[int, int], n_outputs: int = 10) -> int:
    """Forward FLOPs per 28x28 image of a :class:`~.convnet.ConvNet` with ``channels`` = (c1, c2): conv1 at 24x24
    positions x 25 taps, conv2 at 8x8 x 25 x c1, then the 256c2/16 -> 120 -> 84 -> outputs linear layers."""
    c1, c2 = channels
    macs = c1 * 24 * 24 * 25 + c2 * 8 * 8 * 25 * c1 + c2 * 16 * 120 + 120 * 84 + 84 * n_outputs
    return 2 * macs


def forward_flops(model: nn.Module, masks: Masks | None = None) -> int:
    """Forward FLOPs per image of ``model`` (an MLP, masked by ``masks`` if given, or a ConvNet). Raises
    PruneError for another model or masks on a ConvNet."""
    if isinstance(model, MLP):
        if masks is not None:
            return 2 * masks.count()
        return 2 * sum(a * b for a, b in zip(model.sizes[:-1], model.sizes[1:]))
    if isinstance(model, ConvNet):
        if masks is not None:
            raise PruneError("the conv net is pruned by channels (a smaller dense net), not by weight masks")
        return convnet_flops(model.channels, model.fc3.out_features)
    raise PruneError(f"no FLOPs count for a {type(model).__name__}")


def training_flops(forward: int, images: int, epochs: float) -> float:
    """FLOPs of training for ``epochs`` over ``images`` images at ``forward`` FLOPs per image."""
    return float(TRAIN_FACTOR * forward * images * epochs)


def scratch_b_epochs(epochs: float, large_flops: int, pruned_flops: int, cap: float = 2.0) -> float:
    """Scratch-B's epochs (Liu et al., ICLR 2019, "Rethinking the Value of Network Pruning", sec. 4): the pruned
    network trains for the computation of the large model's ``epochs``, i.e. ``epochs x large_flops /
    pruned_flops``, at most ``cap x epochs`` (the paper doubles the epochs on ImageNet when the FLOPs fall by
    more than 2x, and does not cap on CIFAR: ``cap`` = 0). Raises PruneError for FLOPs not > 0 or cap < 0."""
    if large_flops <= 0 or pruned_flops <= 0:
        raise PruneError(f"FLOPs must be positive, got {large_flops} and {pruned_flops}")
    if cap < 0:
        raise PruneError(f"the Scratch-B cap must be >= 0 (0 = none), got {cap}")
    ratio = large_flops / pruned_flops
    return float(epochs * (min(ratio, cap) if cap else ratio))
