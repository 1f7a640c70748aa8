"""Batched classification kernel: logits of one Net for every shared weight over a batch of inputs.

Layout. Samples are processed in chunks of ``chunk``; inside a chunk every computed node is one
contiguous row of ``n_weights * chunk`` lanes (weight-major: lanes ``b*chunk .. b*chunk+chunk-1``
hold weight b), so a whole chunk of node values stays in cache. Inputs do not depend on the
weight, so the part of a node's sum that comes from the bias and the inputs is accumulated once
per sample (``chunk`` lanes); only edges from hidden nodes are summed over all lanes, up to four
edges per pass over the row. Each node's activation is applied block by block
(``wann.activation_kernels.activate_block``: the switch on the activation is outside the loop, so
every loop is a straight SIMD loop; AVX2: 4 float64 lanes).
A node fed by the bias and inputs only has pre-activation ``w * acc``; when the weight series
holds both w and -w (the default one does), the block of -w follows from the block of w through
the activation's symmetry (the table's ``mirror``: sin, tanh odd; gauss, cos even;
sigmoid(-x) = 1 - sigmoid(x)), which halves the transcendental work on such nodes (most nodes of
an evolved MNIST network).

Transcendental functions come from ``wann.fastmath`` (branch-free polynomials that LLVM
vectorises; numba's ``math.sin/exp/tanh`` are scalar libm calls, ~10 ns per element here). The
kernels are compiled with ``error_model="numpy"`` (no division-by-zero checks, which would stop
vectorisation) and FMA contraction; NaN and inf propagate as in IEEE arithmetic.

Fitness: minus the mean cross-entropy of a numerically stable log-softmax (``m + log sum exp(z - m)``
with m the largest logit), per weight. A non-finite loss (a network that overflows) scores -inf.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from wann.activation_kernels import BLOCK_FLAGS, MIRROR_OFFSET, MIRROR_SIGN, activate_block
from wann.fastmath import exp_neg
from wann.network import Net

DEFAULT_CHUNK = 128  # samples per chunk: 6 weights x 128 samples = 768 lanes (6 KB) per node row


@njit(cache=True, error_model="numpy", fastmath=BLOCK_FLAGS)
def _logits(xt, first, in_ptr, in_src, in_cw, hid_ptr, hid_src, hid_cw, act, weights, mirror, n_out, chunk):
    """Logits [n_weights, n_out, n_samples] for inputs ``xt`` [n_in, n_samples].

    Node i's edges from the bias/inputs are ``in_*[in_ptr[i]:in_ptr[i+1]]``, from hidden nodes
    ``hid_*[hid_ptr[i]:hid_ptr[i+1]]`` (sources are node indices). ``mirror[b]`` is the index of an
    earlier weight equal to ``-weights[b]`` (or -1): a node fed by inputs only then gets block b
    from that block through the activation's symmetry instead of evaluating it again.
    """
    n_samples = xt.shape[1]
    n_w, n_nodes = weights.size, act.size
    n_comp = n_nodes - first
    vals = np.empty((n_comp, n_w * chunk))
    acc_buf = np.empty(chunk)
    pre_buf = np.empty(n_w * chunk)  # pre-activation sums (a separate array, so the activation
    out = np.empty((n_w, n_out, n_samples))  # loops vectorise: in place, LLVM's alias check fails)
    for c0 in range(0, n_samples, chunk):
        cb = min(chunk, n_samples - c0)
        lanes = n_w * cb
        acc = acc_buf[:cb]
        pre = pre_buf[:lanes]
        for i in range(first, n_nodes):
            row = vals[i - first, :lanes]
            # bias and inputs: the same for every weight, summed once per sample
            for j in range(cb):
                acc[j] = 0.0
            for k in range(in_ptr[i], in_ptr[i + 1]):
                c = in_cw[k]
                s = in_src[k]
                if s == 0:
                    for j in range(cb):
                        acc[j] += c
                else:
                    xr = xt[s - 1, c0 : c0 + cb]
                    for j in range(cb):
                        acc[j] += c * xr[j]
            a = act[i]
            k, end = hid_ptr[i], hid_ptr[i + 1]
            if k == end:  # inputs only: activate straight from acc
                sym = MIRROR_SIGN[a] if 0 <= a < MIRROR_SIGN.size else 0.0
                for b in range(n_w):
                    if sym == 0.0 or mirror[b] < 0:
                        activate_block(a, acc, row[b * cb : (b + 1) * cb], weights[b])
                    else:
                        off = MIRROR_OFFSET[a]
                        src_blk = row[mirror[b] * cb : (mirror[b] + 1) * cb]
                        blk = row[b * cb : (b + 1) * cb]
                        for j in range(cb):
                            blk[j] = sym * src_blk[j] + off
                continue
            for b in range(n_w):
                blk = pre[b * cb : (b + 1) * cb]
                for j in range(cb):
                    blk[j] = acc[j]
            # hidden sources: all weight blocks at once, up to four edges per pass over the row
            while end - k >= 4:
                ca, cb_, cc, cd = hid_cw[k], hid_cw[k + 1], hid_cw[k + 2], hid_cw[k + 3]
                ra = vals[hid_src[k] - first, :lanes]
                rb = vals[hid_src[k + 1] - first, :lanes]
                rc = vals[hid_src[k + 2] - first, :lanes]
                rd = vals[hid_src[k + 3] - first, :lanes]
                for j in range(lanes):
                    pre[j] += (ca * ra[j] + cb_ * rb[j]) + (cc * rc[j] + cd * rd[j])
                k += 4
            if end - k >= 2:
                ca, cb_ = hid_cw[k], hid_cw[k + 1]
                ra = vals[hid_src[k] - first, :lanes]
                rb = vals[hid_src[k + 1] - first, :lanes]
                for j in range(lanes):
                    pre[j] += ca * ra[j] + cb_ * rb[j]
                k += 2
            if end - k == 1:
                ca = hid_cw[k]
                ra = vals[hid_src[k] - first, :lanes]
                for j in range(lanes):
                    pre[j] += ca * ra[j]
            for b in range(n_w):
                activate_block(a, pre[b * cb : (b + 1) * cb], row[b * cb : (b + 1) * cb], weights[b])
        for o in range(n_out):
            row = vals[n_comp - n_out + o]
            for b in range(n_w):
                out[b, o, c0 : c0 + cb] = row[b * cb : (b + 1) * cb]
    return out


@njit(cache=True, error_model="numpy", fastmath=BLOCK_FLAGS)
def _mean_cross_entropy(logits, y):
    """Mean cross-entropy per weight of logits [n_w, n_out, n] against labels y [n] (stable log-softmax)."""
    n_w, n_out, n = logits.shape
    loss = np.empty(n_w)
    m = np.empty(n)
    s = np.empty(n)
    for b in range(n_w):
        z = logits[b]
        for j in range(n):
            m[j] = z[0, j]
        for o in range(1, n_out):
            for j in range(n):
                v = z[o, j]
                m[j] = v if v > m[j] else m[j]
        for j in range(n):
            s[j] = 0.0
        for o in range(n_out):
            for j in range(n):
                s[j] += exp_neg(z[o, j] - m[j])
        total = 0.0
        for j in range(n):
            total += m[j] + math.log(s[j]) - z[y[j], j]
        loss[b] = total / n
    return loss


def split_edges(net: Net) -> tuple[np.ndarray, ...]:
    """CSR of each node's edges from bias/inputs and, separately, from hidden nodes (gene order kept)."""
    dst = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    from_in = net.src < net.first
    parts = []
    for mask in (from_in, ~from_in):
        ptr = np.zeros(net.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(dst[mask], minlength=net.n_nodes), out=ptr[1:])
        parts += [ptr, np.ascontiguousarray(net.src[mask]), np.ascontiguousarray(net.cw[mask])]
    return tuple(parts)


