"""wann compare: the table from two tiny fixed networks equals hand-computed numbers; the loaders."""
from __future__ import annotations

import json

import numpy as np
import pytest

from prune_baselines.results import point_arrays, read_point, save_npz
from wann.cli import main
from wann.compare import Network, markdown, markdown_budgets, markdown_weights, pruned_networks, score, series_label, summarize
from wann.genome import BIAS, INPUT, OUTPUT, Genome
from wann.compare.pruned_graph import mlp_genome

X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [1.0, 3.0]])
Y = np.array([0, 1, 1, 1])
# pruned MLP 2-1-2: h = relu(x1 - x2); outputs (h, -h + 0.5)
W = [np.array([[1.0, -1.0]]), np.array([[1.0], [-1.0]])]
B = [np.array([0.0]), np.array([0.0, 0.5])]
M = [np.ones((1, 2), bool), np.ones((2, 1), bool)]


def _wann() -> Network:
    """x1 -> output 0, x2 -> output 1: under w the logits are (w x1, w x2)."""
    g = Genome(np.arange(5), np.array([BIAS, INPUT, INPUT, OUTPUT, OUTPUT]), np.ones(5, dtype=np.int64),
               np.arange(2), np.array([1, 2]), np.array([3, 4]), np.ones(2, bool))
    return Network("WANN", "w.json", 0, 7, 2, 2, 2, {"shared": g})


def _pruned() -> Network:
    genomes = {"trained": mlp_genome(W, B, M, "trained"), "shared": mlp_genome(W, B, M, "shared"),
               "signed_trained": mlp_genome(W, B, M, "signed", bias_signs_from=B)}
    return Network("magnitude", "p", 3, 1, 2, 3, 6, genomes, train_epochs=2.0, train_wall_s=5.0)


def test_rows_equal_hand_computed():
    rows = score(_wann(), X, Y, [-1.0, 2.0]) + score(_pruned(), X, Y, [-1.0, 2.0])
    got = {(r["series"], r["evaluation"], r["weight"]): r["accuracy"] for r in rows}
    # WANN: w>0 predicts argmax(x1, x2): right on samples 0, 1, 3; w<0 the opposite: right on sample 2 only.
    # ensemble (mean softmax of w=-1 and w=2): the confident w=2 wins on every sample -> 3/4
    assert got[("WANN", "shared", -1.0)] == 0.25 and got[("WANN", "shared", 2.0)] == 0.75
    assert got[("WANN", "shared best", 2.0)] == 0.75 and got[("WANN", "shared ensemble", None)] == 0.75
    # pruned, trained: predicts 0 when x1 > x2: right on samples 0, 1, 3
    assert got[("magnitude", "trained", 1.0)] == 0.75
    # shared (bias connections carry w too): both outputs are w * (1 + h): a tie, argmax 0 -> only sample 0
    assert got[("magnitude", "shared", -1.0)] == got[("magnitude", "shared", 2.0)] == 0.25
    assert got[("magnitude", "shared ensemble", None)] == 0.25
    # signed (trained signs, zero bias -> no bias): logits (w h, w (1 - h)), h = relu(w (x1 - x2)): 3/4 for both w
    assert got[("magnitude", "signed_trained", -1.0)] == got[("magnitude", "signed_trained", 2.0)] == 0.75
    assert got[("magnitude", "signed_trained best", -1.0)] == 0.75


def test_best_w_chosen_on_a_validation_split_reports_the_test_accuracy_there():
    # on this validation split w < 0 is right (label = argmin), so 'best' takes w = -1 and reports its test accuracy
    xv, yv = np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([1, 0])
    rows = score(_wann(), X, Y, [-1.0, 2.0], select=(xv, yv))
    best = next(r for r in rows if r["evaluation"] == "shared best")
    assert best["weight"] == -1.0 and best["accuracy"] == 0.25  # not the test set's own best (w = 2: 0.75)


def test_seeds_of_one_target_group_together_whatever_their_effective_connections():
    row = {"series": "S", "evaluation": "trained", "weight": 1.0, "connections_with_biases": 0, "train_epochs": 1,
           "train_wall_s": 1, "eval_s": 0, "kept": 100}
    rows = [row | {"seed": 0, "connections": 98, "accuracy": 0.5}, row | {"seed": 1, "connections": 100, "accuracy": 0.7}]
    (s,) = summarize(rows)
    assert (s["kept"], s["connections"], s["n"], s["seeds"]) == (100, 99, 2, [0, 1]) and abs(s["mean"] - 0.6) < 1e-12


