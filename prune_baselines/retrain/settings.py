"""The settings of a retraining study (:class:`RetrainConfig`), typed and range-checked before anything runs."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, FiniteFloat, ValidationInfo, model_validator

from ..errors import PruneError
from ..fields import Count, Positive, Rate, Seeds, as_tuple
from ..train import Epochs, TrainConfig
from .structures import STRUCTURES

MODELS = ("lenet300", "convnet")
ARMS = ("finetune", "ticket", "scratch_e", "scratch_b", "early_bird")
"""How a pruned network is retrained (:mod:`prune_baselines.retrain`)."""
DEFAULT_STRUCTURE = {"lenet300": "units", "convnet": "channels"}
BN_L1 = 1e-4
"""Network slimming's lambda on CIFAR (Liu et al., ICCV 2017, sec. 4.2): the conv net's default ``bn_l1``."""
EB_WINDOW, EB_EPS = 5, 0.1
"""Early-Bird's window and threshold (You et al., ICLR 2020, sec. 4)."""
FINETUNE_SHARE = 0.25
"""``finetune_epochs`` when not given: a quarter of ``epochs`` (Liu et al. 2019 on CIFAR: 160 + 40)."""
FIELDS_ONLY = "fields only"


class RetrainConfig(TrainConfig):
    """A study: train the large model ``epochs`` (the conv net with ``bn_l1``), prune it at each ratio, retrain
    each pruned network in each arm. The training settings (optimiser, lr, batch, weight decay) are every arm's,
    but fine-tuning's lr (``finetune_lr``)."""

    model: Literal[MODELS] = "lenet300"
    structure: Literal[tuple(STRUCTURES)] | None = None
    """None = ``units`` for lenet300, ``channels`` for the conv net."""
    input: Positive = 784
    prune_ratios: Annotated[tuple[Rate, ...], BeforeValidator(as_tuple), Field(min_length=1)] = (0.5,)
    """Fractions of the weights / units / channels removed."""
    arms: Annotated[tuple[Literal[ARMS], ...], BeforeValidator(as_tuple), Field(min_length=1)] = (
        "finetune", "scratch_e", "scratch_b")
    seeds: Seeds = (0,)
    finetune_epochs: Epochs | None = None
    """Epochs of fine-tuning (and of retraining an Early-Bird ticket); None = ``FINETUNE_SHARE`` x ``epochs``."""
    finetune_lr: Annotated[FiniteFloat, Field(gt=0)] | None = None
    """None = ``lr``: training has no schedule, so fine-tuning goes on at the lr training ended with (Liu et al.
    fine-tune at the last lr of their schedule)."""
    scratch_b_cap: Annotated[FiniteFloat, Field(ge=0)] = 2.0
    """Scratch-B trains ``epochs x min(FLOPs ratio, cap)`` epochs; 0 = no cap (Liu et al.: none on CIFAR, 2 on
    ImageNet)."""
    bn_l1: Annotated[FiniteFloat, Field(ge=0)] | None = None
    """The conv net's L1 penalty on batch-norm scales while training the large model (None = ``BN_L1``)."""
    eb_window: Annotated[int, Field(ge=2)] | None = None
    eb_eps: Annotated[FiniteFloat, Field(gt=0, le=1)] | None = None
    n_train: Count = 0
    n_test: Count = 0

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> "RetrainConfig":
        if info.context == FIELDS_ONLY:
            return self
        self.structure = self.structure or DEFAULT_STRUCTURE[self.model]
        if STRUCTURES[self.structure].model != self.model:
            fits = [n for n, s in STRUCTURES.items() if s.model == self.model]
            raise PruneError(f"--structure {self.structure} prunes the {STRUCTURES[self.structure].model}; "
                             f"--model {self.model} takes --structure {' or '.join(fits)}")
        if self.model == "convnet":
            if self.input != 784:
                raise PruneError(f"the conv net reads 28x28 images: --input 784, got {self.input}")
            self.bn_l1 = BN_L1 if self.bn_l1 is None else self.bn_l1
        elif self.bn_l1 is not None:
            raise PruneError("--bn-l1 penalises batch-norm scales; --model lenet300 has none (use --model convnet)")
        self.arms = tuple(a for a in ARMS if a in self.arms)
        self.prune_ratios = tuple(sorted(set(self.prune_ratios)))
        if "early_bird" in self.arms:
            self.eb_window = EB_WINDOW if self.eb_window is None else self.eb_window
            self.eb_eps = EB_EPS if self.eb_eps is None else self.eb_eps
            if self.epochs != int(self.epochs):
                raise PruneError(f"the early_bird arm draws a mask after every epoch of the large model's training: "
                                 f"--epochs must be a whole number, got {self.epochs:g}")
            if self.eb_window > self.epochs:
                raise PruneError(f"--eb-window {self.eb_window} needs at least that many epochs of the large "
                                 f"model's training (the Early-Bird search), got --epochs {self.epochs:g}")
        elif self.eb_window is not None or self.eb_eps is not None:
            raise PruneError("--eb-window and --eb-eps are settings of the early_bird arm; add it to --arms")
        if self.finetune_epochs is None:
            self.finetune_epochs = FINETUNE_SHARE * self.epochs
        if self.finetune_lr is None:
            self.finetune_lr = self.lr
        return self

    def arm_train(self, arm: str, epochs: float) -> TrainConfig:
        """The training settings of an arm for ``epochs``: fine-tuning (and Early-Bird's retraining) at
        ``finetune_lr``, the rest at ``lr``."""
        lr = self.finetune_lr if arm in ("finetune", "early_bird") else self.lr
        given = {k: getattr(self, k) for k in TrainConfig.model_fields}
        return TrainConfig(**{**given, "epochs": epochs, "lr": lr})

    def identity(self) -> dict:
        """What defines the points (not the seeds): a folder holds one identity."""
        return self.model_dump(mode="json", exclude={"seeds"})
