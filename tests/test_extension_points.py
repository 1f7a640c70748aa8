"""Extension points: a new task is one file plus one registry line (tests/toy_task.py), every command takes
it; the Task protocol's optional capabilities are declared and found by isinstance, never by a task's name."""
from __future__ import annotations

import json

import pytest

from wann import tasks
from wann.cli import main
from wann.tasks.protocol import ChampionSummary, Ensemble, HeldOutMetric, ImageInputs, LabelledTestSet, TrainingData

TOY = "tests.toy_task:SignOptions:SignTask"


@pytest.fixture
def sign_task(monkeypatch):
    monkeypatch.setitem(tasks.REGISTRY, "sign", TOY)  # the one registry line


def test_a_new_task_runs_through_every_command(sign_task, tmp_path, capsys):
    cfg = tmp_path / "sign.toml"
    cfg.write_text('[run]\ngenerations = 12\nchampion_reps = 3\n[task]\nname = "sign"\nsamples = 24\n'
                   '[search]\npop_size = 24\n[evaluation]\nbackend = "serial"\n')
    run = tmp_path / "run"
    assert main(["evolve", str(cfg), "--out", str(run), "--quiet"]) == 0
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and rows[-1]["best_mean"] > rows[0]["median_fitness"]
    champion = json.loads((run / "champion.json").read_text())
    assert champion["task"] == {"name": "sign", "rollouts": 2, "samples": 24}
    assert main(["show", str(run)]) == 0
    assert "champion of task sign" in capsys.readouterr().out
    assert main(["eval", str(run), "--trials", "4", "--tune-trials", "3", "--grid", "5", "--no-plot",
                 "--set", "task.samples=8"]) == 0
    report = json.loads((run / "champion.eval.json").read_text())
    assert report["task_overrides"] == ["samples=8"] and report["metric"] == "score"
    assert main(["plot", str(run)]) == 0
    assert (run / "champion.png").stat().st_size > 0
    assert main(["export", str(run), "--to", "json"]) == 0
    assert json.loads((run / "champion.network.json").read_text())["inputs"] == ["x", "noise"]


def test_an_unregistered_task_is_a_clear_error(tmp_path, capsys):
    cfg = tmp_path / "sign.toml"
    cfg.write_text('[task]\nname = "sign"\n')
    assert main(["evolve", str(cfg), "--out", str(tmp_path / "r")]) == 2
    assert "unknown task 'sign'" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_capabilities_are_declared_not_guessed(sign_task, mnist_dir):
    from wann.tasks.mnist import MnistOptions
    from wann.tasks.swingup import SwingUpOptions

    caps = (HeldOutMetric, Ensemble, TrainingData, ImageInputs, LabelledTestSet, ChampionSummary)
    mnist = tasks.make_task(MnistOptions(data_dir=str(mnist_dir), train_size=100, minibatch=50))
    assert all(isinstance(mnist, c) for c in caps)
    for task in (tasks.make_task(SwingUpOptions()), tasks.make_task(tasks.task_options_class("sign")())):
        assert not any(isinstance(task, c) for c in caps)


def test_your_own_gymnasium_env_by_module_and_id(tmp_path):
    """The README's recipe: `env_id = "module:Id"`; the module registers the env when imported."""
    cfg = tmp_path / "reach.toml"
    cfg.write_text('[run]\ngenerations = 6\nchampion_reps = 2\n[task]\nname = "gym"\n'
                   'env_id = "tests.toy_env:ReachTarget-v0"\nrollouts = 2\n[search]\npop_size = 16\n'
                   '[evaluation]\nbackend = "serial"\n')
    run = tmp_path / "run"
    assert main(["evolve", str(cfg), "--out", str(run), "--quiet"]) == 0
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and all(-100 <= r["best_mean"] <= 0 for r in rows)  # 50 steps, distance <= 2
    assert json.loads((run / "champion.json").read_text())["task"]["env_id"] == "tests.toy_env:ReachTarget-v0"
