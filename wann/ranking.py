"""Objectives and NSGA-II ranking (non-dominated fronts, crowding distance), all maximised.

``nsga_rank`` returns a rank per individual (0 = best): front by front, and
inside a front by decreasing crowding distance (summed over objectives), as
the reference's ``nsga_sort``. Ties in crowding keep index order (stable sort).
Rows with a non-finite objective (NaN, +-inf) are ranked after every finite row,
in index order, and take no part in the fronts or crowding distances of the
others (``wann.evaluation``: the non-finite rule).
"""
from __future__ import annotations

import numpy as np

CROWDING_MODES = ("range", "reference")


def fronts(obj: np.ndarray) -> list[np.ndarray]:
    """Non-dominated fronts of objective rows ``obj`` [P, M] (maximise every column)."""
    obj = np.asarray(obj, dtype=np.float64)
    ge = np.all(obj[:, None, :] >= obj[None, :, :], axis=2)
    gt = np.any(obj[:, None, :] > obj[None, :, :], axis=2)
    dominates = ge & gt  # [p, q]: p dominates q
    n_dominating = dominates.sum(axis=0)
    remaining = np.ones(obj.shape[0], dtype=bool)
    result = []
    while remaining.any():
        front = np.flatnonzero(remaining & (n_dominating == 0))
        result.append(front)
        remaining[front] = False
        n_dominating = n_dominating - dominates[front].sum(axis=0)
    return result


def crowding_distance(values: np.ndarray, mode: str = "range") -> np.ndarray:
    """Crowding distance along one objective; the two extremes get +inf.

    ``mode="range"`` normalises by (max - min), as NSGA-II defines it.
    ``mode="reference"`` copies the reference code's factor ``|1/max - min|``
    (an operator-precedence slip there), for exact replication studies.
    """
    values = np.asarray(values, dtype=np.float64)
    key = np.argsort(values, kind="stable")
    v = values[key]
    padded = np.r_[np.inf, v, np.inf]
    with np.errstate(invalid="ignore"):
        crowd = np.abs(v - padded[:-2]) + np.abs(v - padded[2:])
    span = v[-1] - v[0] if v.size else 0.0
    if span > 0:
        with np.errstate(divide="ignore"):
            crowd = crowd * (1.0 / span if mode == "range" else abs(1.0 / v[-1] - v[0]))
    dist = np.empty(values.size)
    dist[key] = crowd
    return dist


def nsga_rank(obj: np.ndarray, mode: str = "range") -> np.ndarray:
    """Rank per row of ``obj`` [P, M]: by front, then by decreasing summed crowding distance."""
    if mode not in CROWDING_MODES:
        raise ValueError(f"crowding mode {mode!r}; valid: {CROWDING_MODES}")
    obj = np.asarray(obj, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(obj).all(axis=1))
    order = []
    for front in fronts(obj[finite]):
        crowd = sum(crowding_distance(obj[finite[front], m], mode) for m in range(obj.shape[1]))
        order.extend(finite[front[np.argsort(-crowd, kind="stable")]].tolist())
    order.extend(np.flatnonzero(~np.isfinite(obj).all(axis=1)).tolist())
    rank = np.empty(obj.shape[0], dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(obj.shape[0])
    return rank


def wann_objectives(mean: np.ndarray, best: np.ndarray, n_conns: np.ndarray, use_conns: bool) -> np.ndarray:
    """The reference's two objective pairs: (mean, 1/connections) or (mean, max over weights)."""
    conns = np.maximum(np.asarray(n_conns, dtype=np.float64), 1.0)  # 0 connections counts as 1
    second = 1.0 / conns if use_conns else np.asarray(best, dtype=np.float64)
    return np.column_stack([mean, second])
