"""The four topological mutations of the reference WANN, and the roulette that picks one.

Each operator returns a new genome and never modifies its argument; when a
mutation cannot apply (nothing to split, nothing disabled, no hidden node, no
free pair) the child is an unchanged copy, as in the reference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wann.genome import HIDDEN, Genome


@dataclass
class Innovations:
    """Running counters for new node ids and new connection innovation ids."""

    next_node: int
    next_conn: int

    @classmethod
    def after(cls, genomes: list[Genome]) -> Innovations:
        return cls(max(int(g.node_id.max()) for g in genomes) + 1,
                   max(int(g.conn_innov.max(initial=-1)) for g in genomes) + 1)


def add_connection(g: Genome, rng: np.random.Generator, innov: Innovations) -> Genome:
    """Connect a random source to a random node in a strictly higher layer, never duplicating a gene."""
    layer = g.layers()
    child = g.copy()
    for src in rng.permutation(g.node_id.size).tolist():
        existing = g.conn_dst[g.conn_src == g.node_id[src]]
        dest = np.flatnonzero((layer > layer[src]) & ~np.isin(g.node_id, existing))
        if dest.size:
            dst = int(g.node_id[dest[rng.integers(dest.size)]])
            _append_conns(child, [(int(g.node_id[src]), dst)], innov, weights=[1.0])
            return child
    return child


def add_node(g: Genome, rng: np.random.Generator, innov: Innovations, activations: tuple[int, ...]) -> Genome:
    """Split a random enabled connection with a new hidden node of random activation."""
    child = g.copy()
    active = np.flatnonzero(g.conn_enabled)
    if active.size == 0:
        return child
    k = int(active[rng.integers(active.size)])
    new_id = innov.next_node
    innov.next_node += 1
    act = activations[rng.integers(len(activations))]
    child.node_id = np.append(child.node_id, new_id)
    child.node_kind = np.append(child.node_kind, HIDDEN)
    child.node_act = np.append(child.node_act, act)
    child.conn_enabled[k] = False
    # as the reference: weight into the new node 1, out of it the old weight
    old_w = 1.0 if g.conn_weight is None else float(g.conn_weight[k])
    _append_conns(child, [(int(g.conn_src[k]), new_id), (new_id, int(g.conn_dst[k]))], innov,
                  weights=[1.0, old_w])
    return child


def enable_connection(g: Genome, rng: np.random.Generator) -> Genome:
    """Re-enable a random disabled connection."""
    child = g.copy()
    disabled = np.flatnonzero(~g.conn_enabled)
    if disabled.size:
        child.conn_enabled[disabled[rng.integers(disabled.size)]] = True
    return child


def change_activation(g: Genome, rng: np.random.Generator, activations: tuple[int, ...]) -> Genome:
    """Give a random hidden node a different activation from the set (outputs stay linear)."""
    child = g.copy()
    hidden = np.flatnonzero(g.node_kind == HIDDEN)
    if hidden.size == 0:
        return child
    i = int(hidden[rng.integers(hidden.size)])
    pool = [a for a in activations if a != g.node_act[i]]
    if pool:
        child.node_act[i] = pool[rng.integers(len(pool))]
    return child


def mutate(g: Genome, rng: np.random.Generator, innov: Innovations, probs: tuple[float, float, float, float],
           activations: tuple[int, ...]) -> Genome:
    """Exactly one mutation, chosen with probabilities (add conn, add node, enable, change act)."""
    p = np.asarray(probs, dtype=np.float64)
    choice = min(3, int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right")))
    if choice == 0:
        return add_connection(g, rng, innov)
    if choice == 1:
        return add_node(g, rng, innov, activations)
    if choice == 2:
        return enable_connection(g, rng)
    return change_activation(g, rng, activations)


def _append_conns(g: Genome, pairs: list[tuple[int, int]], innov: Innovations, weights: list[float]) -> None:
    n = len(pairs)
    g.conn_innov = np.append(g.conn_innov, np.arange(innov.next_conn, innov.next_conn + n))
    innov.next_conn += n
    g.conn_src = np.append(g.conn_src, [p[0] for p in pairs]).astype(np.int64)
    g.conn_dst = np.append(g.conn_dst, [p[1] for p in pairs]).astype(np.int64)
    g.conn_enabled = np.append(g.conn_enabled, np.ones(n, dtype=bool))
    if g.conn_weight is not None:
        g.conn_weight = np.append(g.conn_weight, weights)
