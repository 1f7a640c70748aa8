"""A pruned MLP (masked weight matrices + biases) as a WANN-style Genome.

A pruned MLP is a feed-forward DAG: every surviving weight is a connection, every
hidden unit a ReLU node (activation 9), every output unit a linear node, and each
unit's bias a connection from the bias node (node 0). Node ids follow the genome
layout: 0 bias, 1..n_in inputs, then the outputs, then the hidden units layer by
layer. Bias connections exist for every unit (a hidden unit whose incoming
weights are all pruned still outputs relu(bias)); ``wann.network.compile_genome``
drops hidden units that no longer reach an output.

Three ways to set the connection values (``conn_weight``), all run through the
same numba kernels (``act(w * sum cw * v)``):

* ``trained``: the trained weights and biases, run at shared weight 1; equals the
  torch model exactly (up to float rounding).
* ``shared``: no per-connection values (``conn_weight = None``): every surviving
  connection *and every bias connection* carries the shared weight w. This is the
  WANN convention (the bias node's connections carry the shared weight).
* ``signed``: cw = sign of a reference weight (trained or initial), so each
  connection carries ``w * sign`` (the "signed constant" of supermask studies).
  Bias connections carry ``w * sign(bias)`` of the same parameter set; initial
  biases are zero (prune_baselines initialises them so), so with the *initial*
  signs the bias connections carry ``+w`` (WANN convention) instead of 0.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wann.activations import LINEAR, RELU
from wann.errors import UserError
from wann.genome import BIAS, HIDDEN, INPUT, OUTPUT, Genome

MODES = ("trained", "shared", "signed")


def _layer_ids(sizes: Sequence[int]) -> list[np.ndarray]:
    """Node ids of every layer (inputs first, outputs last) in the genome layout."""
    n_in, n_out = sizes[0], sizes[-1]
    ids = [np.arange(1, n_in + 1)]
    nxt = n_in + n_out + 1
    for h in sizes[1:-1]:
        ids.append(np.arange(nxt, nxt + h))
        nxt += h
    ids.append(np.arange(n_in + 1, n_in + n_out + 1))
    return [a.astype(np.int64) for a in ids]


def mlp_genome(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], masks: Sequence[np.ndarray],
               mode: str = "trained", signs_from: Sequence[np.ndarray] | None = None,
               bias_signs_from: Sequence[np.ndarray] | None = None) -> Genome:
    """The Genome of an MLP given per layer ``weights[l]`` [out, in], ``biases[l]`` [out], bool ``masks[l]``.

    ``mode``: ``trained`` (conn_weight = weights and biases), ``shared`` (conn_weight None) or ``signed``
    (conn_weight = sign of ``signs_from`` weights, default the given weights; bias connections the sign of
    ``bias_signs_from``, default +1). Connections are ordered bias connections of a layer first, then its
    weights row by row, layer by layer (so node sums run in the torch order: bias + sum_i w_i x_i).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not (len(weights) == len(biases) == len(masks)) or not weights:
        raise ValueError("weights, biases and masks need one entry per layer")
    sizes = [int(np.shape(weights[0])[1])] + [int(np.shape(w)[0]) for w in weights]
    for l, (w, b, m) in enumerate(zip(weights, biases, masks)):
        if np.shape(w) != (sizes[l + 1], sizes[l]) or np.shape(m) != np.shape(w) or np.shape(b) != (sizes[l + 1],):
            raise ValueError(f"layer {l}: weight {np.shape(w)}, mask {np.shape(m)}, bias {np.shape(b)} do not chain")
    ids = _layer_ids(sizes)
    srcs, dsts, vals = [], [], []
    for l, (w, b, m) in enumerate(zip(weights, biases, masks)):
        m = np.asarray(m, dtype=bool)
        out_ids, in_ids = ids[l + 1], ids[l]
        if mode == "trained":
            bval, wval = np.asarray(b, dtype=np.float64), np.asarray(w, dtype=np.float64)
        else:
            ref_b = bias_signs_from[l] if bias_signs_from is not None else np.ones(sizes[l + 1])
            bval = np.sign(np.asarray(ref_b, dtype=np.float64))
            wval = np.sign(np.asarray(signs_from[l] if signs_from is not None else w, dtype=np.float64))
        srcs.append(np.zeros(out_ids.size, dtype=np.int64))
        dsts.append(out_ids)
        vals.append(bval)
        rows, cols = np.nonzero(m)  # row-major: per output unit, inputs in order
        srcs.append(in_ids[cols])
        dsts.append(out_ids[rows])
        vals.append(wval[rows, cols])
    src, dst = np.concatenate(srcs), np.concatenate(dsts)
    n_in, n_out, n_hidden = sizes[0], sizes[-1], sum(sizes[1:-1])
    n = 1 + n_in + n_out + n_hidden
    kind = np.full(n, HIDDEN, dtype=np.int64)
    kind[0], kind[1 : n_in + 1], kind[n_in + 1 : n_in + n_out + 1] = BIAS, INPUT, OUTPUT
    act = np.where(kind == HIDDEN, RELU, LINEAR).astype(np.int64)
    return Genome(np.arange(n, dtype=np.int64), kind, act, np.arange(src.size, dtype=np.int64), src, dst,
                  np.ones(src.size, dtype=bool), None if mode == "shared" else np.concatenate(vals))


