import json

import numpy as np
import pytest

from tests.helpers import random_genome
from wann import champion as champ
from wann.protocol import evaluate_champion, weight_grid
from wann.seeds import draw_seeds, seed_streams
from wann.tasks import task_options, trial_options
from wann.weights import constant_weights, edge_innovations, topology, with_edge_weights, with_weights
from wann.cli import main
from wann.errors import UserError
from wann.evaluators import make_evaluator
from wann.network import compile_genome, forward
from wann.tasks import make_task

TASK = {"name": "swingup", "rollouts": 3, "max_steps": 120}
SERIES = [-2.0, -1.0, 0.5, 2.0]


def serial(task, weights):
    return make_evaluator("serial", task, weights)


@pytest.fixture(scope="module")
def small():
    """A small champion (a genome grown by mutation) and its one-rollout task."""
    g = random_genome(21, n_mutations=25)
    return g, make_task(trial_options(task_options(TASK, "test")))


def test_table_numbers_equal_a_direct_recomputation(small):
    g, task = small
    rep = evaluate_champion(g, task, SERIES, serial, trials=6, tune_trials=4, grid_points=9, seed=5)
    rng = seed_streams(5)
    test, tune = draw_seeds(rng["test"], 6), draw_seeds(rng["tune"], 4)
    shared = rng["shared"].uniform(-2, 2, 6)
    indiv = rng["individual"].uniform(-2, 2, (6, g.conn_innov.size))
    net = compile_genome(g)

    def episode(n, w, seed):
        return task.score(n, np.array([w]), int(seed))[0, 0]

    direct = {
        "random weights": [episode(compile_genome(with_weights(g, indiv[t])), 1.0, test[t]) for t in range(6)],
        "random shared weight": [episode(compile_genome(constant_weights(g, shared[t])), 1.0, test[t])
                                 for t in range(6)],
    }
    for w in SERIES:
        direct[f"w = {w:+.2f}"] = [episode(net, w, s) for s in test]
    sweep = np.array([[episode(net, w, s) for w in weight_grid(9)] for s in tune]).mean(axis=0)
    best = float(weight_grid(9)[np.argmax(sweep)])
    direct["tuned shared weight"] = [episode(net, best, s) for s in test]
    assert rep.sweep.best == best
    np.testing.assert_array_equal(rep.sweep.mean, sweep)
    assert [c.name for c in rep.columns] == list(direct)
    for name, values in direct.items():
        np.testing.assert_array_equal(rep.column(name).values, values)
    table = rep.table()
    for name, values in direct.items():
        assert f"{np.mean(values):.4g}" in next(line for line in table.splitlines() if line.startswith(name))


def test_test_draws_do_not_depend_on_the_tuning_settings(small):
    g, task = small
    a = evaluate_champion(g, task, SERIES, serial, trials=3, tune_trials=2, grid_points=5, seed=1)
    b = evaluate_champion(g, task, SERIES, serial, trials=3, tune_trials=5, grid_points=7, seed=1)
    np.testing.assert_array_equal(a.test_seeds, b.test_seeds)
    np.testing.assert_array_equal(a.column("random weights").values, b.column("random weights").values)
    assert not set(a.test_seeds.tolist()) & set(b.tune_seeds.tolist())


def test_tuned_weights_column_scores_the_own_weights(small):
    g, task = small
    tuned = with_weights(g, np.random.default_rng(0).uniform(-2, 2, g.conn_innov.size))
    rep = evaluate_champion(tuned, task, SERIES, serial, trials=3, tune_trials=2, grid_points=5, seed=2)
    want = [task.score(compile_genome(tuned), np.ones(1), int(s))[0, 0] for s in rep.test_seeds]
    np.testing.assert_array_equal(rep.column("tuned weights").values, want)
    # the weight agnostic columns use the topology only
    plain = evaluate_champion(g, task, SERIES, serial, trials=3, tune_trials=2, grid_points=5, seed=2)
    np.testing.assert_array_equal(rep.column("w = -2.00").values, plain.column("w = -2.00").values)
    other = random_genome(99, n_mutations=25)
    with pytest.raises(UserError, match="different topology"):
        evaluate_champion(g, task, SERIES, serial, trials=2, tune_trials=2, grid_points=3,
                          tuned=with_weights(other, np.ones(other.conn_innov.size)))


class MetricTask:
    """A classification-like task with the optional hooks: test_metric and test_ensemble."""

    name, n_inputs, n_outputs, n_rollouts = "toy", 5, 1, 1
    metric_name = "accuracy"

    def __init__(self):
        rng = np.random.default_rng(0)
        self.x = rng.uniform(-1, 1, (50, 5))
        self.y = self.x.sum(axis=1) > 0

    def score(self, net, weights, seed):
        return np.array([[-np.mean(np.abs(forward(net, self.x, w)[:, 0] - self.y))] for w in weights])

    def test_metric(self, net, weights):
        return np.array([np.mean((forward(net, self.x, w)[:, 0] > 0.5) == self.y) for w in weights])

    def test_ensemble(self, net, weights):
        votes = np.mean([forward(net, self.x, w)[:, 0] > 0.5 for w in weights], axis=0)
        return float(np.mean((votes > 0.5) == self.y))


