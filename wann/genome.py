"""Genome: a node table and a connection table (numpy), with innovation ids.

Node ids follow the reference layout: 0 is the bias, 1..n_in the inputs,
n_in+1..n_in+n_out the outputs, hidden nodes after that. Kinds use the
reference codes (1 input, 2 output, 3 hidden, 4 bias). A connection is
(innovation, source, target, enabled) plus an optional weight, set only on
tuned or pruned networks: a weight agnostic genome has ``conn_weight = None``.

The *phenotype* says which connection genes the network expresses (computes
with, and counts as connections):

- ``"enabled"``: the enabled genes, as NEAT defines it;
- ``"reference"``: the enabled genes plus every *disabled hidden->hidden* gene,
  as the reference WANN code does (google/brain-tokyo-workshop,
  ``WANNRelease/WANN/wann_src/ind.py``, ``getNodeOrder``: disabled genes are
  marked NaN in the weight matrix, then every non-zero entry of its
  hidden-to-hidden block is set to 1 through a view into that same matrix, and
  NaN is non-zero). Disabled genes from the bias or an input, or into an
  output, stay off.

Mutation is the same under both (add-node splits enabled genes, enable picks a
disabled gene); under ``"reference"`` splitting a hidden->hidden link therefore
adds a parallel path, and re-enabling such a gene changes nothing.

JSON schema (``to_dict``), format ``wann.genome/1``::

    {"format": "wann.genome/1", "n_inputs": 5, "n_outputs": 1,
     "nodes": {"id": [...], "kind": ["bias", "input", ...], "activation": [...]},
     "connections": {"innovation": [...], "source": [...], "target": [...],
                     "enabled": [...], "weight": [...] or null},
     "phenotype": "reference" | "enabled"}

Files written before the phenotype existed have no ``phenotype`` field; they
load as ``"enabled"``, the behaviour they were scored with.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from wann.activations import LINEAR, NAMES

INPUT, OUTPUT, HIDDEN, BIAS = 1, 2, 3, 4
KIND_NAMES = {INPUT: "input", OUTPUT: "output", HIDDEN: "hidden", BIAS: "bias"}
KIND_CODES = {v: k for k, v in KIND_NAMES.items()}
FORMAT = "wann.genome/1"
PHENOTYPES = ("reference", "enabled")
LEGACY_PHENOTYPE = "enabled"  # files and run folders from before the phenotype existed


@njit(cache=True)
def children_csr(n, s, d):
    """(start [n+1], child [E]): the targets of every row's edges s -> d, in edge order."""
    start = np.zeros(n + 1, np.int64)
    for a in s:
        start[a + 1] += 1
    for i in range(n):
        start[i + 1] += start[i]
    fill = start[:-1].copy()
    child = np.empty(s.size, np.int64)
    for k in range(s.size):
        child[fill[s[k]]] = d[k]
        fill[s[k]] += 1
    return start, child


@njit(cache=True)
def reference_expressed(enabled, s_row, d_row, hidden):
    """bool [C]: the genes the reference phenotype computes with: the enabled ones and every gene between two
    hidden nodes (module docstring: phenotype). ``s_row``/``d_row``: each gene's node rows; ``hidden``: bool per
    row. The one definition, for ``Genome.expressed`` and ``wann.network.compile_genome``."""
    out = enabled.copy()
    for k in range(out.size):
        out[k] = out[k] or (hidden[s_row[k]] and hidden[d_row[k]])
    return out


@njit(cache=True)
def kahn_order(n, s, d):
    """Kahn's algorithm with a stack, children in gene order; fewer than n rows when there is a cycle."""
    start, child = children_csr(n, s, d)
    indeg = np.zeros(n, np.int64)
    for b in d:
        indeg[b] += 1
    stack = np.empty(n, np.int64)
    top = 0
    for i in range(n):
        if indeg[i] == 0:
            stack[top] = i
            top += 1
    order = np.empty(n, np.int64)
    m = 0
    while top > 0:
        top -= 1
        i = stack[top]
        order[m] = i
        m += 1
        for k in range(start[i], start[i + 1]):
            j = child[k]
            indeg[j] -= 1
            if indeg[j] == 0:
                stack[top] = j
                top += 1
    return order[:m]


class GenomeError(ValueError):
    """A genome that is not a valid feed-forward WANN graph."""