def mirrors(weights: np.ndarray) -> np.ndarray:
    """For each weight, the index of an earlier, unmirrored weight equal to its negative, else -1."""
    out = np.full(weights.size, -1, dtype=np.int64)
    for b, w in enumerate(weights.tolist()):
        for m in range(b):
            if w != 0.0 and weights[m] == -w and out[m] < 0:
                out[b] = m
                break
    return out


def logits(net: Net, xt: np.ndarray, weights, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Logits [n_weights, n_out, n_samples] of ``net`` on inputs ``xt`` given *transposed*, [n_in, n_samples].

    Equal to ``wann.network.forward_numpy`` per weight up to float64 rounding (tests: 1e-9 relative).
    """
    xt = np.ascontiguousarray(xt, dtype=np.float64)
    if xt.ndim != 2 or xt.shape[0] != net.n_in:
        raise ValueError(f"expected inputs [{net.n_in}, n_samples] (transposed), got {xt.shape}")
    weights = np.ascontiguousarray(np.atleast_1d(weights), dtype=np.float64)
    return _logits(xt, net.first, *split_edges(net), net.act, weights, mirrors(weights), net.n_out, int(chunk))


def cross_entropy(logits_: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean cross-entropy [n_weights] of logits [n_weights, n_out, n] against int labels [n]; NaN -> inf."""
    loss = _mean_cross_entropy(np.ascontiguousarray(logits_, dtype=np.float64),
                               np.ascontiguousarray(labels, dtype=np.int64))
    return np.where(np.isnan(loss), np.inf, loss)


def log_softmax(logits_: np.ndarray, axis: int = -2) -> np.ndarray:
    """Numerically stable log-softmax over the class axis (numpy; for reports and tests)."""
    m = np.max(logits_, axis=axis, keepdims=True)
    return logits_ - (m + np.log(np.sum(np.exp(logits_ - m), axis=axis, keepdims=True)))
