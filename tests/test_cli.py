import json
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from wann import checkpoint as ckpt
from wann.cli import main
from wann.rundir import NUMERICS, read_log

QUICK = str(REPO / "configs" / "quick.toml")


def wann(*args, **kw):
    return subprocess.run([sys.executable, "-m", "wann.cli", *args], capture_output=True, text=True, cwd=REPO, **kw)


@pytest.mark.slow
def test_demo_runs_and_improves(tmp_path):
    out = tmp_path / "demo"
    r = wann("evolve", QUICK, "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = read_log(out)
    assert len(rows) == 40 and r.stdout.count("gen ") == 40
    assert max(x["best_mean"] for x in rows[-10:]) > rows[0]["best_mean"]
    assert rows[-1]["champion_fitness"] > rows[0]["champion_fitness"]
    for name in ("config.toml", "meta.json", "log.jsonl", "checkpoint.npz", "champion.json"):
        assert (out / name).exists()
    show = wann("show", str(out))
    assert show.returncode == 0 and "connections:" in show.stdout and "w = +2.00" in show.stdout
    assert show.stdout.count("w = ") == 6


def test_set_override_is_recorded(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["evolve", QUICK, "--out", str(out), "--set", "run.generations=2", "--set", "search.pop_size=8",
                 "--quiet"]) == 0
    assert "pop_size = 8" in (out / "config.toml").read_text()
    meta = json.loads((out / "meta.json").read_text())
    assert "search.pop_size=8" in meta["overrides"]
    assert meta["numerics"] == NUMERICS == 2  # the folder says which numerics its scores come from
    assert len(read_log(out)) == 2
    # resume past the end asks for --generations; with it, continues
    assert main(["resume", str(out), "--quiet"]) == 0
    assert "already at generation 2" in capsys.readouterr().out
    assert main(["resume", str(out), "--generations", "3", "--quiet"]) == 0
    assert len(read_log(out)) == 3


@pytest.mark.parametrize("args, message", [
    (["evolve", "nope.toml"], "nope.toml not found"),
    (["evolve", QUICK, "--set", "search.pop=3"], "--set 'search.pop=3': unknown key 'pop' in [search]"),
    (["resume", "/nonexistent/run"], "not a run folder"),
    (["show", "/nonexistent/run"], "no such run folder or champion file"),
])
def test_user_errors_exit_2_without_traceback(args, message):
    r = wann(*args)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr


def test_ctrl_c_writes_a_checkpoint_and_resume_finishes(tmp_path):
    out = tmp_path / "r"
    p = subprocess.Popen([sys.executable, "-m", "wann.cli", "evolve", QUICK, "--out", str(out),
                          "--set", "run.generations=100000", "--set", "run.checkpoint_every=1000"],
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(read_log(out) if out.exists() else []) < 3:
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert "wann resume" in err and "Traceback" not in err
    ck, _ = ckpt.load(out)
    assert ck["generation"] == len(read_log(out)) >= 3
    assert main(["resume", str(out), "--generations", str(ck["generation"] + 1), "--quiet"]) == 0


def test_wann_prune_passes_flags_to_prune_baselines(tmp_path, mnist_dir):
    out = tmp_path / "p"
    r = wann("prune", "--method", "magnitude", "--input", "256", "--target-connections", "2000", "--seeds", "1",
             "--epochs", "0.1", "--n-train", "2000", "--n-test", "500", "--data-dir", str(mnist_dir),
             "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    rows = json.loads((out / "results.json").read_text())
    rows = rows["records"] if isinstance(rows, dict) else rows
    assert any(row["connections"] == 2000 for row in rows)
    bad = wann("prune", "--method", "nope")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr and "Traceback" not in bad.stderr