@dataclass
class Genome:
    """A WANN topology: node table + connection table."""

    node_id: np.ndarray  # int64 [N]
    node_kind: np.ndarray  # int64 [N]
    node_act: np.ndarray  # int64 [N]
    conn_innov: np.ndarray  # int64 [C]
    conn_src: np.ndarray  # int64 [C], node ids
    conn_dst: np.ndarray  # int64 [C], node ids
    conn_enabled: np.ndarray  # bool [C]
    conn_weight: np.ndarray | None = None  # float64 [C] or None (weight agnostic)
    phenotype: str = "enabled"  # which genes are expressed: "enabled" or "reference" (module docstring)

    # ---- construction -------------------------------------------------
    @classmethod
    def minimal(cls, n_in: int, n_out: int, p_init: float, rng: np.random.Generator,
                phenotype: str = "enabled") -> Genome:
        """The reference's initial genome: every bias/input -> output gene, each enabled with p_init."""
        ids = np.arange(n_in + n_out + 1, dtype=np.int64)
        kind = np.full(ids.size, OUTPUT, dtype=np.int64)
        kind[0] = BIAS
        kind[1 : n_in + 1] = INPUT
        src = np.tile(np.arange(n_in + 1, dtype=np.int64), n_out)
        dst = np.repeat(n_in + 1 + np.arange(n_out, dtype=np.int64), n_in + 1)
        enabled = rng.random(src.size) < p_init
        return cls(ids, kind, np.full(ids.size, LINEAR, dtype=np.int64),
                   np.arange(src.size, dtype=np.int64), src, dst, enabled, None, phenotype)

    def copy(self) -> Genome:
        """A deep copy (arrays copied)."""
        return Genome(self.node_id.copy(), self.node_kind.copy(), self.node_act.copy(),
                      self.conn_innov.copy(), self.conn_src.copy(), self.conn_dst.copy(),
                      self.conn_enabled.copy(),
                      None if self.conn_weight is None else self.conn_weight.copy(), self.phenotype)

    # ---- derived quantities ---------------------------------------------
    @property
    def n_inputs(self) -> int:
        return int(np.count_nonzero(self.node_kind == INPUT))

    @property
    def n_outputs(self) -> int:
        return int(np.count_nonzero(self.node_kind == OUTPUT))

    @property
    def n_hidden(self) -> int:
        return int(np.count_nonzero(self.node_kind == HIDDEN))

    @property
    def expressed(self) -> np.ndarray:
        """bool [C]: the genes the network computes with (module docstring: phenotype)."""
        if self.phenotype == "enabled":
            return self.conn_enabled
        return reference_expressed(self.conn_enabled, self.index_of(self.conn_src), self.index_of(self.conn_dst),
                                   self.node_kind == HIDDEN)

    @property
    def n_connections(self) -> int:
        """Complexity as in the reference: the number of expressed connections."""
        return int(np.count_nonzero(self.expressed))

    @property
    def n_enabled(self) -> int:
        """The number of enabled genes (equal to ``n_connections`` under the "enabled" phenotype)."""
        return int(np.count_nonzero(self.conn_enabled))

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Row indices of node ids in the node table."""
        order = np.argsort(self.node_id, kind="stable")
        pos = np.searchsorted(self.node_id, ids, sorter=order)
        return order[pos]

    def topological_order(self) -> np.ndarray:
        """Node row indices in a topological order over *all* genes; raises on a cycle."""
        order = kahn_order(self.node_id.size, self.index_of(self.conn_src), self.index_of(self.conn_dst))
        if order.size != self.node_id.size:
            raise GenomeError("the connections form a cycle; a WANN must be feed-forward")
        return order

    def layers(self) -> np.ndarray:
        """Layer per node row as the reference assigns it for add-connection.

        Bias and inputs are layer 0; a hidden node is 1 + the longest chain of
        hidden nodes leading into it; outputs share the layer above the last
        hidden layer. Computed over all genes, enabled or not, so re-enabling a
        gene can never close a cycle (for genomes grown by mutation this equals
        the reference's enabled-only layers: every disabled gene was split and
        so stays bridged by an enabled path).
        """
        layer = np.zeros(self.node_id.size, dtype=np.int64)
        s, d = self.index_of(self.conn_src), self.index_of(self.conn_dst)
        hidden = self.node_kind == HIDDEN
        incoming: list[list[int]] = [[] for _ in range(layer.size)]
        for a, b in zip(s.tolist(), d.tolist()):
            incoming[b].append(a)
        for i in self.topological_order().tolist():
            if hidden[i]:
                layer[i] = 1 + max((layer[a] for a in incoming[i] if hidden[a]), default=0)
        layer[self.node_kind == OUTPUT] = (layer[hidden].max() if hidden.any() else 0) + 1
        return layer

    # ---- JSON -------------------------------------------------------------
    def to_dict(self) -> dict:
        """The documented JSON form (format ``wann.genome/1``)."""
        return {
            "format": FORMAT,
            "n_inputs": self.n_inputs,
            "n_outputs": self.n_outputs,
            "nodes": {
                "id": self.node_id.tolist(),
                "kind": [KIND_NAMES[k] for k in self.node_kind.tolist()],
                "activation": self.node_act.tolist(),
            },
            "connections": {
                "innovation": self.conn_innov.tolist(),
                "source": self.conn_src.tolist(),
                "target": self.conn_dst.tolist(),
                "enabled": self.conn_enabled.tolist(),
                "weight": None if self.conn_weight is None else self.conn_weight.tolist(),
            },
            "phenotype": self.phenotype,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Genome:
        """Parse and validate the JSON form (every field strictly typed: ``wann.schemas``);
        raises GenomeError with the reason."""
        from wann.schemas import GenomeModel, SchemaError, check

        if not isinstance(data, dict) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise GenomeError(f"format is {got!r}, expected {FORMAT!r}")
        try:
            m = check(GenomeModel, data, "genome")
        except SchemaError as exc:
            raise GenomeError(str(exc)) from None
        nodes, conns = m.nodes, m.connections
        g = cls(
            np.asarray(nodes.id, dtype=np.int64),
            np.asarray([KIND_CODES[k] for k in nodes.kind], dtype=np.int64),
            np.asarray(nodes.activation, dtype=np.int64),
            np.asarray(conns.innovation, dtype=np.int64),
            np.asarray(conns.source, dtype=np.int64),
            np.asarray(conns.target, dtype=np.int64),
            np.asarray(conns.enabled, dtype=bool),
            None if conns.weight is None else np.asarray(conns.weight, dtype=np.float64),
            m.phenotype,
        )
        g.validate()
        return g

    def validate(self) -> None:
        """Raise GenomeError unless this is a well-formed feed-forward genome."""
        n, c = self.node_id.size, self.conn_src.size
        if self.phenotype not in PHENOTYPES:
            raise GenomeError(f"phenotype {self.phenotype!r} is not one of {list(PHENOTYPES)}")
        if not (self.node_kind.size == n and self.node_act.size == n):
            raise GenomeError("node columns have different lengths")
        sizes = {self.conn_innov.size, self.conn_dst.size, self.conn_enabled.size}
        if self.conn_weight is not None:
            sizes.add(self.conn_weight.size)
        if sizes != {c}:
            raise GenomeError("connection columns have different lengths")
        if np.unique(self.node_id).size != n:
            raise GenomeError("node ids are not unique")
        if np.unique(self.conn_innov).size != c:
            raise GenomeError("innovation ids are not unique")
        if np.count_nonzero(self.node_kind == BIAS) != 1 or self.n_outputs < 1:
            raise GenomeError("a genome needs exactly one bias node and at least one output")
        bad_act = sorted(set(self.node_act.tolist()) - set(NAMES))
        if bad_act:
            raise GenomeError(f"unknown activation ids {bad_act}; valid: {sorted(NAMES)}")
        if np.any(self.node_act[self.node_kind == OUTPUT] != LINEAR):
            raise GenomeError("output nodes must be linear (activation 1)")
        known = set(self.node_id.tolist())
        if not set(self.conn_src.tolist()) <= known or not set(self.conn_dst.tolist()) <= known:
            raise GenomeError("a connection refers to a node id that does not exist")
        kinds_dst = self.node_kind[self.index_of(self.conn_dst)] if c else np.empty(0)
        if np.any((kinds_dst == INPUT) | (kinds_dst == BIAS)):
            raise GenomeError("a connection targets an input or the bias")
        if c and np.any(self.node_kind[self.index_of(self.conn_src)] == OUTPUT):
            raise GenomeError("a connection leaves an output node; outputs are sinks")
        pairs = self.conn_src * (int(self.node_id.max()) + 1) + self.conn_dst
        if np.unique(pairs).size != c:
            raise GenomeError("duplicate (source, target) connection")
        self.topological_order()