def test_summary_and_markdown_table():
    a, b = _pruned(), _pruned()
    b.seed, b.connections_with_biases = 4, 8
    b.genomes = {"trained": mlp_genome(W, [B[0], np.array([0.0, -5.0])], M, "trained")}  # always class 0: 1/4
    rows = score(a, X, Y, [-1.0, 2.0]) + score(b, X, Y, [-1.0, 2.0]) + score(_wann(), X, Y, [-1.0, 2.0])
    summ = {(s["series"], s["evaluation"], s["weight"]): s for s in summarize(rows)}
    t = summ[("magnitude", "trained", None)]
    assert (t["n"], t["mean"], t["sd"], t["connections_with_biases"], t["seeds"]) == (2, 0.5, 0.25, 7.0, [3, 4])
    assert summ[("WANN", "shared", 2.0)]["mean"] == 0.75
    lines = markdown(summarize(rows)).splitlines()
    assert lines[2] == "| WANN | 2 (2) | 1 | - | 75.00 | 75.00 | - | - | - | - | 0 | 0 | " + lines[2].split(" | ")[-1]
    assert lines[3].startswith("| magnitude | 3 (7) | 2 | 50.00 ± 25.00 | 25.00 | 25.00 | 75.00 | 75.00 | - | - | 2 | 5 |")
    per_w = markdown_weights(summarize(rows)).splitlines()
    assert per_w[0] == "| series | connections | w = -1 | w = 2 |"
    assert per_w[2:] == ["| WANN | 2 | 25.00 | 75.00 |", "| magnitude | 3 | 25.00 | 25.00 |"]


def test_budget_table_picks_nearest_point_per_series():
    def pt(series, conns, ev, mean):
        return {"series": series, "connections": conns, "connections_with_biases": float(conns), "evaluation": ev,
                "weight": None, "n": 1, "mean": mean, "sd": 0.0, "train_wall_s": 7.0}
    summary = [pt("WANN", 10, "shared best", 0.8), pt("WANN", 20, "shared best", 0.5),  # champion: the 10
               *[pt("IMP", c, "trained", a) for c, a in ((11, 0.9), (19, 0.95), (50, 0.97), (100, 0.98), (130, 0.99))],
               pt("OBD", 14, "trained", 0.5), pt("OBD", 27, "trained", 0.6)]  # 1.4x and 1.35x off: never shown
    lines = markdown_budgets(summary).splitlines()[2:]
    got = [(l.split(" | ")[0].lstrip("| "), l.split(" | ")[1], l.split(" | ")[2]) for l in lines]
    assert got == [("1× (10)", "WANN", "10 (10)"), ("1× (10)", "IMP", "11 (11)"), ("2× (20)", "WANN", "20 (20)"),
                   ("2× (20)", "IMP", "19 (19)"), ("5× (50)", "IMP", "50 (50)"), ("10× (100)", "IMP", "100 (100)")]
    assert lines[1].split(" | ")[4] == "90.00" and markdown_budgets(summary[2:]) == ""


