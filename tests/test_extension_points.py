"""Extension points: a new task is one file plus one registry line (tests/toy_task.py), every command takes
it; the Task protocol's optional capabilities are declared and found by isinstance, never by a task's name."""
from __future__ import annotations

import json
import signal
from dataclasses import dataclass

import numpy as np
import pytest

from tests.conftest import REPO
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


@dataclass
class BrokenOptions:
    name: str = "broken"
    kind: str = "no_score"


class BrokenTask:
    """A task with one fault of a kind, chosen by its options: what the checks must catch before any work."""

    n_inputs, n_outputs, n_rollouts = 2, 1, 2
    input_names, output_names, activations = ("a", "b"), ("y",), (1, 5)

    def __init__(self, options: BrokenOptions) -> None:
        self.name = options.name
        if options.kind == "no_score":
            self.score = None
        elif options.kind == "names":
            self.output_names = ("y", "z")
        elif options.kind == "activations":
            self.activations = (1, 42)

    def score(self, net, weights, seed):
        return np.zeros(len(weights))  # kind "shape": [n_weights] instead of [n_weights, n_rollouts]


@pytest.mark.parametrize("entry, message", [
    ("tests.no_such_module:SignOptions:SignTask", "cannot import 'tests.no_such_module'"),
    ("tests.toy_task:SignOption:SignTask", "has no class 'SignOption'"),
    ("tests.toy_task:SignTask", "not of the form 'module:OptionsClass:TaskClass'"),
])
def test_a_broken_registry_entry_is_a_clear_error(entry, message, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(tasks.REGISTRY, "sign", entry)
    cfg = tmp_path / "sign.toml"
    cfg.write_text('[task]\nname = "sign"\n')
    assert main(["evolve", str(cfg), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "task registry entry 'sign'" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("kind, message", [
    ("no_score", "no method score(net, weights, seed)"),
    ("names", "2 output_names for 1 n_outputs"),
    ("activations", "activations (1, 42)"),
])
def test_a_task_that_breaks_the_protocol_fails_before_the_run_folder(kind, message, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(tasks.REGISTRY, "broken", "tests.test_extension_points:BrokenOptions:BrokenTask")
    cfg = tmp_path / "b.toml"
    cfg.write_text(f'[task]\nname = "broken"\nkind = "{kind}"\n')
    assert main(["evolve", str(cfg), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "does not follow the Task protocol" in err and message in err and not (tmp_path / "r").exists()


def test_a_score_of_the_wrong_shape_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(tasks.REGISTRY, "broken", "tests.test_extension_points:BrokenOptions:BrokenTask")
    cfg = tmp_path / "b.toml"
    cfg.write_text('[task]\nname = "broken"\nkind = "shape"\n[search]\npop_size = 4\n')
    assert main(["evolve", str(cfg), "--out", str(tmp_path / "r")]) == 2
    assert "returned an array of shape (6,); the Task protocol asks for [n_weights, n_rollouts] = (6, 2)" in \
        capsys.readouterr().err


def test_task_overrides_of_eval_are_typed_like_the_config(sign_task, tmp_path, capsys):
    cfg = tmp_path / "sign.toml"
    cfg.write_text('[run]\ngenerations = 2\n[task]\nname = "sign"\n[search]\npop_size = 8\n')
    run = tmp_path / "run"
    assert main(["evolve", str(cfg), "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    for flag, message in ((["--set", "task.samples=abc"], "[task] samples = 'abc' should be of type int"),
                          (["--task", "sampels=3"], "unknown key(s) ['sampels'] in [task]; valid keys: "
                                                    "['name', 'rollouts', 'samples']"),
                          (["--task", "samples"], "task override 'samples': expected KEY=VALUE")):
        assert main(["eval", str(run), "--trials", "2", *flag]) == 2
        assert message in capsys.readouterr().err


def test_an_env_module_that_cannot_be_imported_is_named(tmp_path, capsys):
    cfg = tmp_path / "reach.toml"
    cfg.write_text('[task]\nname = "gym"\nenv_id = "tests.no_such_env:ReachTarget-v0"\n')
    assert main(["evolve", str(cfg), "--out", str(tmp_path / "r")]) == 2
    assert "cannot import module 'tests.no_such_env'" in capsys.readouterr().err


def test_ctrl_c_outside_the_generations_exits_130_without_a_traceback(tmp_path, monkeypatch, capsys):
    import wann.protocol

    monkeypatch.setattr(signal, "signal", lambda *a: None)  # leave this process's Ctrl-C handler alone
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(wann.protocol, "evaluate_champion", interrupted)
    champion = tmp_path / "c.json"
    champion.write_text((REPO / "tests" / "fixtures" / "legacy_champion.json").read_text())
    assert main(["eval", str(champion), "--trials", "2"]) == 130
    assert capsys.readouterr().err.startswith("interrupted")
