"""Early-Bird mask distance and emergence rule on hand-made masks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from prune_baselines.early_bird import distance_matrix, emergence_epoch, mask_distance
from prune_baselines.errors import PruneError
from prune_baselines.masks import Masks


def test_distance_identical_complement_and_exact_fractions():
    a = np.array([1, 1, 0, 0, 1, 0, 1, 0], dtype=bool)
    assert mask_distance(a, a) == 0.0
    assert mask_distance(a, ~a) == 1.0
    b = a.copy()
    b[[0, 2, 5]] = ~b[[0, 2, 5]]
    assert mask_distance(a, b) == 3 / 8


def test_distance_over_all_positions_of_a_dict():
    a = {"x": torch.zeros(2, 3, dtype=torch.bool), "y": torch.zeros(4, dtype=torch.bool)}
    b = {"x": torch.zeros(2, 3, dtype=torch.bool), "y": torch.tensor([True, False, False, False])}
    assert mask_distance(a, b) == 1 / 10  # one of 6 + 4 positions, not the mean of 0 and 1/4
    assert mask_distance(Masks(a), Masks(b)) == 1 / 10


def test_distance_is_symmetric_and_matrix_consistent():
    rng = np.random.default_rng(0)
    masks = [rng.random((5, 7)) < 0.5 for _ in range(4)]
    m = distance_matrix(masks)
    assert m.shape == (4, 4)
    np.testing.assert_array_equal(m, m.T)
    np.testing.assert_array_equal(np.diag(m), 0.0)
    for i in range(4):
        for j in range(4):
            assert m[i, j] == mask_distance(masks[i], masks[j]) == mask_distance(masks[j], masks[i])
            assert m[i, j] == np.count_nonzero(masks[i] != masks[j]) / 35


@pytest.mark.parametrize("a,b", [
    (np.zeros(4, bool), np.zeros(5, bool)),
    (np.zeros((2, 3), bool), np.zeros((3, 2), bool)),
    ({"x": np.zeros(3, bool)}, {"y": np.zeros(3, bool)}),
    ({"x": np.zeros(3, bool)}, {"x": np.zeros(4, bool)}),
    (np.zeros(0, bool), np.zeros(0, bool)),
])
def test_distance_errors(a, b):
    with pytest.raises(PruneError):
        mask_distance(a, b)


def _sequence(flips):
    """Masks of 100 positions; mask i differs from mask i-1 in flips[i-1] positions, never flipped before (so
    the distance between two masks is the sum of the steps between them, over 100)."""
    assert sum(flips) <= 100
    m = np.zeros(100, dtype=bool)
    out, start = [m.copy()], 0
    for k in flips:
        m[start:start + k] = ~m[start:start + k]
        start += k
        out.append(m.copy())
    return out


def test_stops_exactly_at_known_epoch_newest():
    # consecutive distances: 0.30 0.20 0.05 0.02 0.02 0.01 0.01 ...
    masks = _sequence([30, 20, 5, 2, 2, 1, 1, 0, 0])
    # window 5 ending at t: distance of masks[t] to masks[t-4] = sum of the 4 steps before t.
    # t=6: 5+2+2+1 = 0.10 (not < 0.1); t=7: 2+2+1+1 = 0.06 -> emerges at 7
    assert emergence_epoch(masks, window=5, eps=0.1) == 7
    assert emergence_epoch(masks[:7], window=5, eps=0.1) is None  # not one earlier
    assert emergence_epoch(masks, window=5, eps=0.1000001) == 6  # 0.10 < eps now


def test_stops_exactly_at_known_epoch_consecutive():
    masks = _sequence([30, 20, 12, 9, 9, 9, 9, 1])
    # consecutive distances 0.30 0.20 0.12 0.09 0.09 0.09 0.09 0.01; window 4 = 3 distances ending at t
    # t=5: (0.12, 0.09, 0.09) no; t=6: (0.09, 0.09, 0.09) yes; "newest" at t=6 sees 0.27 and never emerges
    assert emergence_epoch(masks, window=4, eps=0.1, pairs="consecutive") == 6
    assert emergence_epoch(masks[:6], window=4, eps=0.1, pairs="consecutive") is None
    assert emergence_epoch(masks, window=4, eps=0.1, pairs="newest") is None


def test_window_edge_cases():
    same = [np.ones(10, bool)] * 6
    assert emergence_epoch(same, window=2, eps=0.1) == 1  # earliest possible: window - 1
    assert emergence_epoch(same, window=6, eps=0.1) == 5
    assert emergence_epoch(same, window=7, eps=0.1) is None  # fewer masks than the window
    assert emergence_epoch([], window=2) is None
    # eps is strict: identical masks (distance 0) pass any eps > 0; distance exactly eps does not
    flip = _sequence([1, 1, 1])
    assert emergence_epoch(flip, window=2, eps=0.01) is None
    assert emergence_epoch(flip, window=2, eps=0.0101) == 1


@pytest.mark.parametrize("kw", [{"window": 1}, {"window": 0}, {"window": 2.5}, {"eps": 0.0}, {"eps": -1.0},
                                {"eps": float("nan")}, {"pairs": "all"}])
def test_emergence_errors(kw):
    with pytest.raises(PruneError):
        emergence_epoch([np.ones(3, bool)] * 3, **kw)


def test_emergence_shape_mismatch():
    with pytest.raises(PruneError):
        emergence_epoch([np.ones(3, bool), np.ones(4, bool)], window=2)