def _prune_folder(tmp_path):
    folder = tmp_path / "prune"
    (folder / "seed_0").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"config": {"method": "magnitude", "model": "mlp", "input": 2},
                                                    "provenance": {"command": "python -m prune_baselines x"}}))
    rec = {"method": "magnitude", "variant": "ticket", "seed": 0, "level": 1, "connections": 4,
           "connections_with_biases": 6, "per_layer": [2, 2], "density": 0.75, "test_accuracy": 0.75, "epochs": 2.0,
           "cumulative_epochs": 4.0, "iterations": 10, "wall_s": 5.0, "cumulative_wall_s": 9.0, "loss": 0.1}
    m0 = np.array([[True, True], [False, False]])  # 2-2-2, hidden unit 1 pruned away
    w0, w1 = np.array([[1.0, -1.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [-1.0, 0.0]])
    m1 = np.array([[True, False], [True, False]])
    b = [np.zeros(2), np.array([0.0, 0.5])]
    save_npz(folder / "seed_0" / "ticket_level_01.npz", point_arrays([w0, w1], b, [m0, m1], rec))
    save_npz(folder / "seed_0" / "init.npz", {"weight_0": -w0 + 0.5, "weight_1": w1, "bias_0": b[0], "bias_1": b[1]})
    return folder


def test_pruned_folder_loader_and_random_control(tmp_path):
    nets = pruned_networks(_prune_folder(tmp_path))
    assert [n.series for n in nets] == ["magnitude", "magnitude random mask (untrained)"]
    ticket, ctrl = nets
    assert set(ticket.genomes) == {"trained", "shared", "signed_trained", "signed_init"}
    assert set(ctrl.genomes) == {"shared", "signed_init"}
    rows = {(r["evaluation"], r["weight"]): r["accuracy"] for r in score(ticket, X, Y, [1.0])}
    assert rows[("trained", 1.0)] == 0.75
    ws = lambda g: int(np.count_nonzero(g.conn_src != 0))  # weight connections (bias node is 0)
    assert ws(ctrl.genomes["shared"]) == ws(ticket.genomes["shared"]) == 4
    assert (ticket.train_epochs, ticket.train_wall_s) == (4.0, 9.0)  # the cost of the whole chain to this point
    assert pruned_networks(_prune_folder(tmp_path / "b"), max_connections=2) == []


def test_series_labels_and_dense_duplicates_skipped(tmp_path):
    lab = lambda m, v, l: series_label({"method": m, "variant": v, "level": l})
    assert (lab("imp", "ticket", 3), lab("imp", "random_mask", 3), lab("imp", "reinit", 3)) == \
        ("IMP", "IMP random mask (trained)", "IMP reinit")
    assert (lab("obd", "ticket", 0), lab("random", "ticket", 2), lab("synflow", "ticket", 1)) == \
        ("dense MLP", "random mask (trained)", "SynFlow")
    # masks learned over frozen weights are named for their weights, never as a 'signed constant' evaluation
    assert (lab("supermask", "ticket", 1), lab("supermask_signed", "ticket", 1)) == \
        ("supermask (frozen random weights)", "supermask (frozen ±c weights)")
    assert (series_label({"method": "supermask", "variant": "ticket", "level": 1}, "none"),
            series_label({"method": "supermask_signed", "variant": "ticket", "level": 1}, "dynamic"),
            series_label({"method": "supermask", "variant": "ticket", "level": 1}, "fan")) == \
        ("supermask (frozen random weights, unscaled)", "supermask (frozen ±c weights, dynamic rescaling)",
         "supermask (frozen random weights)")  # fan, the default, is not named
    folder = _prune_folder(tmp_path)
    rec0 = {**json.loads(str(np.load(folder / "seed_0" / "ticket_level_01.npz")["record_json"])), "level": 0}
    p = read_point(folder / "seed_0" / "ticket_level_01.npz")
    save_npz(folder / "seed_0" / "ticket_level_00.npz", point_arrays(p.weights, p.biases, p.masks, rec0))
    # level 1 has as many connections as the dense level 0: only the dense point stays
    assert [n.series for n in pruned_networks(folder)] == ["dense MLP"]


def test_cli_errors(tmp_path, capsys):
    assert main(["compare", "--out", str(tmp_path)]) == 2
    assert "--wann" in capsys.readouterr().err
    assert main(["compare", "--baselines", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "config.json" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_end_to_end_writes_tables(tmp_path, monkeypatch):
    from wann.compare import scoring

    monkeypatch.setattr(scoring, "mnist_test_set", lambda data_dir, n: (X, Y))
    out = tmp_path / "out"
    assert main(["compare", "--baselines", str(_prune_folder(tmp_path)), "--weights=-1,2", "--out", str(out)]) == 0
    doc = json.loads((out / "compare.json").read_text())
    assert doc["format"] == "wann.compare/1" and doc["provenance"]["weights"] == [-1.0, 2.0]
    assert doc["provenance"]["command"].startswith("wann compare --baselines ")  # its own argv, not the process's
    assert (out / "compare.csv").read_text().count("\n") == len(doc["rows"]) + 1
    # 4 weights on input->output paths; with biases: hidden unit 0 (the only one on a path) and the 2 outputs
    assert (out / "compare.png").stat().st_size > 0 and "| magnitude | 4 (7) |" in (out / "compare.md").read_text()
    synthetic = _prune_folder(tmp_path / "s")
    (synthetic / "config.json").write_text((synthetic / "config.json").read_text().replace(
        '"provenance": {', '"provenance": {"synthetic": true, '))
    assert main(["compare", "--baselines", str(synthetic), "--out", str(tmp_path / "o2")]) == 2


@pytest.mark.slow
def test_plot_draws_a_pruned_point(tmp_path, capsys):
    folder = _prune_folder(tmp_path)
    assert main(["plot", str(folder / "seed_0" / "ticket_level_01.npz"), "--out", str(tmp_path / "fig")]) == 0
    assert (tmp_path / "fig" / "ticket_level_01.png").stat().st_size > 0
    assert "ticket_level_01.svg" in capsys.readouterr().out
    assert main(["plot", str(folder / "seed_0" / "init.npz")]) == 2  # not a point file: one clear line
    assert "not a prune_baselines point" in capsys.readouterr().err


@pytest.mark.slow
def test_a_supermask_is_compared_with_its_weights_under_a_shuffled_mask(tmp_path, mnist_dir):
    from prune_baselines.cli import main as prune

    out = tmp_path / "sm"
    assert prune(["--method", "supermask", "--model", "mlp", "--hidden", "8", "--input", "256", "--target-connections",
                  "300", "--epochs", "1", "--n-train", "600", "--n-test", "300", "--seeds", "1", "--data-dir",
                  str(mnist_dir), "--out", str(out), "--quiet"]) == 0
    nets = {n.series: n for n in pruned_networks(out)}
    point, control = nets["supermask (frozen random weights)"], nets["supermask (frozen random weights) random mask "
                                                                     "(untrained)"]
    assert set(control.genomes) == {"trained", "shared", "signed_init"}  # frozen weights: a 'trained' control
    w_point = np.sort(point.genomes["trained"].conn_weight)
    w_ctrl = control.genomes["trained"].conn_weight
    assert w_point.size == w_ctrl.size and not np.array_equal(w_point, np.sort(w_ctrl))  # same count, other weights
