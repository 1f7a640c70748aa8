import json

import numpy as np
import pytest

from wann import checkpoint as ckpt
from wann.config import config_from_dict
from wann.evaluation import SerialEvaluator
from wann.run import TIME_KEYS, Run
from wann.rundir import read_log

SMALL = {
    "run": {"generations": 8, "checkpoint_every": 2, "champion_reps": 3, "seed": 5},
    "task": {"name": "swingup", "rollouts": 2, "max_steps": 300},
    "search": {"pop_size": 16, "tournament_size": 3},
}


def run_to(path, until, overrides=(), resume=False):
    if resume:
        run = Run.resume(path)
    else:
        run = Run.create(config_from_dict(SMALL, list(overrides)), path, {})
    ev = SerialEvaluator(run.task, run.cfg.search.weights)
    run.run(ev, until=until)
    return run


def strip(rows):
    return [{k: v for k, v in r.items() if k not in TIME_KEYS} for r in rows]


def test_resume_is_bit_for_bit(tmp_path):
    run_to(tmp_path / "a", 8)
    run_to(tmp_path / "b", 4)
    run_to(tmp_path / "b", 8, resume=True)
    assert strip(read_log(tmp_path / "a")) == strip(read_log(tmp_path / "b"))
    assert len(read_log(tmp_path / "b")) == 8
    assert (tmp_path / "a" / "champion.json").read_text() == (tmp_path / "b" / "champion.json").read_text()
    (sa, pa), (sb, pb) = (ckpt.load(tmp_path / p) for p in "ab")
    sa.pop("elapsed"), sb.pop("elapsed")
    assert sa == sb and [g.to_dict() for g in pa] == [g.to_dict() for g in pb]


def test_resume_cuts_log_lines_written_after_the_checkpoint(tmp_path):
    run_to(tmp_path / "a", 8)
    run_to(tmp_path / "b", 4)
    # simulate a crash after generation 5 was logged but before its checkpoint
    run = Run.resume(tmp_path / "b")
    run.step(SerialEvaluator(run.task, run.cfg.search.weights))
    assert len(read_log(tmp_path / "b")) == 5
    run_to(tmp_path / "b", 8, resume=True)
    assert strip(read_log(tmp_path / "a")) == strip(read_log(tmp_path / "b"))


def test_same_seed_same_result_other_seed_differs(tmp_path):
    run_to(tmp_path / "a", 4)
    run_to(tmp_path / "b", 4)
    run_to(tmp_path / "c", 4, ["run.seed=6"])
    a, b, c = (strip(read_log(tmp_path / p)) for p in "abc")
    assert a == b and a != c


def test_log_rows_and_champion_rule(tmp_path):
    run = run_to(tmp_path / "a", 8)
    rows = read_log(tmp_path / "a")
    assert [r["generation"] for r in rows] == list(range(8))
    assert [r["evaluations"] for r in rows] == [16 * (i + 1) for i in range(8)]
    for key in ("median_fitness", "best_mean", "best_max", "best_conns", "best_nodes", "mean_conns", "seconds"):
        assert key in rows[0]
    champ = json.loads((tmp_path / "a" / "champion.json").read_text())
    assert champ["fitness"] == run.champion.fitness
    # the champion's fitness only ever rises, and is the mean of its per-weight scores
    fits = [r["champion_fitness"] for r in rows]
    assert fits == sorted(fits)
    assert np.mean(champ["per_weight"]) == pytest.approx(champ["fitness"])
    assert len(champ["seeds"]) == 3


def test_refuses_to_overwrite_a_run(tmp_path):
    from wann.errors import UserError

    run_to(tmp_path / "a", 2)
    with pytest.raises(UserError, match="already holds a run"):
        Run.create(config_from_dict(SMALL, []), tmp_path / "a", {})


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    from wann.errors import UserError

    run_to(tmp_path / "a", 2)
    (tmp_path / "a" / "checkpoint.npz").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="checkpoint.npz is corrupt"):
        Run.resume(tmp_path / "a")
    (tmp_path / "a" / "checkpoint.npz").unlink()
    with pytest.raises(UserError, match="checkpoint.npz not found"):
        Run.resume(tmp_path / "a")


class Recording(SerialEvaluator):
    """A serial evaluator that keeps every generation's scores (population-sized calls only)."""

    def __init__(self, task, weights, pop_size):
        super().__init__(task, weights)
        self.pop_size, self.calls = pop_size, []

    def evaluate(self, nets, seeds, stop=None):
        scores = super().evaluate(nets, seeds, stop)
        if len(nets) == self.pop_size:
            self.calls.append(scores.copy())
        return scores


def test_log_statistics_equal_a_recomputation_from_the_scores(tmp_path):
    run = Run.create(config_from_dict(SMALL, ["run.champion_reps=5"]), tmp_path / "a", {})
    ev = Recording(run.task, run.cfg.search.weights, 16)
    conns = []
    for _ in range(6):
        conns.append(np.array([g.n_connections for g in run.search.population]))
        run.step(ev)
    rows = read_log(tmp_path / "a")
    assert len(ev.calls) == len(rows) == 6
    for row, scores, c in zip(rows, ev.calls, conns):
        per_weight = scores.mean(axis=2)  # [individual, weight]: mean over rollouts
        mean, best = per_weight.mean(axis=1), per_weight.max(axis=1)
        i = int(np.argmax(mean))
        assert row["median_fitness"] == float(np.median(mean))
        assert row["best_mean"] == float(mean.max()) and row["best_max"] == float(best[i])
        assert row["best_conns"] == int(c[i]) and row["mean_conns"] == float(c.mean())
    assert len({r["best_mean"] for r in rows}) > 1 and any(r["best_mean"] > r["median_fitness"] for r in rows)


class AbortedCheck(SerialEvaluator):
    """A second Ctrl-C during the first champion check, after the next generation was bred beside it."""

    def __init__(self, task, weights):
        super().__init__(task, weights)
        self.aborted = False

    def submit(self, nets, seeds):
        result = super().submit(nets, seeds)

        def abort_once(stop=None):
            if not self.aborted:
                self.aborted = True
                raise KeyboardInterrupt
            return result(stop)
        return abort_once


def test_an_abandoned_champion_check_undoes_the_generation(tmp_path):
    run_to(tmp_path / "a", 6)
    run = Run.create(config_from_dict(SMALL, []), tmp_path / "b", {})
    ev = AbortedCheck(run.task, run.cfg.search.weights)
    while run.generation < 6:
        before = ([g.to_dict() for g in run.search.population], run.search.state(), run.eval_rng.bit_generator.state)
        try:
            run.step(ev)
        except KeyboardInterrupt:
            after = ([g.to_dict() for g in run.search.population], run.search.state(),
                     run.eval_rng.bit_generator.state)
            assert after == before  # nothing of the generation happened, though its children were bred
    assert ev.aborted
    assert strip(read_log(tmp_path / "a")) == strip(read_log(tmp_path / "b"))
    run.checkpoint()
    (sa, pa), (sb, pb) = (ckpt.load(tmp_path / p) for p in "ab")
    sa.pop("elapsed"), sb.pop("elapsed")
    assert sa == sb and [g.to_dict() for g in pa] == [g.to_dict() for g in pb]
