"""Field types shared by the settings models (:class:`~.experiment.ExperimentConfig`,
:class:`~.retrain.settings.RetrainConfig`): counts, rates, lists given as one value, seeds given as a count."""
from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, FiniteFloat

MAX_SEED_COUNT = 1000


def as_tuple(v):
    """A list as a tuple; a single value stands for a list of one."""
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def seed_list(v):
    """A count n stands for the seeds 0..n-1; a list is kept."""
    if not isinstance(v, int) or isinstance(v, bool):
        return as_tuple(v)
    if not 1 <= v <= MAX_SEED_COUNT:
        raise ValueError(f"a count of seeds must be in 1..{MAX_SEED_COUNT}")
    return tuple(range(v))


Count = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(ge=1)]
Rate = Annotated[FiniteFloat, Field(gt=0, lt=1)]
Sizes = Annotated[tuple[Positive, ...], BeforeValidator(as_tuple)]
Seeds = Annotated[tuple[Annotated[int, Field(ge=0, lt=2 ** 32)], ...], BeforeValidator(seed_list), Field(min_length=1)]
