"""Every run folder is resumable or absent: kills and write errors at every write boundary, edits,
two writers, temp files, the second Ctrl-C."""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from wann import checkpoint as ckpt
from wann import io as wio
from wann import rundir
from wann.cli import main
from wann.config import config_from_dict
from wann.errors import UserError
from wann.evaluation import SerialEvaluator
from wann.run import TIME_KEYS, Run
from wann.rundir import read_log

REPO = Path(__file__).resolve().parents[1]
TINY = {"run": {"generations": 5, "checkpoint_every": 2, "champion_reps": 2, "seed": 4},
        "task": {"name": "swingup", "rollouts": 1, "max_steps": 120},
        "search": {"pop_size": 10, "tournament_size": 3}, "evaluation": {"backend": "serial"}}


def strip(rows):
    return [{k: v for k, v in r.items() if k not in TIME_KEYS} for r in rows]


def finish(folder: Path, until: int = 5) -> None:
    run = Run.resume(folder)
    run.run(SerialEvaluator(run.task, run.cfg.search.weights), until=until)


def fresh(folder: Path, until: int = 5) -> Run:
    run = Run.create(config_from_dict(TINY, []), folder, {})
    run.run(SerialEvaluator(run.task, run.cfg.search.weights), until=until)
    return run


def same_as(folder: Path, reference: Path) -> None:
    assert strip(read_log(folder)) == strip(read_log(reference))
    got, want = (json.loads((f / "champion.json").read_text()) for f in (folder, reference))
    assert got == want
    (s1, p1), (s2, p2) = ckpt.load(folder), ckpt.load(reference)
    s1.pop("elapsed"), s2.pop("elapsed")
    assert s1 == s2 and [g.to_dict() for g in p1] == [g.to_dict() for g in p2]
    assert not list(folder.glob(".*.tmp"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ref") / "run"
    fresh(folder)
    return folder


def count_boundaries(tmp_path) -> int:
    seen = []
    wio.FAULT_HOOK = lambda event, path: seen.append((event, path.name))
    try:
        fresh(tmp_path / "count")
    finally:
        wio.FAULT_HOOK = None
    return len(seen)


KILLER = textwrap.dedent("""
    import os, sys, tomllib
    from wann import io
    from wann.config import config_from_dict
    from wann.evaluation import SerialEvaluator
    from wann.run import Run
    k = int(sys.argv[2]); calls = [0]
    def hook(event, path):
        calls[0] += 1
        if calls[0] == k:
            os._exit(137)  # as kill -9: no cleanup, no finally
    io.FAULT_HOOK = hook
    run = Run.create(config_from_dict(tomllib.loads(sys.argv[3]), []), sys.argv[1], {})
    run.run(SerialEvaluator(run.task, run.cfg.search.weights), until=5)
""")


@pytest.mark.slow
def test_a_kill_at_every_write_boundary_leaves_a_resumable_or_absent_folder(tmp_path, reference):
    n = count_boundaries(tmp_path)
    assert n >= 20  # creation (4 files x 2 events), 5 log lines, champions, checkpoints
    for k in range(1, n + 1):
        folder = tmp_path / f"k{k}"
        r = subprocess.run([sys.executable, "-c", KILLER, str(folder), str(k), tomli_w.dumps(TINY)],
                           cwd=REPO, capture_output=True, text=True)
        assert r.returncode == 137, r.stderr
        if not folder.exists():  # killed while the folder was being made: nothing there (the temp sibling aside)
            assert k <= 8
            continue
        finish(folder)
        same_as(folder, reference)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_write_error_at_every_boundary_is_one_clear_error_and_the_folder_resumes(tmp_path, reference, code):
    n = count_boundaries(tmp_path)
    for k in range(1, n + 1):
        calls = [0]

        def hook(event, path, k=k):
            calls[0] += 1
            if calls[0] == k:
                raise OSError(code, os.strerror(code))

        folder = tmp_path / f"{code}_{k}"
        wio.FAULT_HOOK = hook
        try:
            with pytest.raises(UserError, match=f"cannot write .*{os.strerror(code)}"):
                fresh(folder)
        finally:
            wio.FAULT_HOOK = None
        if not folder.exists():
            continue
        finish(folder)
        same_as(folder, reference)


@pytest.mark.slow
def test_random_kills_of_the_cli_always_leave_a_resumable_folder(tmp_path, reference):
    config = tmp_path / "tiny.toml"
    config.write_text(tomli_w.dumps(TINY))
    rng = np.random.default_rng(7)  # a seeded sample of kill times
    for trial, delay in enumerate(rng.uniform(0.8, 3.0, size=4)):
        folder = tmp_path / f"t{trial}"
        p = subprocess.Popen([sys.executable, "-m", "wann.cli", "evolve", str(config), "--out", str(folder),
                              "--quiet"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.kill()
        p.wait()
        if folder.exists():
            finish(folder)
            same_as(folder, reference)


def test_evolve_never_writes_into_a_folder_with_files(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "config.toml").write_text("my notes")
    config = tmp_path / "tiny.toml"
    config.write_text(tomli_w.dumps(TINY))
    assert main(["evolve", str(config), "--out", str(tmp_path / "mine"), "--quiet"]) == 2
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "mine" / "config.toml").read_text() == "my notes" and len(list((tmp_path / "mine").iterdir())) == 1
    (tmp_path / "empty").mkdir()
    assert main(["evolve", str(config), "--out", str(tmp_path / "empty"), "--quiet"]) == 0


def test_a_second_writer_is_refused(tmp_path):
    fresh(tmp_path / "r", 2)
    with rundir.writer(tmp_path / "r"):
        with pytest.raises(UserError, match="is being written by another wann process"):
            Run.resume(tmp_path / "r")
    finish(tmp_path / "r", 3)  # free again once the first writer is gone


def test_resume_brings_the_folder_in_line_with_the_checkpoint(tmp_path, reference):
    folder = tmp_path / "r"
    fresh(folder, 4)  # checkpoint at 4
    run = Run.resume(folder)
    run.step(SerialEvaluator(run.task, run.cfg.search.weights))  # generation 4 logged (and maybe a champion)
    (folder / ".checkpoint.npz.x1y2.tmp").write_bytes(b"\0" * 1000)  # an interrupted write's leftover
    (folder / "champion.json").write_text((folder / "champion.json").read_text().replace('"generation"', '"generation" '))
    run = Run.resume(folder)
    assert len(read_log(folder)) == 4 and not list(folder.glob(".*.tmp"))
    saved = ckpt.load(folder)[0]["champion"]
    assert json.loads((folder / "champion.json").read_text())["fitness"] == saved["fitness"]
    finish(folder)
    same_as(folder, reference)


def test_an_edited_config_is_refused_with_the_keys_named_and_safe_keys_pass(tmp_path, reference):
    folder = tmp_path / "r"
    fresh(folder, 2)
    text = (folder / "config.toml").read_text()
    (folder / "config.toml").write_text(text.replace("pop_size = 10", "pop_size = 12").replace("seed = 4", "seed = 5"))
    with pytest.raises(UserError, match=r"run.seed = 5 \(the run used 4\); search.pop_size = 12 \(the run used 10\)"):
        Run.resume(folder)
    (folder / "config.toml").write_text(text.replace("generations = 5", "generations = 9")
                                        .replace("checkpoint_every = 2", "checkpoint_every = 3"))
    finish(folder)  # safe keys: generations, checkpoint interval
    assert strip(read_log(folder)) == strip(read_log(reference))


def test_resume_generations_must_be_positive(tmp_path, capsys):
    fresh(tmp_path / "r", 2)
    assert main(["resume", str(tmp_path / "r"), "--generations", "0"]) == 2
    assert "--generations 0: the new total must be >= 1" in capsys.readouterr().err


def test_eval_and_tune_check_they_can_write_before_they_compute(tmp_path, capsys, monkeypatch):
    import wann.protocol
    import wann.tuning

    def never(*args, **kwargs):
        raise AssertionError("computed before checking the output could be written")

    monkeypatch.setattr(wann.protocol, "evaluate_champion", never)
    monkeypatch.setattr(wann.tuning, "tune", never)
    run = fresh(tmp_path / "r", 2)
    (tmp_path / "blocked").write_text("a file, not a folder")
    for command in ("eval", "tune"):
        assert main([command, str(run.dir), "--out", str(tmp_path / "blocked" / "out.json")]) == 2
        assert "cannot write" in capsys.readouterr().err


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "wann.cli", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_generation(p: subprocess.Popen) -> None:
    for line in p.stdout:
        if line.startswith("gen "):
            return
    raise AssertionError("no generation line")


@pytest.mark.slow
@pytest.mark.parametrize("interrupts", [1, 2])
def test_ctrl_c_once_or_twice_keeps_a_checkpoint_and_exits_130(tmp_path, interrupts):
    folder = tmp_path / "r"
    p = _start(["evolve", str(REPO / "configs" / "quick.toml"), "--out", str(folder), "--set", "task.rollouts=40",
                "--set", "run.generations=1000"])
    _wait_for_generation(p)
    for _ in range(interrupts):
        p.send_signal(signal.SIGINT)
        time.sleep(0.05)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130 and "Traceback" not in err and "SystemError" not in err
    assert f"Continue with: wann resume {folder}" in err
    generation = ckpt.load(folder)[0]["generation"]
    assert len(read_log(folder)) >= generation >= 1
    run = Run.resume(folder)  # resumable: the log is cut back to the checkpoint
    assert run.generation == generation == len(read_log(folder))
    shutil.rmtree(folder)


@pytest.mark.parametrize("task", [
    {"name": "gym", "env_id": "Pendulum-v1", "rollouts": 1, "max_steps": 30},
    {"name": "mnist256", "minibatch": 50, "train_size": 500},
])
def test_gym_and_mnist_runs_resume_bit_for_bit(tmp_path, task, monkeypatch, request):
    if task["name"] == "mnist256":
        monkeypatch.setenv("WANN_MNIST_DIR", str(request.getfixturevalue("mnist_dir")))
    raw = {"run": {"generations": 4, "checkpoint_every": 2, "champion_reps": 2},
           "task": task, "search": {"pop_size": 8, "tournament_size": 2}}
    for name, stops in (("straight", [4]), ("resumed", [2, 4])):
        for k, until in enumerate(stops):
            run = Run.resume(tmp_path / name) if k else Run.create(config_from_dict(raw, []), tmp_path / name, {})
            run.run(SerialEvaluator(run.task, run.cfg.search.weights), until=until)
    same_as(tmp_path / "resumed", tmp_path / "straight")


def test_files_and_folders_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        fresh(tmp_path / "r", 2)
    finally:
        os.umask(old)
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o755
    for name in ("config.toml", "meta.json", "checkpoint.npz", "champion.json", "log.jsonl"):
        assert (tmp_path / "r" / name).stat().st_mode & 0o777 == 0o644, name
