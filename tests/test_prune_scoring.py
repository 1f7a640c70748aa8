"""keep_top_k, layer allocation and the iterative schedule."""
from __future__ import annotations

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.errors import PruneError
from prune_baselines.masks import Masks
from prune_baselines.models import build_model
from prune_baselines.schedules import iterative_schedule
from prune_baselines.scoring import keep_top_k, layer_allocation, magnitude_scores, random_scores


def _setup(seed=0):
    model = build_model("mlp", 30, (20, 10), n_outputs=5, seed=seed)
    ones = Masks.ones(model)
    masks = keep_top_k(random_scores(model, ones, rng=np.random.default_rng(seed)), ones, 400)
    return model, masks


@pytest.mark.parametrize("k", [0, 1, 57, 250, 400])
def test_keeps_exactly_k_and_never_revives(k):
    model, masks = _setup()
    # adversarial scores: pruned weights get the highest scores
    scores = {n: torch.where(masks[n], torch.rand(masks[n].shape, dtype=torch.float64), torch.full(masks[n].shape, 1e9,
              dtype=torch.float64)) for n in masks.names}
    out = keep_top_k(scores, masks, k)
    assert out.count() == k
    assert out.is_subset_of(masks)


def test_keeps_the_best_surviving_scores():
    model, masks = _setup()
    scores = magnitude_scores(model, masks)
    out = keep_top_k(scores, masks, 100)
    kept = torch.cat([scores[n][out[n]] for n in masks.names])
    dropped = torch.cat([scores[n][masks[n] & ~out[n]] for n in masks.names])
    assert kept.min() >= dropped.max()


def test_per_layer_counts():
    model, masks = _setup()
    per = masks.per_layer()
    k = {n: c // 3 for n, c in per.items()}
    out = keep_top_k(magnitude_scores(model, masks), masks, k)
    assert out.per_layer() == k
    assert out.is_subset_of(masks)


@pytest.mark.parametrize("floor", [1, 2, 3])
def test_floor_per_output_unit(floor):
    model, masks = _setup()
    # scores that would drop the whole output layer without the floor
    scores = magnitude_scores(model, masks)
    last = masks.names[-1]
    scores[last] = scores[last] * 0 - 1.0
    out = keep_top_k(scores, masks, 120, floor_per_output=floor)
    assert out.count() == 120 and out.is_subset_of(masks)
    for n in masks.names:
        alive_rows = masks[n].sum(1)
        assert torch.all(out[n].sum(1) >= torch.clamp(alive_rows, max=floor)), n
    no_floor = keep_top_k(scores, masks, 120)
    assert no_floor[last].sum() == 0


def test_errors():
    model, masks = _setup()
    scores = magnitude_scores(model, masks)
    with pytest.raises(PruneError, match="never revived"):
        keep_top_k(scores, masks, masks.count() + 1)
    with pytest.raises(PruneError, match="floor"):
        keep_top_k(scores, masks, 10, floor_per_output=3)


def test_layer_allocation_exact_and_proportional():
    sizes = {"a": 235200, "b": 30000, "c": 1000}
    rates = {"a": 0.2, "b": 0.2, "c": 0.1}
    alloc = layer_allocation(sizes, 1800, rates)
    assert sum(alloc.values()) == 1800
    assert alloc["a"] / sizes["a"] == pytest.approx(alloc["b"] / sizes["b"], rel=0.02)
    assert alloc["c"] / sizes["c"] > alloc["a"] / sizes["a"]


def test_iterative_schedule_20_20_10_to_target():
    sizes = {"a": 235200, "b": 30000, "c": 1000}
    steps = iterative_schedule(sizes, [1800], {"a": 0.2, "b": 0.2, "c": 0.1})
    assert sum(steps[-1].values()) == 1800
    prev = sizes
    for s in steps:
        assert all(s[k] <= prev[k] for k in s)
        prev = s
    assert steps[0] == {"a": 188160, "b": 24000, "c": 900}
    assert len(steps) == 23
    both = iterative_schedule(sizes, [50000, 1800], {"a": 0.2, "b": 0.2, "c": 0.2})
    assert 50000 in [sum(s.values()) for s in both] and sum(both[-1].values()) == 1800
