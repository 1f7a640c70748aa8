"""Retraining pruned networks: fine-tuning, the one-shot lottery ticket, Scratch-E / Scratch-B (Liu et al., ICLR
2019) and Early-Bird tickets (You et al., ICLR 2020), for unstructured weights or hidden units of LeNet-300-100
and for channels of a small conv net (:mod:`.study`; settings :mod:`.settings`; what is pruned
:mod:`.structures`; command line :mod:`.cli`)."""
from .settings import ARMS, RetrainConfig
from .study import run_study

__all__ = ["ARMS", "RetrainConfig", "run_study"]
