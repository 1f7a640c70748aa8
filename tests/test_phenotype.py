"""The phenotype: which genes a genome expresses ("reference": as the reference WANN code; "enabled")."""
import numpy as np
import pytest

from tests.helpers import random_genome
from wann.activations import apply as apply_act
from wann.genome import BIAS, HIDDEN, INPUT, OUTPUT, Genome, GenomeError
from wann.mutation import enable_connection
from wann.network import compile_genome, forward, forward_numpy


def reference_matrix(g: Genome) -> tuple[np.ndarray, np.ndarray]:
    """(wMat [N, N], activations [N]) built the way the reference's ``getNodeOrder`` builds them.

    google/brain-tokyo-workshop, WANNRelease/WANN/wann_src/ind.py: disabled genes get weight NaN;
    the hidden-to-hidden block is a *view* into the matrix and every non-zero entry of it (NaN
    included) is set to 1; hidden nodes are then sorted topologically and the matrix reordered as
    [bias, inputs, hidden in that order, outputs].
    """
    n_io = 1 + g.n_inputs + g.n_outputs
    assert np.all(g.node_kind[: n_io] != HIDDEN) and np.all(g.node_kind[n_io:] == HIDDEN)  # the reference layout
    n = g.node_id.size
    w = np.where(g.conn_enabled, 1.0, np.nan)  # conn[3, conn[4] == 0] = nan (WANN genes carry weight 1)
    w_mat = np.zeros((n, n))
    w_mat[g.index_of(g.conn_src), g.index_of(g.conn_dst)] = w
    conn_mat = w_mat[n_io:, n_io:]  # a view, as in the reference
    conn_mat[conn_mat != 0] = 1
    # Kahn over the hidden block (any topological order gives the same outputs)
    indeg, order, ready = (conn_mat != 0).sum(axis=0), [], list(np.flatnonzero((conn_mat != 0).sum(axis=0) == 0))
    while ready:
        i = ready.pop(0)
        order.append(i)
        for j in np.flatnonzero(conn_mat[i] != 0):
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(j)
    n_in = 1 + g.n_inputs
    q = np.r_[np.arange(n_in), n_io + np.asarray(order, dtype=int), np.arange(n_in, n_io)].astype(int)
    return w_mat[np.ix_(q, q)], g.node_act[q]


def reference_forward(w_mat: np.ndarray, acts: np.ndarray, n_in: int, n_out: int, x: np.ndarray, w: float):
    """The reference's ``setWeights`` (NaN -> 0, non-zero -> w) and ``act`` (np.dot per node)."""
    m = np.nan_to_num(w_mat, nan=0.0)
    m = (m != 0) * w
    vals = np.zeros((x.shape[0], m.shape[0]))
    vals[:, 0] = 1.0
    vals[:, 1 : n_in + 1] = x
    for i in range(n_in + 1, m.shape[0]):
        vals[:, i] = apply_act(int(acts[i]), vals @ m[:, i])
    return vals[:, -n_out:]


def disabled_hidden_genes(g: Genome) -> int:
    hidden = g.node_kind == HIDDEN
    return int(np.sum(~g.conn_enabled & hidden[g.index_of(g.conn_src)] & hidden[g.index_of(g.conn_dst)]))


def grown(seed: int, phenotype: str) -> Genome:
    g = random_genome(seed, n_in=4, n_out=2, n_mutations=70)
    g.phenotype = phenotype
    return g


def test_reference_phenotype_equals_the_reference_matrix_on_grown_genomes():
    x = np.random.default_rng(0).normal(0, 1.5, (16, 4))
    with_hidden_genes = 0
    for seed in range(40):
        g = grown(seed, "reference")
        with_hidden_genes += disabled_hidden_genes(g) > 0
        w_mat, acts = reference_matrix(g)
        assert g.n_connections == np.count_nonzero(np.nan_to_num(w_mat))  # the reference's nConn
        for w in (-2.0, -0.5, 1.0, 2.0):
            ours = forward(compile_genome(g), x, w)
            # np.dot sums in matrix order, we in gene order: rounding differs, chains of sin/exp amplify it
            np.testing.assert_allclose(ours, reference_forward(w_mat, acts, 4, 2, x, w), rtol=1e-8, atol=1e-10)
            np.testing.assert_allclose(ours, forward_numpy(g, x, w), rtol=1e-12, atol=1e-12)
    assert with_hidden_genes >= 10  # the property is exercised, not vacuous


def test_enabled_phenotype_is_the_enabled_genes_only():
    x = np.random.default_rng(1).normal(0, 1.5, (16, 4))
    differs = 0
    for seed in range(40):
        g = grown(seed, "enabled")
        assert g.n_connections == int(g.conn_enabled.sum())
        only_enabled = g.copy()
        keep = g.conn_enabled
        only_enabled.conn_innov, only_enabled.conn_src = g.conn_innov[keep], g.conn_src[keep]
        only_enabled.conn_dst, only_enabled.conn_enabled = g.conn_dst[keep], g.conn_enabled[keep]
        np.testing.assert_array_equal(forward(compile_genome(g), x, 1.5), forward(compile_genome(only_enabled), x, 1.5))
        ref = g.copy()
        ref.phenotype = "reference"
        differs += ref.n_connections != g.n_connections
    assert differs >= 10


