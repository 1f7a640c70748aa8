"""``supermask`` and ``supermask_signed``: a mask learned over frozen, untrained weights (edge-popup).

Zhou et al., NeurIPS 2019, "Deconstructing Lottery Tickets: Zeros, Signs, and the Supermask" found masks
that make an untrained network accurate and learned them on MNIST FC (LeNet-300-100); Ramanujan et al.,
CVPR 2020, "What's Hidden in a Randomly Weighted Neural Network?" learn them with edge-popup, followed here:

* every weight gets a real score; the forward pass uses the weights whose |score| is among the top k (per
  layer under ``--scope layerwise``: the per-layer allocation of the target, as every at-init method here;
  under ``global``: the top k of all layers together), through :class:`TopK`, whose backward passes the
  gradient of the mask straight through to the scores (the straight-through estimator);
* the weights and biases never change (``requires_grad`` off): ``supermask`` keeps the seed's random
  initialisation (Glorot normal, as :func:`~prune_baselines.models.init_weights`), ``supermask_signed`` the
  "signed constant" ``sign(w_init) * c_l`` with ``c_l = sqrt(2 / (fan_in + fan_out))``, the standard deviation
  of our init of layer l (edge-popup takes the Kaiming std ``sqrt(2 / fan_in)``, the scale of its own init; we
  use our init's own scale, so the two methods differ only in the magnitudes); biases stay zero;
* ``--rescale`` scales the frozen kept weights of each layer by ``(n_l / k_l) ** p`` (``n_l`` weights, ``k_l``
  kept; computed from each forward pass's mask, so also under ``global`` scope, and held constant in the
  backward pass): ``none`` (p = 0), ``fan`` (p = 1/2, the default: edge-popup's ``--scale-fan``, which computes
  the init's standard deviation from the kept fan-in, keeping the activations' scale at any density) or
  ``dynamic`` (p = 1, Zhou et al.'s "dynamic weight rescaling"). Without it the activations shrink with the
  density, and at the WANN's sizes (0.2-2 % of LeNet-300-100's weights) the mask barely learns (seed 0, 5,320
  weights, 3 epochs: 69.5 % unscaled, 96.9 % ``fan``, 84.6 % ``dynamic``; at 532 ``dynamic`` diverges). A saved
  point holds the weights as the network uses them: frozen weight times the layer's final factor;
* scores start as edge-popup's ``kaiming_uniform_(a=sqrt(5))``, i.e. uniform in ``±1/sqrt(fan_in)``, drawn
  independently of the weights (their own seed), so the first mask is a random one;
* the scores are trained for ``--epochs`` by gradient, the learning rate decaying to 0 on a cosine over the
  iterations (as edge-popup); ``--weight-decay`` is an L2 penalty on all scores (as edge-popup's weight decay).
  The method's own defaults are edge-popup's optimizer: SGD, momentum 0.9, lr 0.1, with weight decay 5e-4
  (:data:`EDGE_POPUP`, filled in by :func:`check` for each of these settings the run does not give; the batch
  stays the run's, 60). Edge-popup's own MNIST FC config (allenai/hidden-networks, configs/smallscale/fc) has
  weight decay 1e-4, batch 128, 100 epochs and a non-affine batch norm after each layer, which our MLP lacks.
  On MNIST-256 at sparse targets SGD beats the experiment's default Adam (lr 1.2e-3) by far (see the README).

One point per target (levels 1.. from the largest target, as :func:`~.loops.at_init`), each from the seed's
fresh initialisation and its own scores. There is no level 0: nothing is trained but masks, so there is no
dense reference to train (a folder of another method has one); ``seed_<s>/init.npz`` holds the seed's
initialisation as for every method (the experiment's ``initial_state``; the signs of both methods' frozen
weights are its signs). A saved point holds the frozen weights under
the final top-k mask, zero biases and the mask; saved points are resumed, never recomputed. ``--floor`` is
not supported (the top-k of the forward pass has no per-unit floor).
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import PruneError
from ..masks import Masks
from ..models import MLP
from ..progress import bar
from ..scoring import layer_allocation
from ..train import TrainConfig, TrainStats, end_of_epoch, make_optimizer
from .base import Context, Method, derived_seed, layer_rates
from .loops import targets

SCORE_SEED = 31
"""Derived-seed tag of the scores' initialisation (``derived_seed(seed, level, SCORE_SEED)``)."""
DATA_SEED = 32
"""Derived-seed tag of the data order of score training."""


