"""Sanity checks for pruning at initialisation (``--sanity-checks``): ablations of an at-init method's mask.

Frankle et al., ICLR 2021, "Pruning Neural Networks at Initialization: Why Are We Missing the Mark?" (Sec. 5):
if a method's accuracy survives these, its per-weight choices carry no information beyond the per-layer
densities it chose. Each ablation is trained exactly like the method's own point (:func:`.loops.at_init`):

* ``shuffle``: the mask permuted at random within each layer (same per-layer counts), initial weights kept;
* ``reinit``: the mask kept, the weights drawn afresh from the same distribution with another seed;
* ``invert``: the lowest-scored weights kept instead of the highest, with the mask's per-layer counts (and the
  run's per-unit floor), initial weights kept. Per layer also under global scope: ranking the inverted scores
  globally would change the per-layer densities too, and the check is meant to change only which weights
  each layer keeps, as the shuffle does. (The SynFlow authors' code inverts the scores before each round's
  selection under the run's scope; our SynFlow score is its pruning order, so inverting it keeps each layer's
  weights that SynFlow would have pruned first.)
"""
from __future__ import annotations

import numpy as np
import torch

from ..masks import Masks
from ..models import MLP, init_weights
from ..scoring import Scores, keep_top_k
from .base import derived_seed

SANITY_CHECKS = ("shuffle", "reinit", "invert")
SEED_PARTS = {"shuffle": 3000, "reinit": 3001}
"""The last part of each random ablation's derived seed ``derived_seed(seed, level, part)``."""


def shuffled(masks: Masks, seed: int, level: int) -> Masks:
    """``masks`` permuted at random within each tensor (same per-tensor counts)."""
    return masks.random_like(np.random.default_rng(derived_seed(seed, level, SEED_PARTS["shuffle"])))


def reinitialised(model: MLP, seed: int, level: int) -> None:
    """Fresh initial weights (and zero biases) for ``model``, in place, from a seed derived from the run's."""
    init_weights(model, derived_seed(seed, level, SEED_PARTS["reinit"]))


def inverted(scores: Scores, masks: Masks, floor_per_output: int = 0) -> Masks:
    """The lowest-scored weights, ``masks.per_layer()`` of them per tensor (``floor_per_output``: each unit's
    lowest-scored weights first). Shapes as ``masks``; scores must not be NaN."""
    ones = Masks({n: torch.ones_like(m) for n, m in masks.tensors.items()})
    return keep_top_k({n: -scores[n] for n in masks.names}, ones, masks.per_layer(), floor_per_output)


def ablate(variant: str, model: MLP, masks: Masks, scores: Scores, floor_per_output: int, seed: int,
           level: int) -> Masks:
    """The mask of sanity check ``variant`` for the method's ``masks`` (selected from ``scores``); ``model``
    holds the initial weights and is re-initialised in place for ``reinit``."""
    if variant == "shuffle":
        return shuffled(masks, seed, level)
    if variant == "reinit":
        reinitialised(model, seed, level)
        return masks
    return inverted(scores, masks, floor_per_output)
