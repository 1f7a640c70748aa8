"""wann evolve --seeds: a batch equals its single runs bit for bit, resumes, and survives a failing seed."""
import json

import numpy as np
import pytest

from wann import checkpoint as ckpt
from wann.batch import Batch, parse_seeds, run_folders
from wann.cli import main
from wann.config import config_from_dict
from wann.errors import UserError
from wann.evaluation import SerialEvaluator
from wann.reporters import Callback
from wann.run import TIME_KEYS, Interrupted, Run
from wann.rundir import read_log

TINY = {
    "run": {"generations": 6, "checkpoint_every": 2, "champion_reps": 3},
    "task": {"name": "swingup", "rollouts": 2, "max_steps": 200},
    "search": {"pop_size": 12, "tournament_size": 3},
    "evaluation": {"backend": "serial"},
}


def strip(rows):
    return [{k: v for k, v in r.items() if k not in TIME_KEYS} for r in rows]


def single(folder, seed, until=6):
    run = Run.create(config_from_dict(TINY, [f"run.seed={seed}"]), folder, {})
    run.run(SerialEvaluator(run.task, run.cfg.search.weights), until=until)


def same_run(a, b):
    assert strip(read_log(a)) == strip(read_log(b))
    assert (a / "champion.json").read_text() == (b / "champion.json").read_text()
    (sa, pa), (sb, pb) = ckpt.load(a), ckpt.load(b)
    sa.pop("elapsed"), sb.pop("elapsed")
    assert sa == sb and [g.to_dict() for g in pa] == [g.to_dict() for g in pb]


def make_batch(parent, seeds=(4, 5, 6)):
    return Batch.create(config_from_dict(TINY, []), parent, list(seeds), {})


def serial(run):
    return SerialEvaluator(run.task, run.cfg.search.weights)


def test_parse_seeds():
    assert parse_seeds("0-3,8") == [0, 1, 2, 3, 8] and parse_seeds("5") == [5] and parse_seeds("2,1,2") == [1, 2]
    for bad in ("", "3-1", "-1", "a", "1,,2"):
        with pytest.raises(UserError, match="--seeds"):
            parse_seeds(bad)


def test_a_batch_equals_its_single_runs_bit_for_bit(tmp_path):
    batch = make_batch(tmp_path / "batch")
    outcomes = batch.run(serial, 6, [])
    assert [(o.seed, o.status, o.generation) for o in outcomes] == [(4, "done", 6), (5, "done", 6), (6, "done", 6)]
    assert run_folders(tmp_path / "batch") == [tmp_path / "batch" / f"seed_{s}" for s in (4, 5, 6)]
    for s in (4, 5, 6):
        single(tmp_path / f"single_{s}", s)
        same_run(tmp_path / "batch" / f"seed_{s}", tmp_path / f"single_{s}")
    logs = [strip(read_log(tmp_path / "batch" / f"seed_{s}")) for s in (4, 5, 6)]
    assert logs[0] != logs[1] != logs[2]  # the seeds really differ


def test_an_interrupted_batch_resumes_to_the_same_result(tmp_path):
    batch = make_batch(tmp_path / "batch")

    def stop_in_seed_5(seed, row):
        if seed == 5 and row["generation"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted):
        batch.run(serial, 6, [], reporters=lambda seed: [Callback(lambda row: stop_in_seed_5(seed, row))])
    assert not (tmp_path / "batch" / "seed_6").exists()
    assert len(read_log(tmp_path / "batch" / "seed_5")) == 3
    Batch.load(tmp_path / "batch").run(serial, 6, [])
    for s in (4, 5, 6):
        single(tmp_path / f"single_{s}", s)
        same_run(tmp_path / "batch" / f"seed_{s}", tmp_path / f"single_{s}")


def test_a_failing_seed_is_reported_and_the_others_finish(tmp_path, capsys):
    parent = tmp_path / "batch"
    make_batch(parent).run(serial, 4, [])
    (parent / "seed_5" / ckpt.FILE).write_bytes(b"not a checkpoint")  # seed 5 can no longer resume
    assert main(["resume", str(parent), "--generations", "6", "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "seed 5: failed" in out and "checkpoint.npz is corrupt" in out and f"wann resume {parent}" in err
    for s in (4, 6):
        assert len(read_log(parent / f"seed_{s}")) == 6
        single(tmp_path / f"single_{s}", s)
        same_run(parent / f"seed_{s}", tmp_path / f"single_{s}")


def test_evolve_seeds_cli_writes_a_batch_folder(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    import tomli_w

    config.write_text(tomli_w.dumps(TINY))
    assert main(["evolve", str(config), "--seeds", "0-1", "--out", str(tmp_path / "b"), "--quiet"]) == 0
    data = json.loads((tmp_path / "b" / "batch.json").read_text())
    assert data["format"] == "wann.batch/1" and data["seeds"] == [0, 1]
    assert main(["evolve", str(config), "--seeds", "0-1", "--out", str(tmp_path / "b"), "--quiet"]) == 2
    assert "already holds a run or a batch" in capsys.readouterr().err
    assert main(["resume", str(tmp_path / "b"), "--quiet"]) == 0
    assert "already finished" in capsys.readouterr().out
    assert np.all([len(read_log(tmp_path / "b" / f"seed_{s}")) == 6 for s in (0, 1)])
