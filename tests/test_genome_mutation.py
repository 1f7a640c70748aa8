import json

import numpy as np
import pytest

from tests.helpers import PROBS, random_genome
from wann.activations import ALL, LINEAR
from wann.genome import HIDDEN, INPUT, OUTPUT, Genome, GenomeError
from wann.mutation import Innovations, add_connection, add_node, change_activation, enable_connection, mutate


def grow(seed, n):
    rng = np.random.default_rng(seed)
    pop = [Genome.minimal(5, 2, 0.5, rng) for _ in range(4)]
    inn = Innovations.after(pop)
    history = []
    for k in range(n):
        parent = pop[k % 4]
        child = mutate(parent, rng, inn, PROBS, ALL)
        history.append((parent, child))
        pop[k % 4] = child
    return history, inn


def check_invariants(g: Genome):
    g.validate()  # acyclic, ids unique, no duplicate (src, dst), outputs linear, targets not inputs
    assert np.all(g.node_act[g.node_kind == OUTPUT] == LINEAR)
    pairs = set(zip(g.conn_src.tolist(), g.conn_dst.tolist()))
    assert len(pairs) == g.conn_src.size
    assert np.unique(g.conn_innov).size == g.conn_innov.size


def test_thousands_of_mutations_keep_invariants_and_round_trip():
    history, _ = grow(0, 3000)
    innovs_seen = {}
    for parent, child in history:
        check_invariants(child)
        # innovation ids mean the same gene everywhere
        for i, s, d in zip(child.conn_innov.tolist(), child.conn_src.tolist(), child.conn_dst.tolist()):
            assert innovs_seen.setdefault(i, (s, d)) == (s, d)
        again = Genome.from_dict(json.loads(json.dumps(child.to_dict())))
        assert again.to_dict() == child.to_dict()
    assert max(c.n_hidden for _, c in history) > 10


def test_exactly_one_mutation_changes_at_most_one_thing():
    history, _ = grow(1, 1500)
    for parent, child in history:
        new_conns = child.conn_src.size - parent.conn_src.size
        new_nodes = child.node_id.size - parent.node_id.size
        assert (new_conns, new_nodes) in {(0, 0), (1, 0), (2, 1)}
        if new_conns == 0:
            changed = (child.conn_enabled != parent.conn_enabled).sum() + (child.node_act != parent.node_act).sum()
            assert changed <= 1


def test_add_connection_goes_from_lower_to_strictly_higher_layer():
    rng = np.random.default_rng(2)
    history, inn = grow(2, 400)
    for _, g in history[-50:]:
        layer = g.layers()
        child = add_connection(g, rng, inn)
        if child.conn_src.size > g.conn_src.size:
            s, d = child.index_of(child.conn_src[-1:]), child.index_of(child.conn_dst[-1:])
            assert layer[d[0]] > layer[s[0]]
            assert child.conn_enabled[-1]


def test_add_connection_never_duplicates_disabled_genes():
    rng = np.random.default_rng(3)
    g = Genome.minimal(2, 1, 0.0, rng)  # all genes disabled: nothing left to add
    inn = Innovations.after([g])
    assert add_connection(g, rng, inn).conn_src.size == g.conn_src.size


def test_add_node_splits_an_enabled_connection():
    rng = np.random.default_rng(4)
    g = Genome.minimal(3, 1, 1.0, rng)
    inn = Innovations.after([g])
    child = add_node(g, rng, inn, (5,))
    k = np.flatnonzero(~child.conn_enabled)
    assert k.size == 1 and g.conn_enabled[k[0]]
    new = child.node_id[-1]
    assert child.node_kind[-1] == HIDDEN and child.node_act[-1] == 5
    assert (child.conn_src[-2], child.conn_dst[-2]) == (g.conn_src[k[0]], new)
    assert (child.conn_src[-1], child.conn_dst[-1]) == (new, g.conn_dst[k[0]])
    assert g.n_connections == child.n_connections - 1


def test_change_activation_picks_a_different_one_and_only_hidden():
    rng = np.random.default_rng(5)
    g = Genome.minimal(3, 1, 1.0, rng)
    inn = Innovations.after([g])
    assert change_activation(g, rng, ALL).to_dict() == g.to_dict()  # no hidden node: unchanged
    g = add_node(g, rng, inn, (3,))
    for _ in range(50):
        child = change_activation(g, rng, ALL)
        assert child.node_act[-1] != 3
        assert np.array_equal(child.node_act[:-1], g.node_act[:-1])


