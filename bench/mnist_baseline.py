"""Today's MNIST classification kernel before the speed work, kept as the baseline of ``bench/mnist.py``.

A verbatim copy of ``_logits``, ``split_edges``, ``mirrors`` and ``logits`` (wann/classify.py) and of
``activate_block`` and ``_redo_wide`` (wann/activation_kernels.py) as they were at commit a45dde1.
It uses the polynomials of that time (Horner's order: ``bench/fastmath_baseline.py``). The bench runs it
beside the current kernel in the same process; until 0.2.0 both gave the same logits bit for bit, since then
they differ in the last bits (Estrin's order).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from wann.activation_kernels import BLOCK_FLAGS, MIRROR_OFFSET, MIRROR_SIGN
from fastmath_baseline import PI_X_EXACT, cos_pi, cos_pi_bounded, exp_neg, sin_pi, sin_pi_bounded, tanh
from wann.network import Net

DEFAULT_CHUNK = 128  # samples per chunk: 6 weights x 128 samples = 768 lanes (6 KB) per node row


@njit(cache=False, error_model="numpy", fastmath=BLOCK_FLAGS)
def activate_block(aid, x, out, w):
    """out[:] = act_aid(w * x[:]) (x and out must not overlap); NaN for an unknown id."""
    n = out.size
    if aid == 1:
        for j in range(n):
            out[j] = w * x[j]
    elif aid == 2:
        for j in range(n):
            out[j] = 1.0 if w * x[j] > 0.0 else 0.0
    elif aid == 3:
        for j in range(n):
            out[j] = sin_pi_bounded(w * x[j])
        _redo_wide(aid, x, out, w)
    elif aid == 4:
        for j in range(n):
            v = w * x[j]
            out[j] = exp_neg(-(v * v) / 2.0)
    elif aid == 5:
        for j in range(n):
            out[j] = tanh(w * x[j])
    elif aid == 6:
        for j in range(n):
            out[j] = (tanh(w * x[j] / 2.0) + 1.0) / 2.0
    elif aid == 7:
        for j in range(n):
            out[j] = -(w * x[j])
    elif aid == 8:
        for j in range(n):
            out[j] = abs(w * x[j])
    elif aid == 9:
        for j in range(n):
            v = w * x[j]
            out[j] = v if v > 0.0 else 0.0
    elif aid == 10:
        for j in range(n):
            out[j] = cos_pi_bounded(w * x[j])
        _redo_wide(aid, x, out, w)
    else:
        for j in range(n):
            out[j] = np.nan


@njit(cache=False, error_model="numpy", fastmath=BLOCK_FLAGS)
def _redo_wide(aid, x, out, w):
    """Redo sin (3) / cos (10) lanes whose argument is beyond the bounded forms' exact range (or NaN)."""
    m = 0.0
    for j in range(out.size):
        v = abs(w * x[j])
        m = m if v <= m else v
    if m < PI_X_EXACT:
        return
    for j in range(out.size):
        if not abs(w * x[j]) < PI_X_EXACT:
            out[j] = sin_pi(w * x[j]) if aid == 3 else cos_pi(w * x[j])


@njit(cache=False, error_model="numpy", fastmath=BLOCK_FLAGS)
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
