"""numba dispatchers over the activation table (``wann.activations``): scalar, lane row, classify block.

Each is an if-chain over the table's ids with the switch outside the loops, so every case is
a straight loop that LLVM vectorises; transcendental functions come from ``wann.fastmath``.
An id outside the table gives NaN (genomes are validated, so none reaches a kernel).
``tests/test_activations.py`` checks every id through every form against the numpy form,
and that the ids here equal the table's.

numba caches a kernel by the timestamp of its own file only: after editing this file or the
table, clear the cache (``find wann envs -name '*.nb[ic]' -delete``).
"""
from __future__ import annotations

import numpy as np
from numba import njit, uint64

from wann.activations import mirror_table
from wann.fastmath import PI_X_EXACT, cos_pi, cos_pi_bounded, exp_neg, sin_pi, sin_pi_bounded, tanh

# act(-x) = MIRROR_SIGN[id] * act(x) + MIRROR_OFFSET[id] where MIRROR_SIGN[id] != 0 (classify's symmetry)
MIRROR_SIGN, MIRROR_OFFSET = mirror_table()
BLOCK_FLAGS = {"contract"}  # classify's kernels: fused multiply-add; no other IEEE relaxation


@njit(cache=True, inline="always")
def activate(aid: int, x: float) -> float:
    """Scalar activation ``aid`` at ``x``; NaN for an unknown id."""
    if aid == 1:
        return x
    if aid == 2:
        return 1.0 if x > 0.0 else 0.0
    if aid == 3:
        return sin_pi(x)
    if aid == 4:
        return exp_neg(-(x * x) / 2.0)
    if aid == 5:
        return tanh(x)
    if aid == 6:
        return (tanh(x / 2.0) + 1.0) / 2.0
    if aid == 7:
        return -x
    if aid == 8:
        return abs(x)
    if aid == 9:
        return x if x > 0.0 else 0.0
    if aid == 10:
        return cos_pi(x)
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def activate_row(aid, v, o, w, n):
    """In place: v[o + l] = act(w[l] * v[o + l]) for lanes l < n (NaN for an unknown id); ``o`` a uint64 offset."""
    if aid == 1:
        for j in range(n):
            v[o + j] = w[j] * v[o + j]
    elif aid == 2:
        for j in range(n):
            v[o + j] = 1.0 if w[j] * v[o + j] > 0.0 else 0.0
    elif aid == 3:
        if _widest(v, o, w, n) < PI_X_EXACT:
            for j in range(n):
                v[o + j] = sin_pi_bounded(w[j] * v[o + j])
        else:
            for j in range(n):
                v[o + j] = sin_pi(w[j] * v[o + j])
    elif aid == 4:
        for j in range(n):
            x = w[j] * v[o + j]
            v[o + j] = exp_neg(-(x * x) / 2.0)
    elif aid == 5:
        for j in range(n):
            v[o + j] = tanh(w[j] * v[o + j])
    elif aid == 6:
        for j in range(n):
            v[o + j] = (tanh(w[j] * v[o + j] / 2.0) + 1.0) / 2.0
    elif aid == 7:
        for j in range(n):
            v[o + j] = -(w[j] * v[o + j])
    elif aid == 8:
        for j in range(n):
            v[o + j] = abs(w[j] * v[o + j])
    elif aid == 9:
        for j in range(n):
            x = w[j] * v[o + j]
            v[o + j] = x if x > 0.0 else 0.0
    elif aid == 10:
        if _widest(v, o, w, n) < PI_X_EXACT:
            for j in range(n):
                v[o + j] = cos_pi_bounded(w[j] * v[o + j])
        else:
            for j in range(n):
                v[o + j] = cos_pi(w[j] * v[o + j])
    else:
        for j in range(n):
            v[o + j] = np.nan


@njit(cache=True, inline="always")
def _widest(v, o, w, n):
    """max |w[l] * v[o + l]| over lanes l < n, or NaN: either way not below the bound means the careful path."""
    m = 0.0
    for j in range(n):
        x = abs(w[j] * v[o + j])
        m = m if x <= m else x
    return m


@njit(cache=True, error_model="numpy", fastmath=BLOCK_FLAGS)
def activate_block(aid, x, xo, xs, w, wo, out, oo, nb, n):
    """Blocks b < nb of n lanes: out[oo + b n + j] = act_aid(w[wo + b n + j] * x[xo + b xs + j]), j < n;
    NaN for an unknown id. ``xs = 0`` reads the same x for every block. out's range must not overlap x's or w's.

    Offsets into whole arrays (no slices), as uint64: numba wraps negative int64 indices, which keeps
    LLVM from vectorising ``x[xo + j]``. sin and cos check the bound of their exact range in the same loop.
    """
    xo, xs, wo, oo, nb, n = uint64(xo), uint64(xs), uint64(wo), uint64(oo), uint64(nb), uint64(n)
    if aid == 1:
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                out[ob + j] = w[wb + j] * x[xb + j]
    elif aid == 2:
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                out[ob + j] = 1.0 if w[wb + j] * x[xb + j] > 0.0 else 0.0
    elif aid == 3:
        wide = 0
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                v = w[wb + j] * x[xb + j]
                out[ob + j] = sin_pi_bounded(v)
                wide += 0 if abs(v) < PI_X_EXACT else 1
        if wide:
            _redo_wide(aid, x, xo, xs, w, wo, out, oo, nb, n)
    elif aid == 4:
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                v = w[wb + j] * x[xb + j]
                out[ob + j] = exp_neg(-(v * v) / 2.0)
    elif aid == 5:
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                out[ob + j] = tanh(w[wb + j] * x[xb + j])
    elif aid == 6:
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                out[ob + j] = (tanh(w[wb + j] * x[xb + j] / 2.0) + 1.0) / 2.0
    elif aid == 7:
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                out[ob + j] = -(w[wb + j] * x[xb + j])
    elif aid == 8:
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                out[ob + j] = abs(w[wb + j] * x[xb + j])
    elif aid == 9:
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                v = w[wb + j] * x[xb + j]
                out[ob + j] = v if v > 0.0 else 0.0
    elif aid == 10:
        wide = 0
        for b in range(nb):
            xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
            for j in range(n):
                v = w[wb + j] * x[xb + j]
                out[ob + j] = cos_pi_bounded(v)
                wide += 0 if abs(v) < PI_X_EXACT else 1
        if wide:
            _redo_wide(aid, x, xo, xs, w, wo, out, oo, nb, n)
    else:
        for j in range(nb * n):
            out[oo + j] = np.nan


@njit(cache=True, error_model="numpy", fastmath=BLOCK_FLAGS)
def _redo_wide(aid, x, xo, xs, w, wo, out, oo, nb, n):
    """Redo sin (3) / cos (10) lanes whose argument is beyond the bounded forms' exact range (or NaN)."""
    for b in range(nb):
        xb, wb, ob = xo + b * xs, wo + b * n, oo + b * n
        for j in range(n):
            v = w[wb + j] * x[xb + j]
            if not abs(v) < PI_X_EXACT:
                out[ob + j] = sin_pi(v) if aid == 3 else cos_pi(v)
