"""Per-connection weight views of a genome: the weight agnostic topology, or one weight per gene.

A genome's ``conn_weight`` is ``None`` for a weight agnostic network (it runs under a shared weight)
or one float per connection gene (tuned champions, random-weight trials; run it under shared weight 1).
Every function returns a copy; the genome passed in is never changed.
"""
from __future__ import annotations

import numpy as np

from wann.genome import Genome
from wann.network import compile_genome


def topology(genome: Genome) -> Genome:
    """The weight agnostic genome (per-connection weights dropped)."""
    g = genome.copy()
    g.conn_weight = None
    return g


def with_weights(genome: Genome, weights: np.ndarray) -> Genome:
    """A copy of ``genome`` with one weight per connection gene (run it under shared weight 1)."""
    g = genome.copy()
    g.conn_weight = np.asarray(weights, dtype=np.float64)
    return g


def edge_innovations(genome: Genome) -> np.ndarray:
    """Innovation id of every edge of ``compile_genome(genome)``, in the Net's edge order."""
    tagged = genome.copy()
    tagged.conn_weight = genome.conn_innov.astype(np.float64)  # exact for ids < 2**53
    return compile_genome(tagged).cw.astype(np.int64)


def with_edge_weights(genome: Genome, edge_weights: np.ndarray, default: float) -> Genome:
    """A copy of ``genome`` whose connections carry ``edge_weights`` (given in Net edge order).

    Genes that are not edges of the compiled net (disabled, or leading to a hidden
    node that cannot reach an output) get ``default``.
    """
    g = genome.copy()
    weight = np.full(g.conn_innov.size, float(default)) if g.conn_weight is None else g.conn_weight.copy()
    pos = {int(v): k for k, v in enumerate(g.conn_innov.tolist())}
    for innov, w in zip(edge_innovations(genome).tolist(), np.asarray(edge_weights, dtype=np.float64).tolist()):
        weight[pos[innov]] = w
    g.conn_weight = weight
    return g


def constant_weights(genome: Genome, w: float) -> Genome:
    """A copy of ``genome`` with every connection carrying weight ``w`` (run it under shared weight 1)."""
    g = genome.copy()
    g.conn_weight = np.full(g.conn_innov.size, float(w))
    return g
