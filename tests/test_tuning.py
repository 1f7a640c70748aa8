import json

import numpy as np
import pytest

from wann import champion as champ
from wann.evaluators import Evaluators
from wann.seeds import draw_seeds, seed_streams
from wann.tasks import task_options, trial_options, with_rollouts
from wann.weights import topology
from wann.cli import main
from wann.evaluators import make_evaluator
from wann.genome import Genome
from wann.network import compile_genome, forward
from wann.tasks import make_task
from wann.tuning import TuneSettings, tune

TASK = {"name": "swingup", "rollouts": 3, "max_steps": 150}


def serial(task, weights):
    return make_evaluator("serial", task, weights)


def linear_champion() -> Genome:
    """A small champion: bias and the five inputs wired straight to the force (6 connections)."""
    return Genome.minimal(5, 1, 1.0, np.random.default_rng(0))


def test_tune_improves_a_small_champion_over_its_best_shared_weight():
    opts = task_options(TASK, "test")
    task = make_task(trial_options(opts))
    g = linear_champion()
    settings = TuneSettings(generations=40, sigma=0.5, seeds_per_generation=4, grid=21, tune_trials=10,
                            validation_trials=10)
    res = tune(g, task, serial, settings, seed=0, train_task=make_task(with_rollouts(opts, 4)))
    assert res.method == "cma-es" and res.genome.conn_weight is not None and res.validation["kept"] == "tuned"
    test = draw_seeds(seed_streams(0)["test"], 30)  # fresh seeds, never used in tuning
    with Evaluators(serial) as evs:
        start = evs.trial_scores(task, [compile_genome(g)] * 30, test, [res.start_weight])[:, 0].mean()
        tuned = evs.trial_scores(task, [compile_genome(res.genome)] * 30, test)[:, 0].mean()
    assert tuned > start + 5.0


def test_tune_is_reproducible_and_ignores_the_global_numpy_state():
    task = make_task(trial_options(task_options(TASK | {"max_steps": 60}, "test")))
    settings = TuneSettings(generations=4, grid=5, tune_trials=2, validation_trials=2, seeds_per_generation=2)
    np.random.seed(1)
    a = tune(linear_champion(), task, serial, settings, seed=3)
    np.random.seed(2)
    b = tune(linear_champion(), task, serial, settings, seed=3)
    np.testing.assert_array_equal(a.genome.conn_weight, b.genome.conn_weight)
    untimed = [[{k: v for k, v in row.items() if k != "seconds"} for row in r.history] for r in (a, b)]
    assert untimed[0] == untimed[1] and a.start_weight == b.start_weight


class Blobs:
    """A toy classification task with the ``training_data`` hook: 3 classes, 4 inputs, minus cross-entropy."""

    name, n_inputs, n_outputs, n_rollouts = "blobs", 4, 3, 1

    def __init__(self):
        rng = np.random.default_rng(0)
        centres = rng.normal(0, 1.5, (3, 4))
        self.y = rng.integers(0, 3, 600)
        self.x = centres[self.y] + rng.normal(0, 0.7, (600, 4))

    def training_data(self):
        return self.x[:400], self.y[:400]

    def score(self, net, weights, seed):
        idx = np.random.default_rng(seed).choice(400, 100, replace=False)
        out = np.empty((len(weights), 1))
        for k, w in enumerate(weights):
            z = forward(net, self.x[idx], w)
            z = z - z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            out[k, 0] = logp[np.arange(idx.size), self.y[idx]].mean()
        return out


def test_tune_trains_classification_weights_by_gradient_descent():
    task = Blobs()
    g = Genome.minimal(4, 3, 1.0, np.random.default_rng(0))
    res = tune(g, task, serial, TuneSettings(epochs=15, lr=0.05, batch_size=50, grid=9, tune_trials=3,
                                             validation_trials=5), seed=0)
    assert res.method == "adam" and len(res.history) == 15
    assert res.history[-1]["loss"] < 0.7 * res.history[0]["loss"]
    x, y = task.x[400:], task.y[400:]  # held out
    before = np.mean(np.argmax(forward(compile_genome(g), x, res.start_weight), axis=1) == y)
    after = np.mean(np.argmax(forward(compile_genome(res.genome), x, 1.0), axis=1) == y)
    assert after > before + 0.2


