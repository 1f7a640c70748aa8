"""Batched classification kernel: logits of one Net for every shared weight over a batch of inputs.

Layout. Samples are processed in chunks of ``chunk``; inside a chunk every computed node is one
contiguous row of ``n_weights * chunk`` lanes (weight-major: lanes ``b*chunk .. b*chunk+chunk-1``
hold weight b) in one flat buffer. A row is given back once the last node that reads it is done
and taken by the next node (``_slots``): the evaluation order stays the index order, the buffer
holds only the rows still to be read (244 rather than 433 rows for the bench's 690-node network).
Inputs do not depend on the weight, so the part of a node's sum that comes from the bias and the
inputs is accumulated once per sample (``chunk`` lanes), for every node of the chunk before the
hidden sums (the chunk's pixels stay in cache while they are read); edges from hidden nodes are
summed over all lanes, up to four edges per pass over the row, the first pass starting from the
input sums. Each node's activation is one call over its whole row with a per-lane weight
(``wann.activation_kernels.activate_block``: the switch on the activation is outside the loop, so
every loop is a straight SIMD loop: 8 float64 lanes with AVX-512). Offsets into the buffers are uint64:
numba wraps negative int64 indices, which keeps LLVM from vectorising ``vals[row + j]``.
A node fed by the bias and inputs only has pre-activation ``w * acc``; when the weight series
holds both w and -w (the default one does), the block of -w follows from the block of w through
the activation's symmetry (the table's ``mirror``: sin, tanh odd; gauss, cos even;
sigmoid(-x) = 1 - sigmoid(x)), which halves the transcendental work on such nodes.
Every lane sees the same operations in the same order as in the kernel before the speed work
(``bench/mnist_baseline.py``): the logits are equal bit for bit.

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
from numba import njit, uint64

from wann.activation_kernels import BLOCK_FLAGS, MIRROR_OFFSET, MIRROR_SIGN, activate_block
from wann.fastmath import exp_neg
from wann.network import Net

DEFAULT_CHUNK = 128  # samples per chunk: 6 weights x 128 samples = 768 lanes (6 KB) per node row;
# on the bench's network (AMD EPYC, 1 MB L2 per core) 96, 160 and 256 are 1-5 % slower, 64 and 32 7-35 %


@njit(cache=True)
def _slots(first, hid_ptr, hid_src, n_out):
    """(slot [n_nodes] uint64, n_slots): the row of each computed node in the value buffer; a row is reused
    once every node that reads it is done.

    A node's row is taken before its sources' rows are given back, so it never overlaps a source;
    the outputs' rows are never given back (they are read after the last node).
    """
    n_nodes = hid_ptr.size - 1
    last = np.arange(n_nodes)  # the last node that reads node i (itself when none)
    for i in range(first, n_nodes):
        for k in range(hid_ptr[i], hid_ptr[i + 1]):
            last[hid_src[k]] = i
    slot = np.full(n_nodes, -1, dtype=np.int64)
    free = np.empty(n_nodes, dtype=np.int64)
    n_free, n_slots = 0, 0
    for i in range(first, n_nodes):
        if n_free > 0:
            n_free -= 1
            slot[i] = free[n_free]
        else:
            slot[i] = n_slots
            n_slots += 1
        for k in range(hid_ptr[i], hid_ptr[i + 1]):
            s = hid_src[k]
            if last[s] == i and slot[s] >= 0 and s < n_nodes - n_out:
                free[n_free] = slot[s]
                n_free += 1
                slot[s] = -1 - slot[s]  # given back once, even when i reads s twice
        if last[i] == i and i < n_nodes - n_out:
            free[n_free] = slot[i]
            n_free += 1
    for i in range(first, n_nodes):
        slot[i] = slot[i] if slot[i] >= 0 else -1 - slot[i]
    return slot.astype(np.uint64), n_slots


@njit(cache=True, error_model="numpy", fastmath=BLOCK_FLAGS)
def _logits(xt, first, in_ptr, in_src, in_cw, hid_ptr, hid_src, hid_cw, act, weights, mirror, n_out, chunk):
    """Logits [n_weights, n_out, n_samples] for inputs ``xt`` [n_in, n_samples].

    Node i's edges from the bias/inputs are ``in_*[in_ptr[i]:in_ptr[i+1]]``, from hidden nodes
    ``hid_*[hid_ptr[i]:hid_ptr[i+1]]`` (sources are node indices). ``mirror[b]`` is the index of an
    earlier weight equal to ``-weights[b]`` (or -1): a node fed by inputs only then gets block b
    from that block through the activation's symmetry instead of evaluating it again.
    """
    n_samples = xt.shape[1]
    xf = xt.reshape(xt.size)  # flat view: input s's samples from (s - 1) * n_samples
    n_w, n_nodes = weights.size, act.size
    slot, n_slots = _slots(first, hid_ptr, hid_src, n_out)
    vals = np.empty(n_slots * n_w * chunk)  # node i's row in this chunk: lanes from slot[i] * lanes
    acc = np.empty((n_nodes - first) * chunk)  # input sums of every computed node in this chunk
    w_lane = np.empty(n_w * chunk)  # the weight of each lane of a row
    pre = np.empty(n_w * chunk)  # pre-activation sums (a separate array, so the activation
    out = np.empty((n_w, n_out, n_samples))  # loops vectorise: in place, LLVM's alias check fails)
    for c0 in range(0, n_samples, chunk):
        cb = uint64(min(chunk, n_samples - c0))
        lanes = uint64(n_w) * cb
        for b in range(n_w):
            for j in range(cb):
                w_lane[uint64(b) * cb + j] = weights[b]
        # bias and inputs: the same for every weight, summed once per sample, for every node before
        # the hidden sums (the chunk's pixels stay in cache while they are read)
        for i in range(first, n_nodes):
            ao = uint64(i - first) * cb
            for j in range(cb):
                acc[ao + j] = 0.0
            for k in range(in_ptr[i], in_ptr[i + 1]):
                c = in_cw[k]
                s = in_src[k]
                if s == 0:
                    for j in range(cb):
                        acc[ao + j] += c
                else:
                    xo = uint64((s - 1) * n_samples + c0)
                    for j in range(cb):
                        acc[ao + j] += c * xf[xo + j]
        for i in range(first, n_nodes):
            row = slot[i] * lanes
            ao = uint64(i - first) * cb  # this node's input sums: acc[ao:ao + cb]
            a = act[i]
            k, end = hid_ptr[i], hid_ptr[i + 1]
            if k == end:  # inputs only: activate straight from acc, one call per run of unmirrored blocks
                sym = MIRROR_SIGN[a] if 0 <= a < MIRROR_SIGN.size else 0.0
                b = 0
                while b < n_w:
                    if sym != 0.0 and mirror[b] >= 0:
                        blk, src_blk, off = row + uint64(b) * cb, row + uint64(mirror[b]) * cb, MIRROR_OFFSET[a]
                        for j in range(cb):
                            vals[blk + j] = sym * vals[src_blk + j] + off
                        b += 1
                        continue
                    e = b + 1
                    while e < n_w and (sym == 0.0 or mirror[e] < 0):
                        e += 1
                    activate_block(a, acc, ao, 0, w_lane, uint64(b) * cb, vals, row + uint64(b) * cb, e - b, cb)
                    b = e
                continue
            # hidden sources: all weight blocks at once, up to four edges per pass over the row; the first
            # pass adds its edges to acc (the same sum as copying acc into every block, then adding)
            for b in range(n_w):
                blk = uint64(b) * cb
                if end - k >= 4:
                    ca, cb_, cc, cd = hid_cw[k], hid_cw[k + 1], hid_cw[k + 2], hid_cw[k + 3]
                    ra, rb = slot[hid_src[k]] * lanes + blk, slot[hid_src[k + 1]] * lanes + blk
                    rc, rd = slot[hid_src[k + 2]] * lanes + blk, slot[hid_src[k + 3]] * lanes + blk
                    for j in range(cb):
                        pre[blk + j] = acc[ao + j] + ((ca * vals[ra + j] + cb_ * vals[rb + j])
                                                 + (cc * vals[rc + j] + cd * vals[rd + j]))
                elif end - k >= 2:
                    ca, cb_ = hid_cw[k], hid_cw[k + 1]
                    ra, rb = slot[hid_src[k]] * lanes + blk, slot[hid_src[k + 1]] * lanes + blk
                    for j in range(cb):
                        pre[blk + j] = acc[ao + j] + (ca * vals[ra + j] + cb_ * vals[rb + j])
                else:
                    ca = hid_cw[k]
                    ra = slot[hid_src[k]] * lanes + blk
                    for j in range(cb):
                        pre[blk + j] = acc[ao + j] + ca * vals[ra + j]
            k += 4 if end - k >= 4 else (2 if end - k >= 2 else 1)
            while end - k >= 4:
                ca, cb_, cc, cd = hid_cw[k], hid_cw[k + 1], hid_cw[k + 2], hid_cw[k + 3]
                ra, rb = slot[hid_src[k]] * lanes, slot[hid_src[k + 1]] * lanes
                rc, rd = slot[hid_src[k + 2]] * lanes, slot[hid_src[k + 3]] * lanes
                for j in range(lanes):
                    pre[j] += (ca * vals[ra + j] + cb_ * vals[rb + j]) + (cc * vals[rc + j] + cd * vals[rd + j])
                k += 4
            if end - k >= 2:
                ca, cb_ = hid_cw[k], hid_cw[k + 1]
                ra, rb = slot[hid_src[k]] * lanes, slot[hid_src[k + 1]] * lanes
                for j in range(lanes):
                    pre[j] += ca * vals[ra + j] + cb_ * vals[rb + j]
                k += 2
            if end - k == 1:
                ca = hid_cw[k]
                ra = slot[hid_src[k]] * lanes
                for j in range(lanes):
                    pre[j] += ca * vals[ra + j]
            activate_block(a, pre, 0, 0, w_lane, 0, vals, row, 1, lanes)
        for o in range(n_out):
            row = slot[n_nodes - n_out + o] * lanes
            for b in range(n_w):
                blk = row + uint64(b) * cb
                for j in range(cb):
                    out[b, o, c0 + j] = vals[blk + j]
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
    return _split_edges(net.first, net.indptr, net.src, net.cw)


@njit(cache=True)
def _split_edges(first, indptr, src, cw):
    """(in_ptr, in_src, in_cw, hid_ptr, hid_src, hid_cw): ``split_edges`` on the Net's CSR arrays."""
    n_nodes = indptr.size - 1
    n_in = 0
    for k in range(src.size):
        n_in += src[k] < first
    in_ptr, hid_ptr = np.zeros(n_nodes + 1, dtype=np.int64), np.zeros(n_nodes + 1, dtype=np.int64)
    in_src, hid_src = np.empty(n_in, dtype=np.int64), np.empty(src.size - n_in, dtype=np.int64)
    in_cw, hid_cw = np.empty(n_in), np.empty(src.size - n_in)
    a = h = 0
    for i in range(n_nodes):
        for k in range(indptr[i], indptr[i + 1]):
            if src[k] < first:
                in_src[a], in_cw[a] = src[k], cw[k]
                a += 1
            else:
                hid_src[h], hid_cw[h] = src[k], cw[k]
                h += 1
        in_ptr[i + 1], hid_ptr[i + 1] = a, h
    return in_ptr, in_src, in_cw, hid_ptr, hid_src, hid_cw


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