def test_enable_connection_enables_a_disabled_gene():
    rng = np.random.default_rng(6)
    g = Genome.minimal(4, 1, 0.0, rng)
    child = enable_connection(g, rng)
    assert child.n_connections == 1 and g.n_connections == 0


def test_mutation_probabilities_follow_the_roulette():
    rng = np.random.default_rng(7)
    g = Genome.minimal(5, 1, 0.5, rng)
    inn = Innovations.after([g])
    g = add_node(add_node(g, rng, inn, ALL), rng, inn, ALL)
    counts = np.zeros(4)
    for _ in range(4000):
        c = mutate(g, rng, inn, PROBS, ALL)
        if c.node_id.size > g.node_id.size:
            counts[1] += 1
        elif c.conn_src.size > g.conn_src.size:
            counts[0] += 1
        elif c.n_connections > g.n_connections:
            counts[2] += 1
        else:
            counts[3] += 1
    np.testing.assert_allclose(counts / counts.sum(), PROBS, atol=0.03)


def test_minimal_genome_matches_the_reference_start():
    rng = np.random.default_rng(8)
    gs = [Genome.minimal(5, 1, 0.5, rng) for _ in range(400)]
    g = gs[0]
    assert g.n_inputs == 5 and g.n_outputs == 1 and g.n_hidden == 0
    assert g.conn_src.size == 6 and set(g.conn_dst.tolist()) == {6}
    assert g.node_kind[0] == 4 and np.all(g.node_kind[1:6] == INPUT)
    frac = np.mean([x.conn_enabled.mean() for x in gs])
    assert abs(frac - 0.5) < 0.03


@pytest.mark.parametrize("mutilate, message", [
    (lambda d: d["connections"]["target"].__setitem__(0, 1), "targets an input"),
    (lambda d: d.update(format="x"), "format"),
    (lambda d: d["nodes"]["activation"].__setitem__(6, 3), "outputs must be linear|output nodes must be linear"),
    (lambda d: d["connections"]["source"].__setitem__(0, 99), "does not exist"),
])
def test_invalid_genome_json_is_rejected(mutilate, message):
    d = Genome.minimal(5, 1, 1.0, np.random.default_rng(0)).to_dict()
    mutilate(d)
    with pytest.raises(GenomeError, match=message):
        Genome.from_dict(d)


def test_cycle_is_rejected():
    rng = np.random.default_rng(9)
    g = Genome.minimal(1, 1, 1.0, rng)
    inn = Innovations.after([g])
    g = add_node(g, rng, inn, (1,))
    g = add_node(g, rng, inn, (1,))
    d = g.to_dict()
    hidden = [i for i, k in zip(d["nodes"]["id"], d["nodes"]["kind"]) if k == "hidden"]
    c = d["connections"]
    # add both directions between two hidden nodes
    for s, t in [(hidden[0], hidden[1]), (hidden[1], hidden[0])]:
        if (s, t) not in zip(c["source"], c["target"]):
            c["innovation"].append(max(c["innovation"]) + 1)
            c["source"].append(s)
            c["target"].append(t)
            c["enabled"].append(True)
    with pytest.raises(GenomeError, match="cycle"):
        Genome.from_dict(d)


def _python_kahn(g: Genome) -> list[int]:
    """Kahn's algorithm as plain Python lists: a stack of ready rows, children in gene order."""
    n = g.node_id.size
    s, d = g.index_of(g.conn_src).tolist(), g.index_of(g.conn_dst).tolist()
    indeg = np.bincount(d, minlength=n).tolist()
    children: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(s, d):
        children[a].append(b)
    stack, order = [i for i in range(n) if indeg[i] == 0], []
    while stack:
        i = stack.pop()
        order.append(i)
        for j in children[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                stack.append(j)
    return order


@pytest.mark.parametrize("seed", range(10))
def test_topological_order_equals_plain_kahn(seed):
    g = random_genome(seed, n_mutations=120)
    order = g.topological_order()
    assert order.tolist() == _python_kahn(g)
    pos = np.empty(order.size, dtype=np.int64)
    pos[order] = np.arange(order.size)
    assert np.all(pos[g.index_of(g.conn_src)] < pos[g.index_of(g.conn_dst)])