@pytest.mark.slow
def test_tune_cli_writes_a_champion_that_eval_and_show_read(tmp_path, capsys):
    file = tmp_path / "champion.json"
    champ.save(file, champ.Champion(linear_champion(), 7, 1.0, [1.0] * 2, [1]), TASK, [-1.0, 1.0])
    assert main(["tune", str(file), "--generations", "5", "--seeds-per-generation", "2", "--grid", "5",
                 "--tune-trials", "3", "--trials", "4"]) == 0
    out = tmp_path / "champion.tuned.json"
    c, data = champ.load(out)
    assert c.genome.conn_weight is not None and data["weights"] == [1.0] and data["task"] == TASK
    assert data["tuned"]["method"] == "cma-es"
    assert [h["generation"] for h in data["tuned"]["history"]] == [-1, 0, 1, 2, 3, 4]  # the start's check, 5 gens
    assert topology(c.genome).to_dict() == linear_champion().to_dict()
    assert main(["show", str(out)]) == 0
    assert main(["eval", str(file), "--tuned", str(out), "--trials", "4", "--tune-trials", "3", "--grid", "5",
                 "--no-plot"]) == 0
    report = json.loads((tmp_path / "champion.eval.json").read_text())
    tuned_col = next(col for col in report["columns"] if col["name"] == "tuned weights")
    assert tuned_col["mean"] == pytest.approx(data["tuned"]["test"]["tuned"])  # same test seeds, same numbers
    assert "tuned weights" in capsys.readouterr().out


def test_tune_keeps_the_start_when_the_result_is_worse_on_validation(monkeypatch):
    import wann.tuning

    # an optimiser that returns a poor vector (all signs flipped): the validation seeds must reject it
    monkeypatch.setattr(wann.tuning, "_cma", lambda base, x0, *rest: (-x0, [{"generation": 0}]))
    task = make_task(trial_options(task_options(TASK, "test")))
    settings = TuneSettings(grid=9, tune_trials=5, validation_trials=10)
    res = tune(linear_champion(), task, serial, settings, seed=0)
    assert res.validation["kept"] == "start" and res.validation["start"] > res.validation["tuned"]
    np.testing.assert_array_equal(res.genome.conn_weight[res.genome.expressed], res.start_weight)


def test_cma_checks_keep_the_best_mean_and_stop_without_improvement():
    task = make_task(trial_options(task_options(TASK | {"max_steps": 100}, "test")))
    checks = []
    settings = TuneSettings(generations=200, popsize=6, sigma=0.3, seeds_per_generation=2, grid=5, tune_trials=3,
                            validation_trials=4, check_every=2, check_trials=4, patience=3)
    res = tune(linear_champion(), task, serial, settings, seed=1, on_check=lambda g, x: checks.append((g, x.copy())))
    checked = [h for h in res.history if "check" in h]
    assert checks[0][0] == -1 and len(checks) == len(checked)
    scores = [h["check"] for h in checked]
    best = int(np.argmax(scores))
    # stopped exactly `patience` checks after the last improvement, well before 200 generations
    assert len(scores) - 1 - best == 3 and res.history[-1]["generation"] < 199
    assert all(scores[k] <= scores[best] for k in range(len(scores)))
    if res.validation["kept"] == "tuned":  # the result is the best checked mean
        edge = compile_genome(res.genome).cw
        np.testing.assert_array_equal(edge, checks[best][1])


def test_a_run_that_never_beats_its_start_is_not_stopped_early():
    task = make_task(trial_options(task_options(TASK | {"max_steps": 60}, "test")))
    settings = TuneSettings(generations=12, popsize=4, sigma=50.0, seeds_per_generation=1, grid=5, tune_trials=2,
                            validation_trials=2, check_every=2, check_trials=2, patience=1)
    res = tune(linear_champion(), task, serial, settings, seed=0)
    checks = [h["check"] for h in res.history if "check" in h]
    assert max(checks[1:]) <= checks[0]  # huge steps: no check beat the start ...
    assert res.history[-1]["generation"] == 11  # ... so patience never applied: all 12 generations ran
