"""Compile a Genome to flat arrays (a Net) and run it with numba kernels.

A Net's nodes are renumbered: 0 is the bias, 1..n_in the inputs, then the
hidden nodes in topological order, then the outputs. Incoming expressed edges
(``Genome.expressed``: the enabled genes, plus the disabled hidden->hidden genes
under the reference phenotype) are stored in CSR form (``indptr``, ``src``) with
a multiplier per edge (``cw``). Under a shared weight w a node computes ``act(w * sum_k cw_k v_k)``:
weight agnostic nets carry ``cw = 1`` (so the input is exactly ``w * sum``),
tuned or pruned nets carry their own weights and are run with ``w = 1``.
Hidden nodes that cannot reach an output are dropped (they cannot change it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, uint64

from wann.activation_kernels import activate, activate_row
from wann.activations import apply as apply_act
from wann.genome import BIAS, HIDDEN, INPUT, OUTPUT, Genome, GenomeError, children_csr, kahn_order, reference_expressed


@dataclass(frozen=True)
class Net:
    """A compiled network: small flat arrays, cheap to pickle and ship to workers."""

    n_in: int
    n_out: int
    act: np.ndarray  # int64 [N] activation id per node
    indptr: np.ndarray  # int64 [N+1]
    src: np.ndarray  # int64 [E] source node of each incoming edge
    cw: np.ndarray  # float64 [E] edge multiplier (1.0 for weight agnostic nets)
    shared: bool  # True: weight agnostic, evaluate under shared weights

    @property
    def n_nodes(self) -> int:
        return int(self.act.size)

    @property
    def first(self) -> int:
        """Index of the first computed node (after bias and inputs)."""
        return self.n_in + 1

    def depth(self) -> np.ndarray:
        """Longest path from a bias/input node, per node (inputs 0)."""
        depth = np.zeros(self.n_nodes, dtype=np.int64)
        for i in range(self.first, self.n_nodes):
            srcs = self.src[self.indptr[i] : self.indptr[i + 1]]
            depth[i] = 1 + (depth[srcs].max() if srcs.size else 0)
        return depth


@njit(cache=True)
def _reaches_output(topo, s_row, d_row, is_hidden, is_output):
    """Per node row: an output, or a hidden node with an edge s -> d into a node that reaches an output."""
    start, child = children_csr(is_hidden.size, s_row, d_row)
    useful = is_output.copy()
    for t in range(topo.size - 1, -1, -1):
        i = topo[t]
        if is_hidden[i]:
            for k in range(start[i], start[i + 1]):
                if useful[child[k]]:
                    useful[i] = True
                    break
    return useful


@njit(cache=True)
def _compile(node_id, node_kind, node_act, conn_src, conn_dst, conn_enabled, reference):
    """The arrays of ``compile_genome``: (act [N'], indptr [N'+1], src [E'], gene [E']: each edge's connection
    row, for its weight); None when the genes form a cycle. ``reference``: the reference phenotype."""
    n = node_id.size
    by_id = np.argsort(node_id, kind="mergesort")  # stable, as Genome.index_of
    sorted_ids = node_id[by_id]
    s_all = by_id[np.searchsorted(sorted_ids, conn_src)]
    d_all = by_id[np.searchsorted(sorted_ids, conn_dst)]
    hidden = node_kind == HIDDEN
    # the genes computed with, as Genome.expressed
    expressed = reference_expressed(conn_enabled, s_all, d_all, hidden) if reference else conn_enabled
    gene = np.flatnonzero(expressed)
    s_row, d_row = s_all[gene], d_all[gene]
    topo = kahn_order(n, s_all, d_all)  # over all genes, as Genome.topological_order
    if topo.size != n:
        return None
    useful = _reaches_output(topo, s_row, d_row, hidden, node_kind == OUTPUT)
    rows = np.empty(n, np.int64)
    m = 0
    for kind in (BIAS, INPUT):
        for i in by_id:
            if node_kind[i] == kind:
                rows[m] = i
                m += 1
    for i in topo:
        if useful[i] and hidden[i]:
            rows[m] = i
            m += 1
    for i in by_id:
        if node_kind[i] == OUTPUT:
            rows[m] = i
            m += 1
    rows = rows[:m]
    new_index = np.full(n, -1, np.int64)
    new_index[rows] = np.arange(m)
    keep = (new_index[s_row] >= 0) & (new_index[d_row] >= 0)  # drops edges of useless hidden nodes
    src, dst, gene = new_index[s_row[keep]], new_index[d_row[keep]], gene[keep]
    order = np.argsort(dst, kind="mergesort")  # stable: sums run in gene order, like the numpy forward
    src, dst, gene = src[order], dst[order], gene[order]
    indptr = np.zeros(m + 1, np.int64)
    for d in dst:
        indptr[d + 1] += 1
    for i in range(m):
        indptr[i + 1] += indptr[i]
    return node_act[rows].astype(np.int64), indptr, src, gene


def compile_genome(genome: Genome) -> Net:
    """Turn a genome into a Net (only expressed connections, only nodes that matter); GenomeError on a cycle."""
    arrays = _compile(genome.node_id, genome.node_kind, genome.node_act, genome.conn_src, genome.conn_dst,
                      genome.conn_enabled, genome.phenotype != "enabled")
    if arrays is None:
        raise GenomeError("the connections form a cycle; a WANN must be feed-forward")
    act, indptr, src, gene = arrays
    return Net(
        n_in=genome.n_inputs,
        n_out=genome.n_outputs,
        act=act,
        indptr=indptr,
        src=src,
        cw=np.ones(gene.size) if genome.conn_weight is None else np.ascontiguousarray(genome.conn_weight[gene],
                                                                                        dtype=np.float64),
        shared=genome.conn_weight is None,
    )


@njit(cache=True, inline="always")
def forward_values(vals, first, indptr, src, cw, act, w):
    """In place: fill ``vals[first:]`` from the bias/inputs already in ``vals[:first]``."""
    for i in range(first, act.size):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += cw[k] * vals[src[k]]
        vals[i] = activate(act[i], w * s)


@njit(cache=True, error_model="numpy")
def forward_lanes(vals, first, indptr, src, cw, act, w, n):
    """Lane-parallel forward: ``vals`` is [N, lanes] (C-contiguous); fill rows ``first:`` for lanes < n.

    Lane j runs under shared weight ``w[j]``. Each node is a contiguous row, so
    edge sums and activations vectorise over lanes; results equal
    ``forward_values`` lane by lane, bit for bit: each lane sums its edges in
    the same order from 0.0 (``((0.0 + c0 x0) + c1 x1) + ...``), up to four edges
    per pass over the row (past the fours, one edge per pass). Rows are addressed
    in one flat view at uint64 offsets (numba wraps negative int64 indices, which
    keeps LLVM from vectorising, and a row view per edge costs a reference count).
    """
    v = vals.reshape(vals.size)
    stride, n = uint64(vals.shape[1]), uint64(n)
    for i in range(first, act.size):
        r = uint64(i) * stride
        k, k1 = indptr[i], indptr[i + 1]
        m = min(k1 - k, 4)
        if m == 0:
            for j in range(n):
                v[r + j] = 0.0
        elif m == 4:
            c0, c1, c2, c3 = cw[k], cw[k + 1], cw[k + 2], cw[k + 3]
            a0, a1, a2, a3 = (uint64(src[k]) * stride, uint64(src[k + 1]) * stride, uint64(src[k + 2]) * stride,
                              uint64(src[k + 3]) * stride)
            for j in range(n):
                v[r + j] = (((0.0 + c0 * v[a0 + j]) + c1 * v[a1 + j]) + c2 * v[a2 + j]) + c3 * v[a3 + j]
        elif m == 3:
            c0, c1, c2 = cw[k], cw[k + 1], cw[k + 2]
            a0, a1, a2 = uint64(src[k]) * stride, uint64(src[k + 1]) * stride, uint64(src[k + 2]) * stride
            for j in range(n):
                v[r + j] = ((0.0 + c0 * v[a0 + j]) + c1 * v[a1 + j]) + c2 * v[a2 + j]
        elif m == 2:
            c0, c1 = cw[k], cw[k + 1]
            a0, a1 = uint64(src[k]) * stride, uint64(src[k + 1]) * stride
            for j in range(n):
                v[r + j] = (0.0 + c0 * v[a0 + j]) + c1 * v[a1 + j]
        else:
            c0, a0 = cw[k], uint64(src[k]) * stride
            for j in range(n):
                v[r + j] = 0.0 + c0 * v[a0 + j]
        k += m
        while k1 - k >= 4:
            c0, c1, c2, c3 = cw[k], cw[k + 1], cw[k + 2], cw[k + 3]
            a0, a1, a2, a3 = (uint64(src[k]) * stride, uint64(src[k + 1]) * stride, uint64(src[k + 2]) * stride,
                              uint64(src[k + 3]) * stride)
            for j in range(n):
                v[r + j] = (((v[r + j] + c0 * v[a0 + j]) + c1 * v[a1 + j]) + c2 * v[a2 + j]) + c3 * v[a3 + j]
            k += 4
        while k < k1:
            c0, a0 = cw[k], uint64(src[k]) * stride
            for j in range(n):
                v[r + j] = v[r + j] + c0 * v[a0 + j]
            k += 1
        activate_row(act[i], v, r, w, n)


@njit(cache=True)
def _forward_rows(x, w, first, indptr, src, cw, act, n_out):
    n_samples = x.shape[0]
    vals = np.empty(act.size)
    out = np.empty((n_samples, n_out))
    vals[0] = 1.0
    for j in range(n_samples):
        for i in range(1, first):
            vals[i] = x[j, i - 1]
        forward_values(vals, first, indptr, src, cw, act, w[j])
        for o in range(n_out):
            out[j, o] = vals[act.size - n_out + o]
    return out


def forward_rows(net: Net, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Outputs [S, n_out] for inputs x [S, n_in], row j under its own shared weight w[j] (numba)."""
    x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
    w = np.ascontiguousarray(np.broadcast_to(np.asarray(w, dtype=np.float64), (x.shape[0],)))
    if x.shape[1] != net.n_in:
        raise ValueError(f"expected {net.n_in} inputs, got {x.shape[1]}")
    return _forward_rows(x, w, net.first, net.indptr, net.src, net.cw, net.act, net.n_out)


