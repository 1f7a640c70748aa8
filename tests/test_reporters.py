"""Reporters: the per-generation line's time left, TensorBoard scalars read back from the event files."""
from __future__ import annotations

import json
import struct

import pytest

from tests.conftest import REPO
from wann.cli import main
from wann.reporters import _clock

QUICK = str(REPO / "configs" / "quick.toml")
SMALL = ["--set", "run.generations=5", "--set", "search.pop_size=8", "--set", "task.rollouts=1",
         "--set", "run.champion_reps=1"]


def read_scalars(folder) -> dict[str, dict[int, float]]:
    """tag -> {step: value} of every TFRecord event file under ``folder`` (a reader of the record format)."""
    from tensorboardX.proto.event_pb2 import Event

    out: dict[str, dict[int, float]] = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data, pos = path.read_bytes(), 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            event = Event.FromString(data[pos + 12 : pos + 12 + length])  # skip the length's crc
            pos += 12 + length + 4  # and the data's crc
            for v in event.summary.value:
                out.setdefault(v.tag, {})[event.step] = v.simple_value
    return out


def test_tensorboard_scalars_equal_the_log(tmp_path, capsys):
    run = tmp_path / "r"
    assert main(["evolve", QUICK, "--out", str(run), "--tensorboard", "--quiet", *SMALL]) == 0
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    scalars = read_scalars(run / "tensorboard")
    assert sorted(scalars["fitness/best_mean"]) == list(range(5))
    for row in rows:
        g = row["generation"]
        assert scalars["fitness/best_mean"][g] == pytest.approx(row["best_mean"], rel=1e-6)  # float32 in TB
        assert scalars["fitness/population_median"][g] == pytest.approx(row["median_fitness"], rel=1e-6)
        assert scalars["size/mean_connections"][g] == pytest.approx(row["mean_conns"], rel=1e-6)
    assert "tensorboard = true" in (run / "config.toml").read_text()
    # resuming longer (without the flag: the folder's config keeps it on) appends the new generations
    assert main(["resume", str(run), "--generations", "7", "--quiet"]) == 0
    assert sorted(read_scalars(run / "tensorboard")["fitness/best_mean"]) == list(range(7))


def test_no_tensorboard_by_default_and_the_progress_line_says_the_time_left(tmp_path, capsys):
    run = tmp_path / "r"
    assert main(["evolve", QUICK, "--out", str(run), *SMALL]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("gen ")]
    assert len(lines) == 5 and all("  ETA " in line for line in lines) and lines[-1].endswith("ETA 0:00:00")
    assert not (run / "tensorboard").exists()


def test_clock():
    assert [_clock(s) for s in (0, 59.6, 61, 3600 * 25 + 62)] == ["0:00:00", "0:01:00", "0:01:01", "25:01:02"]


def test_the_progress_line_numbers_generations_as_the_files_do(tmp_path, capsys):
    run = tmp_path / "r"
    assert main(["evolve", QUICK, "--out", str(run), *SMALL]) == 0
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    lines = [line for line in out.splitlines() if line.startswith("gen ")]
    assert [int(line.split()[1]) for line in lines] == [r["generation"] for r in rows] == list(range(5))
    assert lines[-1].split()[2] == "(5/5)"
    champion = json.loads((run / "champion.json").read_text())
    assert f"champion from generation {champion['generation']}," in out  # the same numbering


def test_the_time_left_is_the_pace_after_the_first_generation(monkeypatch, capsys):
    """First generation 60 s (compiling), then 2 s each: the ETA uses 60 s once, then 2 s per generation left."""
    from types import SimpleNamespace

    import wann.reporters as rep

    clock = iter([100.0, 102.0, 104.0, 106.0])
    monkeypatch.setattr(rep.time, "perf_counter", lambda: next(clock))
    line = rep.ProgressLine(total=10)
    row = {"best_mean": 1.0, "best_max": 1.0, "best_conns": 1, "median_fitness": 1.0, "champion_fitness": None}
    for g, seconds in enumerate([60.0, 2.0, 2.0, 2.0]):
        run = SimpleNamespace(generation=g + 1)
        line.generation(run, rep.Generation(row | {"generation": g, "seconds": seconds}, 8, 0, None, 10))
    etas = [ln.rsplit("ETA ", 1)[1] for ln in capsys.readouterr().out.splitlines()]
    assert etas == [_clock(60 * 9), _clock(2 * 8), _clock(2 * 7), _clock(2 * 6)]
