"""The non-finite rule (wann.evaluation): a rollout whose return or network output is not finite scores
-inf; such individuals rank last and are never elite or champion; files hold no NaN/Infinity tokens."""
import dataclasses
import json

import numpy as np
import pytest

from tests.helpers import random_genome
from wann.protocol import Sweep
from wann.config import config_from_dict
from wann.errors import UserError
from wann.evaluation import SerialEvaluator, score_batch
from wann.genome import Genome
from wann.io import dumps, write_json
from wann.network import compile_genome
from wann.ranking import nsga_rank
from wann.run import Run
from wann.rundir import read_log
from wann.tasks import make_task
from wann.tasks import task_options


def bias_net(n_in: int, n_out: int, value: float):
    """A net whose every output is ``value`` (the bias through an edge of multiplier ``value``)."""
    g = Genome.minimal(n_in, n_out, 0.0, np.random.default_rng(0))
    g.conn_enabled[:: n_in + 1] = True  # bias -> each output
    net = compile_genome(g)
    return dataclasses.replace(net, cw=np.full(net.cw.size, value), shared=False)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_swingup_non_finite_action_scores_minus_infinity(value):
    task = make_task(task_options({"name": "swingup", "rollouts": 2, "max_steps": 50}, "t"))
    scores = score_batch(task, np.array([1.0]), [bias_net(5, 1, value), bias_net(5, 1, 0.0)], [3, 3])
    assert np.all(scores[0] == -np.inf) and np.all(np.isfinite(scores[1]))


def test_gym_non_finite_action_scores_minus_infinity():
    task = make_task(task_options({"name": "gym", "env_id": "Pendulum-v1", "rollouts": 1, "max_steps": 20}, "t"))
    scores = score_batch(task, np.array([1.0]), [bias_net(3, 1, np.nan), bias_net(3, 1, 0.5)], [1, 1])
    assert scores[0, 0, 0] == -np.inf and np.isfinite(scores[1, 0, 0])


def test_a_network_that_does_not_fit_the_task_is_refused_before_any_kernel_runs():
    task = make_task(task_options({"name": "swingup", "rollouts": 1, "max_steps": 10}, "t"))
    with pytest.raises(ValueError, match="8 inputs and 1 outputs cannot run on task swingup"):
        score_batch(task, np.array([1.0]), [bias_net(8, 1, 1.0)], [0])


def test_ranking_puts_non_finite_rows_last_and_keeps_the_finite_order():
    obj = np.array([[-np.inf, 1.0], [1.0, 0.5], [5.0, 0.25], [np.nan, 2.0], [3.0, 0.4]])
    rank = nsga_rank(obj)
    assert sorted(rank[[0, 3]].tolist()) == [3, 4] and rank[0] < rank[3]  # non-finite last, index order
    finite = nsga_rank(obj[[1, 2, 4]])
    assert rank[[1, 2, 4]].tolist() == finite.tolist()  # as if the non-finite rows were not there


def test_non_finite_individuals_are_never_elite_or_champion(tmp_path, capsys):
    cfg = config_from_dict({"run": {"generations": 3, "champion_reps": 2, "seed": 1},
                            "task": {"name": "swingup", "rollouts": 1, "max_steps": 60},
                            "search": {"pop_size": 10, "elite_ratio": 0.5, "prob_moo": 0.0}}, [])
    run = Run.create(cfg, tmp_path / "r", {})

    class HalfBroken(SerialEvaluator):  # individuals 0..6 of every generation score NaN
        def evaluate(self, nets, seeds, stop=None):
            out = super().evaluate(nets, seeds, stop)
            if len(nets) == 10:
                out[:7] = np.nan
                out[~np.isfinite(out)] = -np.inf  # what every evaluator does (score_batch)
            return out

    ev = HalfBroken(run.task, cfg.search.weights)
    for _ in range(3):
        pop, before = list(run.search.population), run.champion
        run.step(ev)
        good = [json.dumps(g.to_dict()) for g in pop[7:]]
        # elite_ratio 0.5 of 8 survivors would be 4 elites; only the 3 finite individuals may be elites
        assert sorted(json.dumps(g.to_dict()) for g in run.search.population[:3]) == sorted(good)
        if run.champion is not before:  # a new champion comes from the finite individuals only
            assert json.dumps(run.champion.genome.to_dict()) in good
    assert run.champion is not None
    err = capsys.readouterr().err
    assert err.count("7 of 10 individuals scored non-finite") == 3
    text = (tmp_path / "r" / "log.jsonl").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert all(r["median_fitness"] is None for r in read_log(tmp_path / "r"))  # the median is -inf: null


def test_json_files_hold_null_for_non_finite_numbers(tmp_path):
    write_json(tmp_path / "x.json", {"a": float("nan"), "b": [1.0, float("inf")], "c": {"d": -float("inf")}})
    assert json.loads((tmp_path / "x.json").read_text(), parse_constant=lambda c: pytest.fail(c)) == \
        {"a": None, "b": [1.0, None], "c": {"d": None}}
    assert dumps(float("nan")) == "null"


def test_the_sweep_never_picks_a_non_finite_weight():
    s = Sweep(np.array([-1.0, 0.0, 1.0]), np.array([[-np.inf, 2.0, 1.0], [5.0, 2.0, 1.0]]), 0.0)
    assert s.best == 0.0
    with pytest.raises(UserError, match="no shared weight of the sweep gives a finite score"):
        _ = Sweep(np.array([-1.0, 1.0]), np.full((2, 2), -np.inf), 0.0).best


@pytest.mark.parametrize("weights", ["[nan, 1.0]", "[1e300, 1.0]", "[inf]", "[1001.0]", "[true]"])
def test_shared_weights_must_be_finite_and_bounded(weights):
    with pytest.raises(UserError, match=r"\[search\] weights"):
        config_from_dict({}, [f"search.weights={weights}"])


def test_overflowing_networks_run_to_the_end_with_finite_logs(tmp_path):
    cfg = config_from_dict({"run": {"generations": 4, "champion_reps": 2},
                            "task": {"name": "swingup", "rollouts": 1, "max_steps": 100},
                            "search": {"pop_size": 12, "weights": [1000.0, -1000.0]}}, [])
    run = Run.create(cfg, tmp_path / "r", {})
    run.run(SerialEvaluator(run.task, cfg.search.weights))
    for g in [random_genome(s) for s in range(5)]:
        scores = SerialEvaluator(run.task, cfg.search.weights).evaluate([compile_genome(g)], [0])
        assert not np.isnan(scores).any()
    assert "NaN" not in (tmp_path / "r" / "log.jsonl").read_text()


def test_elites_are_finite_only(monkeypatch):
    import wann.search
    from wann.config import SearchConfig
    from wann.search import Search

    calls = []
    monkeypatch.setattr(wann.search, "mutate", lambda g, *a: calls.append(g) or g.copy())
    s = Search(SearchConfig(pop_size=10, elite_ratio=0.9, cull_ratio=0.0, prob_moo=0.0), 5, 1, (1, 2),
               np.random.default_rng(0))
    start = list(s.population)
    mean = np.array([5.0, -np.inf, 3.0, -np.inf, -np.inf, 1.0, -np.inf, -np.inf, -np.inf, -np.inf])
    s.tell(mean, mean)
    # 9 elites asked for, 3 finite individuals: exactly those, best first; the rest are children
    assert [g.to_dict() for g in s.population[:3]] == [start[i].to_dict() for i in (0, 2, 5)]
    assert len(s.population) == 10 and len(calls) == 7