def live_genome(genome: Genome) -> Genome:
    """The genome without the hidden nodes that reach no output, and without their connections.

    A pruned MLP keeps every unit; most of them are dead at high sparsity. Outputs are unchanged
    (a node that reaches no output contributes nothing), so this is for drawing and counting.
    """
    on = genome.expressed
    src, dst = genome.conn_src[on], genome.conn_dst[on]
    live = set(genome.node_id[genome.node_kind == OUTPUT].tolist())
    frontier = list(live)
    preds: dict[int, list[int]] = {}
    for s, d in zip(src.tolist(), dst.tolist()):
        preds.setdefault(d, []).append(s)
    while frontier:
        for p in preds.get(frontier.pop(), ()):
            if p not in live:
                live.add(p)
                frontier.append(p)
    keep_node = (genome.node_kind != HIDDEN) | np.isin(genome.node_id, list(live))
    keep_conn = np.isin(genome.conn_src, genome.node_id[keep_node]) & np.isin(genome.conn_dst, genome.node_id[keep_node])
    cw = None if genome.conn_weight is None else genome.conn_weight[keep_conn]
    return Genome(genome.node_id[keep_node], genome.node_kind[keep_node], genome.node_act[keep_node],
                  genome.conn_innov[keep_conn], genome.conn_src[keep_conn], genome.conn_dst[keep_conn],
                  genome.conn_enabled[keep_conn], cw, genome.phenotype)


def shared_forward(masks: Sequence[np.ndarray], x: np.ndarray, w: float, signs: Sequence[np.ndarray] | None = None,
                   bias_signs: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Direct numpy forward of the masked MLP with every connection at ``w`` (times ``signs``), ReLU hidden.

    The reference the graph is tested against: node = act(w * (bias_sign + sum sign * mask * x)).
    """
    a = np.atleast_2d(np.asarray(x, dtype=np.float64))
    last = len(masks) - 1
    for l, m in enumerate(masks):
        s = np.ones(np.shape(m)) if signs is None else np.sign(np.asarray(signs[l], dtype=np.float64))
        bs = np.ones(np.shape(m)[0]) if bias_signs is None else np.sign(np.asarray(bias_signs[l], dtype=np.float64))
        z = w * (a @ (s * np.asarray(m, dtype=np.float64)).T + bs)
        a = z if l == last else np.maximum(z, 0.0)
    return a


def point_genome(file: Path) -> tuple[Genome, str, list[str]]:
    """(live genome, figure title, output names) of a prune_baselines point file (``seed_<s>/<variant>_level_<ii>.npz``).

    UserError if the file is missing or not a point file."""
    from prune_baselines.errors import PruneError
    from prune_baselines.results import read_point

    from wann.compare.series import series_label

    if not file.exists():
        raise UserError(f"{file}: no such point file")
    try:
        p = read_point(file)
    except PruneError as exc:
        raise UserError(str(exc)) from None
    r = p.record
    genome = live_genome(mlp_genome(p.weights, p.biases, p.masks, "trained"))
    title = f"{series_label(r)}, seed {r['seed']}, level {r['level']} (test accuracy {100 * r['test_accuracy']:.2f}%)"
    return genome, title, [str(d) for d in range(p.weights[-1].shape[0])]
