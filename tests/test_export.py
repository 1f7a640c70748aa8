import json
import sys

import networkx as nx
import numpy as np
import pytest
import torch

from tests.conftest import REPO
from tests.helpers import random_genome
from wann import champion as champ
from wann.cli import main
from wann.export import WannModule, export_graphml, export_onnx, export_torch, network_from_dict, network_to_dict
from wann.network import compile_genome, forward

TASK = {"name": "swingup", "rollouts": 1, "max_steps": 100}


def _cases():
    """Random genomes (1 and 3 outputs), weight agnostic and with random per-connection weights."""
    for seed in range(24):
        n_out = 1 if seed % 2 else 3
        g = random_genome(seed, n_in=5, n_out=n_out, n_mutations=20 + 3 * seed)
        rng = np.random.default_rng(100 + seed)
        yield g, float(rng.uniform(-2, 2)), rng
        tuned = g.copy()
        tuned.conn_weight = rng.uniform(-2, 2, g.conn_innov.size)
        yield tuned, 1.0, rng


def test_torch_module_equals_numba_forward():
    worst = 0.0
    for g, w, rng in _cases():
        net = compile_genome(g)
        x = rng.uniform(-3, 3, (64, 5))
        got = WannModule(net, w)(torch.tensor(x)).detach().numpy()
        want = forward(net, x, w)
        assert got.shape == want.shape
        worst = max(worst, float(np.max(np.abs(got - want))))
    assert worst < 1e-6


def test_module_weights_are_trainable_and_fold_the_shared_weight():
    g = random_genome(3, n_mutations=30)
    net = compile_genome(g)
    m = WannModule(net, -1.5)
    m(torch.randn(16, 5, dtype=torch.float64)).pow(2).sum().backward()
    assert m.weight.grad is not None and m.weight.grad.shape == (net.src.size,)
    assert np.allclose(m.edge_weights(), -1.5 * net.cw)
    assert [n for n, _ in m.named_parameters()] == ["weight"]  # the shared weight is a buffer


def test_network_json_round_trip_is_exact():
    g = random_genome(5, n_mutations=60)
    net = compile_genome(g)
    data = json.loads(json.dumps(network_to_dict(net, -0.5, ["a", "b", "c", "d", "e"], ["f"], TASK)))
    assert data["format"] == "wann.network/1" and data["weight_agnostic"] is True
    assert len(data["edges"]["source"]) == net.src.size and len(data["nodes"]["kind"]) == net.n_nodes
    assert set(data["activations"]) == {str(a) for a in set(net.act.tolist())}
    back, w = network_from_dict(data)
    x = np.random.default_rng(1).uniform(-2, 2, (20, 5))
    np.testing.assert_array_equal(forward(back, x, w), forward(net, x, -0.5))


def test_onnx_output_equals_torch(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    for seed in (1, 2, 8):
        g = random_genome(seed, n_in=5, n_out=2, n_mutations=40)
        m = WannModule(compile_genome(g), 0.75)
        path = tmp_path / f"n{seed}.onnx"
        export_onnx(m, path, list("abcde"), ["y0", "y1"])
        x = np.random.default_rng(seed).uniform(-3, 3, (33, 5))  # another batch size than traced
        got = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
        np.testing.assert_allclose(got, m(torch.tensor(x)).detach().numpy(), rtol=0, atol=1e-9)


@pytest.mark.slow
def test_torch_export_program_loads_and_equals(tmp_path):
    g = random_genome(4, n_mutations=40)
    m = WannModule(compile_genome(g), 2.0)
    export_torch(m, tmp_path / "n.pt2")
    loaded = torch.export.load(str(tmp_path / "n.pt2")).module()
    x = torch.tensor(np.random.default_rng(0).uniform(-2, 2, (9, 5)))
    np.testing.assert_array_equal(loaded(x).detach().numpy(), m(x).detach().numpy())


def test_graphml_holds_the_enabled_graph(tmp_path):
    g = random_genome(9, n_mutations=50)
    export_graphml(g, tmp_path / "g.graphml", list("abcde"), ["force"])
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_edges() == g.n_connections
    labels = {d["label"] for _, d in back.nodes(data=True)}
    assert {"a", "e", "force", "bias"} <= labels


def test_export_cli_defaults_to_the_best_series_weight(tmp_path, capsys):
    g = random_genome(2, n_mutations=30)
    file = tmp_path / "champion.json"
    champ.save(file, champ.Champion(g, 3, 10.0, [1.0, 5.0, 2.0], [1]), TASK, [-1.0, 0.5, 2.0])
    assert main(["export", str(file), "--to", "json"]) == 0
    data = json.loads((tmp_path / "champion.network.json").read_text())
    assert data["shared_weight"] == 0.5 and data["inputs"][2] == "cos th" and data["outputs"] == ["force"]
    assert "under shared weight +0.50" in capsys.readouterr().out
    tuned = tmp_path / "tuned.json"
    g.conn_weight = np.ones(g.conn_innov.size)
    champ.save(tuned, champ.Champion(g, 3, 10.0, [1.0], [1]), TASK, [1.0])
    assert main(["export", str(tuned), "--to", "json", "--weight", "2"]) == 2  # own weights: --weight refused


def test_onnx_export_without_the_onnx_package_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as after `pip install .` alone: import onnx fails
    champion = tmp_path / "c.json"
    champion.write_text((REPO / "tests" / "fixtures" / "legacy_champion.json").read_text())
    assert main(["export", str(champion), "--to", "onnx"]) == 2
    assert "pip install 'wann[onnx]'" in capsys.readouterr().err and not (tmp_path / "c.onnx").exists()