def test_task_metric_hooks_replace_the_score():
    g = random_genome(4, n_mutations=20)
    task = MetricTask()
    rep = evaluate_champion(g, task, SERIES, serial, trials=4, tune_trials=2, grid_points=5, seed=3)
    assert rep.metric == "accuracy"
    net = compile_genome(g)
    shared = seed_streams(3)["shared"].uniform(-2, 2, 4)
    np.testing.assert_array_equal(rep.column("random shared weight").values, task.test_metric(net, shared))
    np.testing.assert_array_equal(rep.column("w = +0.50").values, task.test_metric(net, [0.5]))
    np.testing.assert_array_equal(rep.column("tuned shared weight").values, task.test_metric(net, [rep.sweep.best]))
    assert rep.column("ensemble").values[0] == task.test_ensemble(net, SERIES)
    assert all(0.0 <= c.values.min() and c.values.max() <= 1.0 for c in rep.columns)


def test_task_options_overrides_and_errors():
    opts = task_options(TASK, "f.json", ["max_steps=50"])
    assert opts.max_steps == 50 and opts.rollouts == 3
    assert trial_options(opts).rollouts == 1
    with pytest.raises(UserError, match="f.json"):
        task_options(TASK, "f.json", ["nope=1"])
    with pytest.raises(UserError, match="unknown task"):
        task_options({"name": "nosuch"}, "f.json")
    with pytest.raises(UserError, match="expected KEY=VALUE"):
        task_options(TASK, "f.json", ["max_steps"])
    assert topology(with_weights(random_genome(1), np.ones(random_genome(1).conn_innov.size))).conn_weight is None


def test_eval_cli_writes_json_and_sweep_plot(tmp_path, capsys):
    g = random_genome(21, n_mutations=25)
    file = tmp_path / "champion.json"
    champ.save(file, champ.Champion(g, 0, 1.0, [1.0] * 4, [1]), TASK, SERIES)
    assert main(["eval", str(file), "--trials", "3", "--tune-trials", "2", "--grid", "5", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    data = json.loads((tmp_path / "champion.eval.json").read_text())
    assert data["format"] == "wann.eval/1" and data["trials"] == 3 and data["connections"] == g.n_connections
    names = [c["name"] for c in data["columns"]]
    assert names[:2] == ["random weights", "random shared weight"] and "tuned shared weight" in names
    for c in data["columns"]:
        assert c["mean"] == pytest.approx(np.mean(c["values"])) and len(c["values"]) == 3
    assert "random shared weight" in out and (tmp_path / "champion.sweep.png").stat().st_size > 1000
    assert main(["eval", str(file), "--trials", "0"]) == 2


def test_one_evaluator_open_at_a_time(small):
    """A Ray evaluator holds the cluster's CPUs, so the protocol never opens a second one beside it."""
    g, task = small
    state = {"open": 0, "max": 0, "made": 0}

    class Counted:
        def __init__(self, inner):
            self.inner = inner
            state["open"] += 1
            state["made"] += 1
            state["max"] = max(state["max"], state["open"])

        def evaluate(self, nets, seeds, stop=None):
            return self.inner.evaluate(nets, seeds)

        def close(self):
            state["open"] -= 1

    tuned = with_weights(g, np.ones(g.conn_innov.size))
    evaluate_champion(g, task, SERIES, lambda t, w: Counted(serial(t, w)), trials=2, tune_trials=2, grid_points=3,
                      tuned=tuned)
    assert state == {"open": 0, "max": 1, "made": 3}  # [1], the grid, the series + the tuned shared weight


def test_edge_innovations_map_net_edges_back_to_genes():
    g = random_genome(7, n_mutations=50)
    net = compile_genome(g)
    innov = edge_innovations(g)
    assert innov.size == net.src.size and set(innov.tolist()) <= set(g.conn_innov[g.conn_enabled].tolist())
    weights = np.arange(1.0, net.src.size + 1)
    tuned = with_edge_weights(g, weights, default=0.25)
    np.testing.assert_array_equal(compile_genome(tuned).cw, weights)
    others = ~np.isin(g.conn_innov, innov)
    assert np.all(tuned.conn_weight[others] == 0.25)


def test_constant_weights_equal_the_shared_weight_up_to_rounding():
    g = random_genome(11, n_mutations=40)
    x = np.random.default_rng(0).uniform(-2, 2, (32, 5))
    for w in (-2.0, -0.7, 1.3):
        np.testing.assert_allclose(forward(compile_genome(constant_weights(g, w)), x, 1.0),
                                   forward(compile_genome(g), x, w), rtol=1e-9, atol=1e-9)