class TopK(torch.autograd.Function):
    """``TopK.apply(k, *scores)``: per tensor, a 0/1 mask of its ``k[i]`` largest scores (``k`` a tuple), or of the
    ``k`` largest over all tensors together (``k`` an int). Backward: the straight-through estimator, each
    mask's gradient passed unchanged to its scores."""

    @staticmethod
    def forward(ctx, k, *scores):
        return tuple(top_k_masks(list(scores), k))

    @staticmethod
    def backward(ctx, *grads):
        return (None, *grads)


def top_k_masks(scores: list[torch.Tensor], k: int | tuple[int, ...]) -> list[torch.Tensor]:
    """0/1 float masks keeping exactly ``k[i]`` entries of ``scores[i]`` (or ``k`` over all together)."""
    scores = [s.detach() for s in scores]
    if isinstance(k, int):
        flat = torch.cat([s.flatten() for s in scores])
        keep = torch.zeros_like(flat)
        keep[torch.topk(flat, k, sorted=False).indices] = 1.0
        return [m.view_as(s) for m, s in zip(torch.split(keep, [s.numel() for s in scores]), scores)]
    out = []
    for s, kk in zip(scores, k):
        keep = torch.zeros(s.numel(), dtype=s.dtype)
        keep[torch.topk(s.flatten(), int(kk), sorted=False).indices] = 1.0
        out.append(keep.view_as(s))
    return out


def layer_counts(cfg, model: MLP, target: int) -> int | tuple[int, ...]:
    """The k of the forward pass: the per-layer allocation of ``target`` (layerwise) or ``target`` (global)."""
    ones = Masks.ones(model)
    if cfg.scope == "global":
        return int(target)
    counts = layer_allocation(ones.sizes(), target, layer_rates(cfg, ones.names))
    return tuple(int(counts[n]) for n in ones.names)


def freeze(model: MLP, signed: bool) -> None:
    """Weights and biases frozen (no gradient); ``signed``: each weight becomes ``sign(w) * c_l`` (``c_l`` the std
    of the Glorot init of layer l; a weight of exactly 0 becomes +c_l)."""
    with torch.no_grad():
        for layer in model.layers:
            if signed:
                fan_out, fan_in = layer.weight.shape
                c = math.sqrt(2.0 / (fan_in + fan_out))
                layer.weight.copy_(torch.where(layer.weight >= 0, c, -c).to(layer.weight.dtype))
            layer.bias.zero_()
    for p in model.parameters():
        p.requires_grad_(False)


