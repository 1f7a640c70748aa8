"""Networks released with the reference WANN code, read as genomes (fixtures/reference, see its NOTICE)."""
from pathlib import Path

import numpy as np
import pytest

from wann.seeds import draw_seeds, seed_streams
from wann.tasks import task_options
from wann.cli import main
from wann.errors import UserError
from wann.evaluation import SerialEvaluator
from wann.network import compile_genome
from wann.reference_files import read_network, read_tuned_weights
from wann.tasks import make_task

REF = Path(__file__).parent / "fixtures" / "reference"
SERIES = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]


def swingup(rollouts=1):
    return make_task(task_options({"name": "swingup", "rollouts": rollouts, "max_steps": 1000}, "test"))


def test_the_reference_swingup_champion_scores_as_the_paper_reports():
    """Paper (Gaier & Ha 2019, swing-up): 52 connections; mean over the six weights ~611; best weight
    723 +- 16; WANNTool's tuned weights 932 +- 6. Our environment and kernel give the same."""
    g = read_network(REF / "swing.out", 5, 1)
    assert g.n_connections == 52 and g.n_hidden == 22 and g.phenotype == "reference"
    seeds = draw_seeds(seed_streams(0)["test"], 20).tolist()
    per_weight = SerialEvaluator(swingup(), SERIES).evaluate([compile_genome(g)] * 20, seeds).mean(axis=(0, 2))
    assert 590 < per_weight.mean() < 640 and 680 < per_weight.max() < 730
    tuned = read_tuned_weights(REF / "cartpole_swingup.wann.json", g, -1.5)
    scores = SerialEvaluator(swingup(), [1.0]).evaluate([compile_genome(tuned)] * 20, seeds)[:, 0, 0]
    assert scores.mean() > 915 and scores.min() > 850


def test_genes_keep_the_file_order_and_disabled_entries(tmp_path):
    # bias, 2 inputs, hidden (tanh), output; bias -> output disabled (NaN)
    text = "0,0,0,0,nan,1\n0,0,0,1,0,1\n0,0,0,1,1,1\n0,0,0,0,-1.5,5\n0,0,0,0,0,1\n"
    (tmp_path / "net.out").write_text(text)
    g = read_network(tmp_path / "net.out", 2, 1)
    assert g.node_kind.tolist() == [4, 1, 1, 2, 3] and g.node_act.tolist() == [1, 1, 1, 1, 5]
    assert list(zip(g.conn_src.tolist(), g.conn_dst.tolist())) == [(0, 3), (1, 4), (2, 4), (2, 3), (4, 3)]
    assert g.conn_enabled.tolist() == [False, True, True, True, True] and g.n_connections == 4
    x = np.array([[0.3, -0.2]])
    net = compile_genome(g)
    from wann.network import forward

    assert forward(net, x, 0.5)[0, 0] == pytest.approx(0.5 * (np.tanh(0.5 * (0.3 - 0.2)) - 0.2))
    (tmp_path / "w.json").write_text("[[0.1, 0.2, 0.3, 0.4], 900]")
    t = read_tuned_weights(tmp_path / "w.json", g, -1.0)
    np.testing.assert_allclose(t.conn_weight, [0.0, -0.9, -0.8, -0.7, -0.6])


@pytest.mark.parametrize("text, match", [
    ("1,2,3\n", "N x \\(N\\+1\\)"),
    ("a,b\n", "not a reference network"),
    ("0,0,0,0,1,1\n0,0,0,0,1,1\n0,0,0,0,1,1\n0,0,1,0,0,1\n0,0,0,0,0,1\n", "below the diagonal"),
    ("0,0,0,0,1,1\n0,0,0,0,1,1\n0,0,0,0,1,1\n0,0,0,0,0,12\n0,0,0,0,0,1\n", "activation column"),
    ("0,1,1\n0,0,1\n", "fewer than the task's"),
])
def test_malformed_reference_files_are_clear_errors(tmp_path, text, match):
    (tmp_path / "bad.out").write_text(text)
    with pytest.raises(UserError, match=match):
        read_network(tmp_path / "bad.out", 2, 1)


def test_import_cli_writes_champions_that_show_reads(tmp_path, capsys):
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "ref.json"
    assert main(["import", str(REF / "swing.out"), "--config", str(repo / "configs" / "swingup.toml"),
                 "--reps", "2", "--out", str(out)]) == 0
    assert main(["show", str(out)]) == 0
    assert "imported from" in capsys.readouterr().out
    assert main(["import", str(REF / "swing.out"), "--config", str(repo / "configs" / "swingup.toml"),
                 "--tuned", str(REF / "cartpole_swingup.wann.json"), "--reps", "2", "--out", str(out)]) == 2
    assert "--weight-bias" in capsys.readouterr().err
