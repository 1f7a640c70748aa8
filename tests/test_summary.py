"""wann summarize: the table and bands equal a direct computation from the runs' files."""
import csv
import json

import numpy as np

from tests.test_batch import make_batch, serial
from wann.cli import main
from wann.rundir import read_log


def test_summary_numbers_equal_a_direct_computation(tmp_path, capsys):
    parent = tmp_path / "batch"
    make_batch(parent, (1, 2, 3, 7)).run(serial, 5, [])
    (parent / "seed_7" / "champion.eval.json").write_text(json.dumps({"columns": [
        {"name": "random weights", "mean": 10.0}, {"name": "tuned shared weight", "mean": 300.0, "weight": -1.0}]}))
    assert main(["summarize", str(parent)]) == 0
    assert "| **median** |" in capsys.readouterr().out
    data = json.loads((parent / "summary.json").read_text())
    logs = {s: read_log(parent / f"seed_{s}") for s in (1, 2, 3, 7)}
    champs = {s: json.loads((parent / f"seed_{s}" / "champion.json").read_text()) for s in (1, 2, 3, 7)}
    col = {h: k for k, h in enumerate(data["headers"])}
    for row in data["rows"]:
        s = row[col["seed"]]
        assert row[col["final population median"]] == logs[s][-1]["median_fitness"]
        assert row[col["final generation best"]] == logs[s][-1]["best_mean"]
        assert row[col["champion fitness"]] == champs[s]["fitness"]
        assert row[col["evaluations"]] == 5 * 12
    finals = [logs[s][-1]["best_mean"] for s in (1, 2, 3, 7)]
    stats = data["spread"]["best_mean"]
    assert stats["median"] == float(np.median(finals)) and stats["min"] == min(finals) and stats["n"] == 4
    assert stats["q1"] == float(np.percentile(finals, 25)) and stats["q3"] == float(np.percentile(finals, 75))
    assert data["spread"]["tuned shared weight"] == {"n": 1, "median": 300.0, "q1": 300.0, "q3": 300.0,
                                                     "min": 300.0, "max": 300.0}
    rows = list(csv.reader((parent / "summary.csv").open()))
    assert rows[0] == data["headers"] and rows[-5][0] == "median"
    assert (parent / "curves.png").stat().st_size > 10_000


def test_bands_are_quartiles_over_runs_per_generation(tmp_path):
    from wann.summary import bands, load_runs

    parent = tmp_path / "batch"
    make_batch(parent, (1, 2, 3)).run(serial, 4, [])
    runs = load_runs([parent])
    gens, q = bands(runs, "median_fitness")
    assert gens.tolist() == [0, 1, 2, 3]  # 0-based, as log.jsonl numbers generations
    for g in range(4):
        v = [read_log(parent / f"seed_{s}")[g]["median_fitness"] for s in (1, 2, 3)]
        np.testing.assert_array_equal(q[:, g], np.percentile(v, [25, 50, 75]))


def test_tune_and_eval_over_a_batch_give_the_papers_columns_per_champion(tmp_path, capsys):
    parent = tmp_path / "batch"
    make_batch(parent, (1, 2)).run(serial, 3, [])
    small = ["--tune-trials", "2", "--grid", "5", "--trials", "4"]
    assert main(["tune", str(parent), "--generations", "2", "--check-every", "1", "--check-trials", "2"] + small) == 0
    assert all((parent / f"seed_{s}" / "champion.tuned.json").exists() for s in (1, 2))
    assert main(["eval", str(parent), "--no-plot"] + small) == 0
    out = capsys.readouterr().out
    reports = [json.loads((parent / f"seed_{s}" / "champion.eval.json").read_text()) for s in (1, 2)]
    tuned = [next(c["mean"] for c in r["columns"] if c["name"] == "tuned weights") for r in reports]
    assert reports[0]["tuned_file"].endswith("champion.tuned.json")  # picked up beside the champion
    assert "median [min-max] of 2" in out and f"{np.median(tuned):.4g} [{min(tuned):.4g}-{max(tuned):.4g}]" in out
    assert main(["eval", str(parent), "--out", str(tmp_path / "x.json")]) == 2
