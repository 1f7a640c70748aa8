"""Efficient in-memory minibatch training of a masked model (no DataLoader), and evaluation.

Defaults are Frankle & Carbin's LeNet settings: Adam, lr 1.2e-3, batch 60. After every optimiser step
pruned weights are re-zeroed; weight decay, when asked for, is a penalty on masked weights only (never on
pruned ones, never on biases), so optimisers are built with ``weight_decay=0``. The data order of every
epoch comes from ``numpy.random.default_rng(seed)``.

With a validation split (``Dataset.hold_out``) and ``eval_every``, training also records early stopping as
Frankle & Carbin (ICLR 2019, "The Lottery Ticket Hypothesis", sec. 2: the iteration of minimum validation loss,
evaluated every 100 iterations): :class:`EarlyStop`. Training itself runs to the end either way.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Annotated, Callable, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field, FiniteFloat

from .data import Dataset
from .errors import PruneError, Settings
from .masks import Masks
from .progress import bar, write
from .models import get_state, set_state

OPTIMIZERS = ("adam", "sgd")
Epochs = Annotated[FiniteFloat, Field(ge=0)]
"""Epochs of a training run (fractions allowed: 0.5 = half an epoch of iterations)."""


class TrainConfig(Settings):
    """Training settings, each typed and range-checked on construction (a PruneError names the bad one)."""

    epochs: Epochs = 5.0
    batch_size: Annotated[int, Field(ge=1)] = 60
    lr: Annotated[FiniteFloat, Field(gt=0)] = 1.2e-3
    optimizer: Literal[OPTIMIZERS] = "adam"
    momentum: Annotated[FiniteFloat, Field(ge=0, lt=1)] = 0.9
    weight_decay: Annotated[FiniteFloat, Field(ge=0)] = 0.0

    def plan(self, n: int) -> tuple[int, int, int]:
        """(batch size, iterations per epoch, total iterations) of training on ``n`` examples."""
        bs = min(self.batch_size, n)
        per_epoch = n // bs
        return bs, per_epoch, int(round(self.epochs * per_epoch))


@dataclass
class TrainStats:
    epochs: float
    iterations: int
    wall_s: float
    last_loss: float
    cpu_s: float = 0.0
    """CPU time of this process spent training (meaningful on a shared machine, unlike wall time)."""
    snapshot: dict[str, torch.Tensor] | None = None
    """Parameters after ``snapshot_iteration`` iterations, when asked for (iteration 0 = before training)."""
    early_stop: "EarlyStop | None" = None
    """Early stopping, when trained with a validation split and ``eval_every``."""


@dataclass
class EarlyStop:
    """The early-stopping point of one training: the evaluated iteration of minimum validation loss (the first
    one on a tie), and the validation curve it was chosen from."""

    iteration: int
    validation_loss: float
    """Mean cross-entropy (nats per image) on the validation split."""
    validation_accuracy: float
    test_accuracy: float
    """Accuracy on the test set of the parameters at ``iteration`` (evaluated once, after training)."""
    curve: dict[str, list]
    """``{"iteration": [...], "loss": [...], "accuracy": [...]}``: every evaluation, in order."""
    state: dict[str, torch.Tensor]
    """The parameters at ``iteration`` (not saved in the results folder)."""

    def record(self) -> dict:
        """The fields a point's record gets (see :mod:`.results`)."""
        return {"early_stop_iteration": self.iteration, "early_stop_validation_loss": self.validation_loss,
                "early_stop_validation_accuracy": self.validation_accuracy,
                "early_stop_test_accuracy": self.test_accuracy, "validation_curve": self.curve}