def forward(net: Net, x: np.ndarray, w: float = 1.0) -> np.ndarray:
    """Outputs [S, n_out] for inputs x [S, n_in] under shared weight w (numba)."""
    return forward_rows(net, x, np.float64(w))


def forward_numpy(genome: Genome, x: np.ndarray, w: float) -> np.ndarray:
    """Plain numpy per-node forward straight from the genome (the reference's style)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    vals: dict[int, np.ndarray] = {}
    expressed = genome.expressed
    input_ids = np.sort(genome.node_id[genome.node_kind == INPUT]).tolist()
    column = {nid: k for k, nid in enumerate(input_ids)}
    for row in genome.topological_order().tolist():
        nid, kind = int(genome.node_id[row]), int(genome.node_kind[row])
        if kind == BIAS:
            vals[nid] = np.ones(x.shape[0])
        elif kind == INPUT:
            vals[nid] = x[:, column[nid]]
        else:
            into = expressed & (genome.conn_dst == nid)
            total = np.zeros(x.shape[0])
            cws = np.ones(into.sum()) if genome.conn_weight is None else genome.conn_weight[into]
            for s, c in zip(genome.conn_src[into].tolist(), cws.tolist()):
                total = total + c * vals[s]
            vals[nid] = apply_act(int(genome.node_act[row]), w * total)
    outs = sorted(int(i) for i in genome.node_id[genome.node_kind == OUTPUT])
    return np.stack([vals[o] for o in outs], axis=1)