def chain() -> Genome:
    """bias, 2 inputs, 1 output; hidden 4 -> hidden 5 -> output; the hidden link 4 -> 5 split by node 6."""
    kind = np.array([BIAS, INPUT, INPUT, OUTPUT, HIDDEN, HIDDEN, HIDDEN])
    act = np.array([1, 1, 1, 1, 5, 3, 9])
    src = np.array([1, 4, 5, 4, 6, 2, 0, 2])
    dst = np.array([4, 5, 3, 6, 5, 3, 3, 4])
    on = np.array([True, False, True, True, True, False, True, True])
    # disabled: 4 -> 5 (hidden -> hidden, split), 2 -> 3 (input -> output)
    return Genome(np.arange(7), kind, act, np.arange(8), src, dst, on, None, "reference")


def test_a_split_hidden_link_stays_active_and_counted_under_reference():
    g = chain()
    x = np.array([[0.3, -0.7], [1.1, 0.4]])
    assert g.n_enabled == 6 and g.n_connections == 7  # 4 -> 5 counted, 2 -> 3 not
    np.testing.assert_array_equal(g.expressed, g.conn_enabled | (np.arange(8) == 1))
    both = g.copy()
    both.conn_enabled[1] = True  # the split link switched on explicitly
    np.testing.assert_array_equal(forward(compile_genome(g), x, 0.7), forward(compile_genome(both), x, 0.7))
    off = g.copy()
    off.phenotype = "enabled"
    assert off.n_connections == 6
    assert not np.allclose(forward(compile_genome(off), x, 0.7), forward(compile_genome(g), x, 0.7))


def test_enabling_a_disabled_hidden_gene_changes_nothing_under_reference():
    g = chain()
    g.conn_enabled[5] = True  # only 4 -> 5 stays disabled
    x = np.random.default_rng(2).normal(size=(8, 2))
    child = enable_connection(g, np.random.default_rng(0))
    assert child.conn_enabled.all() and child.n_connections == g.n_connections == 8
    np.testing.assert_array_equal(forward(compile_genome(child), x, -1.0), forward(compile_genome(g), x, -1.0))
    g.phenotype = child.phenotype = "enabled"
    assert child.n_connections == g.n_connections + 1


def test_disabled_genes_from_inputs_and_into_outputs_stay_off_under_reference():
    g = chain()
    for k, (s, d) in enumerate(zip(g.conn_src.tolist(), g.conn_dst.tolist())):
        touches_io = g.node_kind[s] != HIDDEN or g.node_kind[d] != HIDDEN
        if touches_io:
            assert g.expressed[k] == g.conn_enabled[k]
    g.conn_enabled[[0, 2]] = False  # input -> hidden, hidden -> output
    assert not g.expressed[0] and not g.expressed[2] and g.n_connections == 5


def test_phenotype_travels_through_json_and_old_files_load_as_enabled():
    g = chain()
    data = g.to_dict()
    assert data["phenotype"] == "reference"
    assert Genome.from_dict(data).phenotype == "reference"
    assert Genome.from_dict(data).n_connections == g.n_connections
    del data["phenotype"]  # a file from before the phenotype existed
    assert Genome.from_dict(data).phenotype == "enabled"
    with pytest.raises(GenomeError, match="field phenotype: Input should be .reference. or .enabled."):
        Genome.from_dict(g.to_dict() | {"phenotype": "all"})


def test_plot_graph_marks_expressed_disabled_genes():
    from wann.plots import genome_graph

    graph = genome_graph(chain())
    flagged = [(u, v) for u, v, d in graph.edges(data=True) if d["disabled_gene"]]
    assert flagged == [(4, 5)] and graph.number_of_edges() == 7
    off = chain()
    off.phenotype = "enabled"
    assert not genome_graph(off).has_edge(4, 5)


def test_champion_files_carry_the_phenotype_to_show_export_and_eval(tmp_path, capsys):
    import json

    from wann import champion as champ
    from wann.cli import main
    from wann.export import network_from_dict

    g = chain()  # bias, 2 inputs, 1 output: MountainCarContinuous has 2 observations and 1 action
    task = {"name": "gym", "env_id": "MountainCarContinuous-v0", "rollouts": 1, "max_steps": 20}
    champ.save(tmp_path / "c.json", champ.Champion(g, 3, 1.0, [1.0], [1]), task, [0.5])
    assert json.loads((tmp_path / "c.json").read_text())["genome"]["phenotype"] == "reference"
    assert main(["show", str(tmp_path / "c.json")]) == 0
    assert "7 (6 enabled + 1 disabled hidden->hidden genes expressed" in capsys.readouterr().out
    assert main(["export", str(tmp_path / "c.json"), "--to", "json"]) == 0
    net, w = network_from_dict(json.loads((tmp_path / "c.network.json").read_text()))
    x = np.array([[0.3, -0.7]])
    np.testing.assert_array_equal(forward(net, x, w), forward(compile_genome(g), x, w))
    assert net.src.size == 7  # the 6 enabled genes and the disabled hidden 4 -> 5; input 2 -> output 3 stays off