def init_scores(model: MLP, seed: int) -> list[torch.Tensor]:
    """edge-popup's score init (``kaiming_uniform_(a=sqrt(5))``): uniform in ±1/sqrt(fan_in), independent of w."""
    gen = torch.Generator().manual_seed(int(seed))
    out = []
    for layer in model.layers:
        fan_in = layer.weight.shape[1]
        bound = 1.0 / math.sqrt(fan_in)
        s = (torch.rand(layer.weight.shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        out.append(s.to(layer.weight.dtype).requires_grad_(True))
    return out


RESCALINGS = ("none", "fan", "dynamic")
RESCALE_POWER = {"none": 0.0, "fan": 0.5, "dynamic": 1.0}
"""The exponent p of each ``--rescale``: kept weights times ``(n_l / k_l) ** p``."""


def layer_factors(mults: list[torch.Tensor], rescale: str) -> list[float]:
    """Per layer, ``(n_l / k_l) ** p`` of the 0/1 masks ``mults`` (1.0 for a layer that keeps nothing)."""
    p = RESCALE_POWER[rescale]
    out = []
    for m in mults:
        kept = float(m.detach().sum())
        out.append((m.numel() / kept) ** p if kept and p else 1.0)
    return out


def masked_forward(model: MLP, x: torch.Tensor, mults: list[torch.Tensor], rescale: str = "none") -> torch.Tensor:
    """Logits of ``model`` with each layer's weights times its mask (and its ``rescale`` factor)."""
    last = len(model.layers) - 1
    for i, (layer, f) in enumerate(zip(model.layers, layer_factors(mults, rescale))):
        x = F.linear(x, layer.weight * (mults[i] * f if f != 1.0 else mults[i]), layer.bias)
        if i < last:
            x = F.relu(x)
    return x


def train_scores(model: MLP, scores: list[torch.Tensor], k: int | tuple[int, ...], data, cfg: TrainConfig,
                 seed: int, *, rescale: str = "none", log: Callable[[str], None] | None = None, label: str = "",
                 progress: bool = False) -> TrainStats:
    """Train ``scores`` in place (the model's parameters stay frozen): per minibatch the top-k of |scores| masks
    the weights (scaled by ``rescale``), the cross-entropy's gradient reaches the scores straight through, the lr
    decays on a cosine.
    A loss that is not finite (checked every epoch) stops with a PruneError."""
    opt = make_optimizer(scores, cfg)
    rng = np.random.default_rng(seed)
    x, y = data.x_train, data.y_train
    n = x.shape[0]
    bs, per_epoch, total = cfg.plan(n)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(total, 1))
    t0, c0 = time.perf_counter(), time.process_time()
    it, loss_val = 0, float("nan")
    with bar(total, f"{label} scores".lstrip(), progress, unit="batch", position=1) as batches:
        while it < total:
            perm = torch.from_numpy(rng.permutation(n))
            epoch_loss, steps = torch.zeros(()), 0
            for b in range(per_epoch):
                if it >= total:
                    break
                idx = perm[b * bs:(b + 1) * bs]
                mults = TopK.apply(k, *[s.abs() for s in scores])
                loss = F.cross_entropy(masked_forward(model, x[idx], mults, rescale), y[idx])
                if cfg.weight_decay:
                    loss = loss + 0.5 * cfg.weight_decay * sum((s ** 2).sum() for s in scores)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                epoch_loss += loss.detach()
                steps += 1
                it += 1
                batches.update()
            loss_val = end_of_epoch(epoch_loss, steps, it, per_epoch, cfg, t0, log, label, "score training")
    return TrainStats(epochs=total / per_epoch if per_epoch else 0.0, iterations=total,
                      wall_s=time.perf_counter() - t0, last_loss=loss_val, cpu_s=time.process_time() - c0)


def final_masks(model: MLP, scores: list[torch.Tensor], k: int | tuple[int, ...]) -> Masks:
    """The top-k mask of the trained scores (the one the last forward pass would use)."""
    mults = top_k_masks([s.abs() for s in scores], k)
    return Masks({n: m.bool() for (n, _), m in zip(model.prunable(), mults)})


def apply_rescale(model: MLP, masks: Masks, rescale: str) -> None:
    """Multiply each layer's frozen weights by its ``rescale`` factor under ``masks`` (in place), so that the
    plain masked network computes what the trained forward pass computed."""
    mults = [masks[n].to(layer.weight.dtype) for (n, _), layer in zip(model.prunable(), model.layers)]
    with torch.no_grad():
        for layer, f in zip(model.layers, layer_factors(mults, rescale)):
            if f != 1.0:
                layer.weight.mul_(f)


def runner(signed: bool):
    def run(ctx: Context, seed: int) -> None:
        c = ctx.cfg
        log, progress = getattr(ctx, "log", None), getattr(ctx, "progress", False)
        save_init = getattr(ctx, "initial_state", None)
        if save_init is not None:  # seed_<s>/init.npz (checked on resume), which wann compare reads for signs
            save_init(seed, ctx.new_model(seed))
        for level, t in ctx.levels(seed, targets(ctx)):
            if ctx.existing(seed, "ticket", level) is not None:
                continue
            model = ctx.new_model(seed)
            freeze(model, signed)
            k = layer_counts(c, model, t)
            scores = init_scores(model, derived_seed(seed, level, SCORE_SEED))
            label = f"[{c.method} seed {seed} ticket level {level}]"
            stats = train_scores(model, scores, k, ctx.data, c.train_config(), derived_seed(seed, level, DATA_SEED),
                                 rescale=c.rescale, log=log, label=label, progress=progress)
            t0 = time.perf_counter()
            masks = final_masks(model, scores, k)
            apply_rescale(model, masks, c.rescale)
            if masks.on_paths().count() == 0:
                raise PruneError(f"{label} the learned mask cut the network in two: none of its {masks.count()} "
                                 f"weights lies on a path from an input to an output; keep more weights")
            ctx.finish(seed, "ticket", level, model, masks, stats, extra_wall=time.perf_counter() - t0)
    return run


EDGE_POPUP = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}
"""The method's own training defaults (edge-popup's SGD), taken where the run does not set them."""


def check(cfg) -> None:
    """Fill in :data:`EDGE_POPUP` for the settings not given (a setting given on the command line or in a TOML
    file is kept) and ``rescale = "fan"`` if not given; refuse ``--floor``."""
    for key, value in EDGE_POPUP.items():
        if key not in cfg.model_fields_set:
            setattr(cfg, key, value)
    if cfg.rescale is None:
        cfg.rescale = "fan"
    if cfg.floor_per_output:
        raise PruneError(f"--method {cfg.method} has no per-unit floor (the top-k of its forward pass); drop --floor")


METHOD = Method(runner(signed=False), default_scope="layerwise", check=check, frozen_weights=True)
SIGNED = Method(runner(signed=True), default_scope="layerwise", check=check, frozen_weights=True)
