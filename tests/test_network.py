from dataclasses import replace

import numpy as np
import pytest

from tests.helpers import random_genome
from wann.activations import ALL
from wann.genome import HIDDEN, GenomeError
from wann.network import compile_genome, forward, forward_numpy

WEIGHTS = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]


@pytest.mark.parametrize("seed", range(25))
def test_numba_forward_equals_numpy_per_node_forward(seed):
    g = random_genome(seed, n_in=5, n_out=2, n_mutations=60)
    net = compile_genome(g)
    x = np.random.default_rng(seed).normal(0, 2, size=(64, 5))
    for w in WEIGHTS:
        # 1e-12, relative for outputs above 1 (deep chains of sin/exp amplify last-ulp differences)
        np.testing.assert_allclose(forward(net, x, w), forward_numpy(g, x, w), rtol=1e-12, atol=1e-12)


def test_every_activation_is_exercised():
    seen = set()
    for seed in range(25):
        g = random_genome(seed, n_in=5, n_out=2, n_mutations=60)
        seen |= set(g.node_act[g.node_kind == HIDDEN].tolist())
    assert seen == set(ALL)


def test_per_connection_weights_all_equal_w_match_shared_weight():
    g = random_genome(3, n_mutations=50)
    x = np.random.default_rng(0).normal(size=(32, 5))
    for w in WEIGHTS:
        tuned = g.copy()
        tuned.conn_weight = np.full(g.conn_src.size, w)
        np.testing.assert_array_equal(forward(compile_genome(tuned), x, 1.0), forward(compile_genome(g), x, w))


def test_hidden_node_that_reaches_no_output_is_dropped_without_changing_outputs():
    g = random_genome(4, n_mutations=60)
    hidden = g.node_id[g.node_kind == HIDDEN]
    # cut every enabled edge out of one hidden node (a loaded genome may look like this)
    victim = hidden[0]
    g.conn_enabled[g.conn_src == victim] = False
    net = compile_genome(g)
    assert net.n_nodes < g.node_id.size
    x = np.random.default_rng(1).normal(size=(16, 5))
    np.testing.assert_allclose(forward(net, x, 1.5), forward_numpy(g, x, 1.5), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("phenotype", ["enabled", "reference"])
def test_compiled_net_computes_the_expressed_genes(phenotype):
    for seed in range(10):
        g = replace(random_genome(seed, n_in=5, n_out=2, n_mutations=80), phenotype=phenotype)
        x = np.random.default_rng(seed).normal(0, 2, size=(16, 5))
        np.testing.assert_allclose(forward(compile_genome(g), x, 0.5), forward_numpy(g, x, 0.5),
                                   rtol=1e-12, atol=1e-12)


def test_a_cycle_does_not_compile():
    g = random_genome(2, n_mutations=60)
    a, b = g.node_id[g.node_kind == HIDDEN][:2]
    g.conn_innov = np.append(g.conn_innov, [10_000, 10_001])
    g.conn_src, g.conn_dst = np.append(g.conn_src, [a, b]), np.append(g.conn_dst, [b, a])
    g.conn_enabled = np.append(g.conn_enabled, [True, True])
    with pytest.raises(GenomeError, match="cycle"):
        compile_genome(g)


def test_compiled_order_is_topological():
    net = compile_genome(random_genome(7, n_mutations=80))
    for i in range(net.first, net.n_nodes):
        assert np.all(net.src[net.indptr[i] : net.indptr[i + 1]] < i)


def test_wrong_input_width_is_an_error():
    with pytest.raises(ValueError, match="expected 5 inputs"):
        forward(compile_genome(random_genome(0)), np.zeros((2, 4)))


def test_forward_rows_equals_forward_per_weight():
    from wann.network import forward_rows

    g = random_genome(11, n_in=5, n_out=2, n_mutations=50)
    net = compile_genome(g)
    x = np.random.default_rng(2).normal(size=(12, 5))
    w = np.repeat(WEIGHTS, 2)
    got = forward_rows(net, x, w)
    for j in range(12):
        np.testing.assert_array_equal(got[j], forward(net, x[j : j + 1], w[j])[0])


@pytest.mark.parametrize("seed", range(5))
def test_lane_forward_equals_scalar_forward_bit_for_bit(seed):
    from wann.network import forward_lanes

    net = compile_genome(random_genome(seed, n_in=5, n_out=2, n_mutations=60))
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2, size=(13, 5))
    w = rng.choice(WEIGHTS, size=13)
    vals = np.empty((net.n_nodes, 13))
    vals[0] = 1.0
    vals[1 : net.first] = x.T
    forward_lanes(vals, net.first, net.indptr, net.src, net.cw, net.act, w, 13)
    for j in range(13):
        np.testing.assert_array_equal(vals[-2:, j], forward(net, x[j : j + 1], w[j])[0])


@pytest.mark.parametrize("n_lanes", [1, 3, 13, 18, 37])
def test_lane_forward_equals_scalar_forward_in_every_bit_of_every_node(n_lanes):
    """Every node's value, sign of zero included (compared as IEEE bits), at lane counts below, at and beyond the
    vector width; genomes with nodes that have no incoming connection (p_init 0.5) and inputs with zeros and
    negative zeros, so a first edge's product of -0.0 is summed from 0.0 as the scalar forward does."""
    from wann.network import forward_lanes, forward_values

    for seed in range(4):
        net = compile_genome(random_genome(seed, n_in=5, n_out=2, n_mutations=60))
        rng = np.random.default_rng(seed)
        x = rng.normal(0, 2, size=(n_lanes, 5))
        x[rng.random(x.shape) < 0.2] = 0.0
        x[rng.random(x.shape) < 0.2] = -0.0
        w = rng.choice(WEIGHTS, size=n_lanes)
        vals = np.empty((net.n_nodes, n_lanes))
        vals[0] = 1.0
        vals[1 : net.first] = x.T
        forward_lanes(vals, net.first, net.indptr, net.src, net.cw, net.act, w, n_lanes)
        for j in range(n_lanes):
            one = np.empty(net.n_nodes)
            one[0], one[1 : net.first] = 1.0, x[j]
            forward_values(one, net.first, net.indptr, net.src, net.cw, net.act, w[j])
            np.testing.assert_array_equal(vals[:, j].view(np.int64), one.view(np.int64))
