"""python -m prune_baselines: real MNIST (small subset), TOML configs, clean errors."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from prune_baselines.cli import main
from prune_baselines.data import load_dataset
from prune_baselines.results import load_network, load_result

REPO = Path(__file__).resolve().parents[1]


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "prune_baselines", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("size", [784, 256])
def test_mnist_data_path(mnist_dir, size):
    d = load_dataset(mnist_dir, size, n_train=100, n_test=50)
    assert d.x_train.shape == (100, size) and d.x_test.shape == (50, size)
    assert 0.0 <= float(d.x_train.min()) and float(d.x_train.max()) <= 1.0 + 1e-6
    assert d.n_classes == 10


def test_cli_imp_on_mnist_subset(mnist_dir, tmp_path, capsys):
    out = tmp_path / "imp"
    rc = main(["--method", "imp", "--model", "mlp", "--hidden", "64", "--input", "256", "--target-connections", "3000",
             "--rate", "0.5", "--output-rate", "0.3", "--epochs", "2", "--n-train", "3000", "--n-test", "1000",
             "--data-dir", str(mnist_dir), "--out", str(out), "--seeds", "1"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "level 0" in err and "test acc" in err      # progress on stderr
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert int(rows[0]["connections"]) == 256 * 64 + 64 * 10 and int(rows[-1]["connections"]) == 3000
    assert float(rows[0]["test_accuracy"]) > 0.8
    res = load_result(out)
    assert res.provenance["command"].startswith("python -m prune_baselines --method imp")
    assert res.config["input"] == 256
    net = load_network(out)
    assert sum(int(m.sum()) for m in net.masks) == 3000


def test_toml_config_and_flag_override(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('method = "magnitude"\nmodel = "mlp"\nhidden = [16]\ninput = 12\n'
                   'target_connections = [60, 100]\nseeds = [3]\nepochs = 1\nsynthetic = true\nn_train = 300\n')
    assert main(["--config", str(cfg), "--out", str(tmp_path / "o"), "--epochs", "2", "--quiet"]) == 0
    res = load_result(tmp_path / "o")
    assert res.config["method"] == "magnitude" and res.config["epochs"] == 2 and res.seeds() == [3]
    assert sorted(r["connections"] for r in res.records) == [60, 100, 12 * 16 + 16 * 4]  # synthetic: 4 classes
    assert "results in" in capsys.readouterr().out


@pytest.mark.parametrize("args,msg", [
    (["--model", "mlp", "--synthetic", "--input", "10"], "needs hidden layer sizes"),
    (["--data-dir", "/nonexistent/mnist", "--epochs", "1"], "nonexistent"),
    (["--config", "/nonexistent.toml"], "not found"),
    (["--synthetic", "--input", "10", "--model", "mlp", "--hidden", "4", "--target-connections", "999999"],
     "exceeds"),
    (["--synthetic", "--input", "10", "--model", "mlp", "--hidden", "4", "--controls", "reinit", "--method", "obd"],
     "controls"),
])
def test_errors_return_nonzero_with_a_message(args, msg, tmp_path, capsys):
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o" / "config.json").exists()  # nothing written for a refused run
    err = capsys.readouterr().err
    assert err.startswith("error: ") and msg in err


def test_cli_process_exits_nonzero_without_traceback(tmp_path):
    for args, msg in [(["--method", "lottery"], "invalid choice"),
                      (["--data-dir", "/nonexistent/mnist", "--epochs", "1"], "/nonexistent/mnist")]:
        r = _run(*args, "--out", tmp_path / "o")
        assert r.returncode != 0
        assert msg in r.stderr
        assert "Traceback" not in r.stderr


def test_cli_reports_connections_on_input_output_paths(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["--synthetic", "--input", "6", "--model", "mlp", "--hidden", "4", "--target-connections", "12",
                 "--method", "random", "--n-train", "200", "--n-test", "50", "--epochs", "1", "--quiet",
                 "--out", str(out)]) == 0
    res = load_result(out)
    r = max(res.records, key=lambda r: r["level"])
    assert capsys.readouterr().out == (f"seed 0: {r['effective_connections']} connections ({r['connections']} weights "
                                       f"kept), test accuracy {100 * r['test_accuracy']:.2f}%\nresults in {out}\n")
    assert r["connections"] == 12 and res.provenance["synthetic"] is True


@pytest.mark.parametrize("text,seeds", [("3", (0, 1, 2)), ("2,", (2,)), ("0, 2", (0, 2)), (" 1", (0,))])
def test_seeds_flag_is_a_count_or_a_comma_list(text, seeds):
    import argparse

    from prune_baselines.cli import _settings, add_arguments
    p = argparse.ArgumentParser()
    add_arguments(p)
    assert _settings(p.parse_args(["--seeds", text])).seeds == seeds


@pytest.mark.parametrize("front,prog", [("prune_baselines", "python -m prune_baselines"), ("wann", "wann prune")])
def test_help_names_the_command_it_was_run_as(front, prog, capsys):
    if front == "wann":
        from wann.cli import main as wann_main

        def run(flags):
            return wann_main(["prune", *flags])
    else:
        run = main
    with pytest.raises(SystemExit) as stop:
        run(["--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {prog} [-h]")