class _Watch:
    """Validation every ``every`` iterations and at the last; keeps a copy of the parameters of minimum loss."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, every: int, total: int) -> None:
        self.x, self.y, self.every, self.total = x, y, every, total
        self.curve: dict[str, list] = {"iteration": [], "loss": [], "accuracy": []}
        self.best: tuple[int, float, float, dict[str, torch.Tensor]] | None = None

    def step(self, model, masks: Masks, it: int) -> None:
        if it % self.every and it != self.total:
            return
        loss, acc = loss_and_accuracy(model, masks, self.x, self.y)
        for key, v in zip(("iteration", "loss", "accuracy"), (it, loss, acc)):
            self.curve[key].append(v)
        if self.best is None or loss < self.best[1]:
            self.best = (it, loss, acc, get_state(model))

    def result(self, model, masks: Masks, data: Dataset) -> EarlyStop | None:
        """The early stop, its test accuracy evaluated on the kept parameters (the model keeps its own)."""
        if self.best is None:
            return None
        it, loss, acc, state = self.best
        final = get_state(model)
        set_state(model, state)
        test = evaluate(model, masks, data.x_test, data.y_test)
        set_state(model, final)
        return EarlyStop(it, loss, acc, test, self.curve, state)


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = list(params)
    if cfg.optimizer == "adam":
        try:
            return torch.optim.Adam(params, lr=cfg.lr, fused=True)
        except (RuntimeError, TypeError):
            return torch.optim.Adam(params, lr=cfg.lr)
    try:
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)


def train(model, masks: Masks | None, data: Dataset, cfg: TrainConfig, seed: int, *,
          snapshot_iteration: int | None = None, eval_every: int | None = None,
          log: Callable[[str], None] | None = None, label: str = "", progress: bool = False,
          after_epoch: Callable[[int], bool] | None = None,
          penalty: Callable[[], torch.Tensor] | None = None) -> TrainStats:
    """Train ``model`` in place under ``masks``; pruned weights are exactly zero throughout. ``masks`` None: a
    dense model (any ``nn.Module`` mapping [N, inputs] to [N, classes] logits, e.g. the conv net), weight decay
    on its weight tensors (every parameter of 2 or more dimensions). A loss that is not finite (checked every
    epoch) stops training with a PruneError. ``progress``: a bar over the minibatches (terminal only).
    ``eval_every`` (with ``data``'s validation split): evaluate the validation loss after every ``eval_every``
    iterations and after the last, and return the minimum as ``TrainStats.early_stop``. ``after_epoch(epoch)``:
    called after each full epoch (1, 2, ...); returning True stops training there. ``penalty()``: a term added
    to every minibatch's loss (e.g. network slimming's L1 on batch-norm scales)."""
    if masks is not None:
        masks.check_model(model)
        masks.apply_(model)
        weights = [w for _, w in model.prunable()]
        mult = masks.as_float(weights[0].dtype)
    else:
        weights = [p for p in model.parameters() if p.dim() > 1]
        mult = [None] * len(weights)
    model.train()
    opt = make_optimizer(model.parameters(), cfg)
    rng = np.random.default_rng(seed)
    x, y = data.x_train, data.y_train
    n = x.shape[0]
    bs, per_epoch, total = cfg.plan(n)
    snapshot = get_state(model) if snapshot_iteration == 0 else None
    watch = _Watch(data.x_val, data.y_val, eval_every, total) if eval_every and data.x_val is not None else None
    t0, c0 = time.perf_counter(), time.process_time()
    it = 0
    loss_val = float("nan")
    with bar(total, f"{label} training".lstrip(), progress, unit="batch", position=1) as batches:
        while it < total:
            perm = torch.from_numpy(rng.permutation(n))
            epoch_loss = torch.zeros(())
            steps = 0
            for b in range(per_epoch):
                if it >= total:
                    break
                idx = perm[b * bs:(b + 1) * bs]
                loss = F.cross_entropy(forward(model, masks, x[idx]), y[idx])
                if cfg.weight_decay:
                    loss = loss + 0.5 * cfg.weight_decay * sum(
                        ((w if m is None else w * m) ** 2).sum() for w, m in zip(weights, mult))
                if penalty is not None:
                    loss = loss + penalty()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if masks is not None:
                    with torch.no_grad():
                        for w, m in zip(weights, mult):
                            w.mul_(m)
                epoch_loss += loss.detach()
                steps += 1
                it += 1
                batches.update()
                if snapshot_iteration is not None and it == snapshot_iteration:
                    snapshot = get_state(model)
                if watch is not None:
                    watch.step(model, masks, it)
            loss_val = end_of_epoch(epoch_loss, steps, it, per_epoch, cfg, t0, log, label)
            if after_epoch is not None and steps == per_epoch and after_epoch(it // per_epoch):
                break
    if snapshot_iteration is not None and snapshot is None:
        raise PruneError(f"rewind iteration {snapshot_iteration} is beyond the {total} training iterations")
    early_stop = watch.result(model, masks, data) if watch is not None else None
    return TrainStats(epochs=it / per_epoch if per_epoch else 0.0, iterations=it,
                      wall_s=time.perf_counter() - t0, last_loss=loss_val, cpu_s=time.process_time() - c0,
                      snapshot=snapshot, early_stop=early_stop)


def end_of_epoch(epoch_loss: torch.Tensor, steps: int, it: int, per_epoch: int, cfg: TrainConfig, t0: float,
                 log: Callable[[str], None] | None, label: str, what: str = "training") -> float:
    """The epoch's mean loss; a PruneError if it is not finite (training diverged); the epoch's log line."""
    loss_val = float(epoch_loss) / max(steps, 1)
    if not math.isfinite(loss_val):
        raise PruneError(f"{label} {what} loss is {loss_val} after {it} iterations: training diverged; "
                         f"lower the learning rate (lr {cfg.lr:g})".lstrip())
    if log is not None:
        log(f"{label} epoch {it / per_epoch:.2f}/{cfg.epochs:g} loss {loss_val:.4f} ({time.perf_counter() - t0:.1f}s)")
    return loss_val


def forward(model, masks: Masks | None, x: torch.Tensor) -> torch.Tensor:
    """Logits [N, classes] of ``model`` on ``x`` [N, inputs], under ``masks`` (None: the model as it is)."""
    return model(x) if masks is None else model(x, masks)


@torch.no_grad()
def evaluate(model, masks: Masks | None, x: torch.Tensor, y: torch.Tensor, batch: int = 10000) -> float:
    """Accuracy of the masked model on (x, y)."""
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], batch):
        correct += int((forward(model, masks, x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    model.train()
    return correct / max(int(x.shape[0]), 1)


@torch.no_grad()
def loss_and_accuracy(model, masks: Masks | None, x: torch.Tensor, y: torch.Tensor,
                      batch: int = 10000) -> tuple[float, float]:
    """(mean cross-entropy in nats, accuracy) of the masked model on (x, y)."""
    model.eval()
    loss, correct = 0.0, 0
    for i in range(0, x.shape[0], batch):
        logits = forward(model, masks, x[i:i + batch])
        loss += float(F.cross_entropy(logits, y[i:i + batch], reduction="sum"))
        correct += int((logits.argmax(1) == y[i:i + batch]).sum())
    model.train()
    n = max(int(x.shape[0]), 1)
    return loss / n, correct / n


def stderr_log(msg: str) -> None:
    """A progress line on stderr (kept clear of any progress bar)."""
    write(msg)
