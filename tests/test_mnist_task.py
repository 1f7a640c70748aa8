"""wann.classify (batched classification kernel) and wann.tasks.mnist (task, options, test report, CLI)."""
from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO
from tests.helpers import random_genome
from wann import champion as champ
from wann import classify
from wann.activations import ALL
from wann.config import config_from_dict
from wann.errors import UserError
from wann.evaluation import SerialEvaluator
from wann.genome import HIDDEN
from wann.network import compile_genome, forward_numpy
from wann.run import Run
from wann.rundir import read_log
from wann.tasks import make_task
from wann.tasks import mnist as mnist_task

WEIGHTS = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
# Kernel vs the float64 per-node numpy forward: logits within 1e-9 relative to (1 + max |logit|)
# (measured: <= 2e-15 on these networks; the margin covers deep sin/cos chains), identical
# argmax, cross-entropy within 1e-9 relative (measured <= 3e-15).
LOGIT_TOL = 1e-9
CE_TOL = 1e-9


def direct_cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean -log softmax[label] for logits [n, classes], straight from the definition (float64)."""
    z = logits - logits.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(y.size), y]))


@pytest.fixture(scope="module")
def train_subset(mnist_dir):
    x, y = mnist_task.load_split(str(mnist_dir), "train")
    return x[:600], y[:600]


@pytest.fixture(scope="module")
def task(mnist_dir):
    return make_task(mnist_task.MnistOptions(data_dir=str(mnist_dir), minibatch=300, train_size=3000))


def mnist_genome(seed: int, n_mutations: int = 80):
    return random_genome(seed, n_in=256, n_out=10, n_mutations=n_mutations, activations=mnist_task.ACTIVATIONS)


# ------------------------------------------------------------------------------------- the kernel


@pytest.mark.parametrize("seed", range(4))
def test_kernel_equals_numpy_forward_on_mnist(seed, train_subset):
    x, y = train_subset
    g = mnist_genome(seed)
    assert g.n_hidden > 10
    logits = classify.logits(compile_genome(g), x.T, WEIGHTS)
    assert logits.shape == (6, 10, x.shape[0])
    ce = classify.cross_entropy(logits, y)
    for b, w in enumerate(WEIGHTS):
        ref = forward_numpy(g, x, w)
        assert np.abs(logits[b].T - ref).max() <= LOGIT_TOL * (1 + np.abs(ref).max())
        assert np.array_equal(np.argmax(logits[b], axis=0), np.argmax(ref, axis=1))
        assert ce[b] == pytest.approx(direct_cross_entropy(ref, y), rel=CE_TOL)


@pytest.mark.parametrize("chunk", [1, 7, 128, 1000])
def test_every_activation_and_any_chunk_size(chunk):
    """All ten activations (step included), outputs of every kind of source, ragged last chunk."""
    seen = set()
    rng = np.random.default_rng(chunk)
    for seed in range(6):
        g = random_genome(seed, n_in=5, n_out=3, n_mutations=60, activations=ALL)
        seen |= set(g.node_act[g.node_kind == HIDDEN].tolist())
        x = rng.normal(0, 2, size=(50, 5))
        logits = classify.logits(compile_genome(g), x.T, WEIGHTS, chunk=chunk)
        for b, w in enumerate(WEIGHTS):
            ref = forward_numpy(g, x, w)
            assert np.abs(logits[b].T - ref).max() <= LOGIT_TOL * (1 + np.abs(ref).max())
    assert seen == set(ALL)


def test_value_rows_are_reused_only_when_no_reader_is_left():
    """A node's row is never the row of a node that is still to be read (or of an output)."""
    for seed in range(5):
        net = compile_genome(mnist_genome(seed, n_mutations=150))
        _, _, _, hid_ptr, hid_src, _ = classify.split_edges(net)
        slot, n_slots = classify._slots(net.first, hid_ptr, hid_src, net.n_out)
        last = np.arange(net.n_nodes)
        for i in range(net.first, net.n_nodes):
            last[hid_src[hid_ptr[i]:hid_ptr[i + 1]]] = i
        last[net.n_nodes - net.n_out:] = net.n_nodes  # outputs are read after the last node
        for i in range(net.first, net.n_nodes):
            live = [j for j in range(net.first, i) if last[j] >= i]
            assert slot[i] not in set(slot[live].tolist()), (seed, i)
        assert slot[net.first:].max() + 1 == n_slots < net.n_nodes - net.first


def test_activate_block_with_a_shared_input_equals_one_block_at_a_time():
    from wann.activation_kernels import activate_block

    rng = np.random.default_rng(0)
    x, w = rng.normal(0, 3, 40), np.repeat([-2.0, 0.5, 1.0], 40)
    for aid in ALL:
        together = np.empty(120)
        activate_block(aid, x, 0, 0, w, 0, together, 0, 3, 40)
        for b in range(3):
            alone = np.empty(40)
            activate_block(aid, x, 0, 0, w[40 * b:], 0, alone, 0, 1, 40)
            assert np.array_equal(together[40 * b : 40 * (b + 1)], alone), aid


def test_mirrored_weights_equal_separate_evaluation(train_subset):
    """Blocks of -w derived through the activation's symmetry equal evaluating -w on its own."""
    x, _ = train_subset
    net = compile_genome(mnist_genome(5))
    assert classify.mirrors(WEIGHTS).tolist() == [-1, -1, -1, 2, 1, 0]
    together = classify.logits(net, x.T, WEIGHTS)
    for b, w in enumerate(WEIGHTS):
        alone = classify.logits(net, x.T, [w])[0]
        np.testing.assert_allclose(together[b], alone, rtol=1e-12, atol=1e-12)


def test_tuned_weights_run_with_unit_shared_weight():
    g = random_genome(2, n_in=5, n_out=2, n_mutations=50)
    tuned = g.copy()
    tuned.conn_weight = np.random.default_rng(0).normal(size=g.conn_src.size)
    x = np.random.default_rng(1).normal(size=(20, 5))
    logits = classify.logits(compile_genome(tuned), x.T, [1.0])
    np.testing.assert_allclose(logits[0].T, forward_numpy(tuned, x, 1.0), rtol=1e-12, atol=1e-12)


def test_wrong_input_shape_is_an_error():
    with pytest.raises(ValueError, match=r"expected inputs \[5, n_samples\]"):
        classify.logits(compile_genome(random_genome(0)), np.zeros((20, 5)), WEIGHTS)


def test_cross_entropy_is_stable_and_maps_nan_to_inf():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 40)
    z = rng.normal(0, 1, size=(2, 10, 40))
    z[1] *= 2000.0  # -log(softmax) would be log(0) = inf for most samples here
    ce = classify.cross_entropy(z, y)
    for b in range(2):
        assert ce[b] == pytest.approx(direct_cross_entropy(z[b].T, y), rel=1e-13)
    assert np.isfinite(ce[1]) and ce[1] > 100
    z[0, 3, 5] = np.nan
    assert classify.cross_entropy(z, y)[0] == np.inf
    ls = classify.log_softmax(z[1], axis=0)
    assert np.allclose(np.exp(ls).sum(axis=0), 1.0)


# ------------------------------------------------------------------------------------- the task


def test_options_are_validated():
    with pytest.raises(ValueError, match="minibatch"):
        mnist_task.MnistOptions(minibatch=0)
    with pytest.raises(ValueError, match="exceeds"):
        mnist_task.MnistOptions(minibatch=500, train_size=100)
    with pytest.raises(UserError, match="unknown key"):
        config_from_dict({"task": {"name": "mnist256", "batch": 10}}, [])


def test_task_facts_and_minibatch_from_seed(task):
    assert (task.n_inputs, task.n_outputs, task.n_rollouts) == (256, 10, 1)
    assert task.activations == (1, 3, 4, 5, 6, 7, 8, 9, 10)  # no step, as the reference
    assert task.x.shape == (3000, 256) and task.y.shape == (3000,)
    xt, y = task.minibatch(11)
    idx = np.random.default_rng(11).choice(3000, 300, replace=False)
    assert xt.shape == (256, 300) and np.array_equal(xt, task.x[idx].T) and np.array_equal(y, task.y[idx])
    assert task.minibatch(11)[0] is xt  # cached: every individual of a generation reuses it
    assert not np.array_equal(task.minibatch(12)[1], y)


def test_score_is_minus_cross_entropy_per_weight_and_depends_only_on_seed(task):
    g = mnist_genome(7, n_mutations=40)
    net = compile_genome(g)
    s = task.score(net, WEIGHTS, 3)
    assert s.shape == (6, 1)
    xt, y = task.minibatch(3)
    for b, w in enumerate(WEIGHTS):
        assert -s[b, 0] == pytest.approx(direct_cross_entropy(forward_numpy(g, xt.T, w), y), rel=CE_TOL)
    task.score(net, WEIGHTS, 4)
    assert np.array_equal(task.score(net, WEIGHTS, 3), s)


def test_rollouts_use_consecutive_seeds(task):
    two = make_task(dataclasses.replace(task.options, rollouts=2))
    net = compile_genome(mnist_genome(8, n_mutations=30))
    s = two.score(net, WEIGHTS, 20)
    assert s.shape == (6, 2)
    assert np.array_equal(s[:, 1], task.score(net, WEIGHTS, 21)[:, 0])


def test_evaluate_accuracy_and_ensemble_match_numpy(train_subset):
    x, y = train_subset
    g = mnist_genome(3)
    acc, ens = mnist_task.evaluate(compile_genome(g), WEIGHTS, x, y)
    probs = []
    for b, w in enumerate(WEIGHTS):
        ref = forward_numpy(g, x, w)
        assert acc[b] == np.mean(np.argmax(ref, axis=1) == y)
        e = np.exp(ref - ref.max(axis=1, keepdims=True))
        probs.append(e / e.sum(axis=1, keepdims=True))
    assert ens == np.mean(np.argmax(np.mean(probs, axis=0), axis=1) == y)


def test_missing_data_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.delenv("WANN_MNIST_DIR", raising=False)
    with pytest.raises(UserError, match="t10k-labels-idx1-ubyte"):
        mnist_task.MnistOptions(data_dir=str(tmp_path)).check()
    with pytest.raises(UserError, match="WANN_MNIST_DIR"):
        make_task(mnist_task.MnistOptions())


def test_cli_missing_data_exits_2_and_makes_no_run_folder(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "wann.cli", "evolve", str(REPO / "configs" / "mnist256_quick.toml"),
                        "--data-dir", str(tmp_path / "nowhere"), "--out", str(out)],
                       capture_output=True, text=True, cwd=REPO, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(tmp_path / "nowhere") in r.stderr and "train-images-idx3-ubyte" in r.stderr
    assert "--data-dir" in r.stderr and not out.exists()


# ------------------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_short_search_on_a_subset_improves_the_loss_and_show_reports_test_accuracy(tmp_path, mnist_dir, capsys):
    cfg = config_from_dict({
        "run": {"generations": 12, "champion_reps": 3, "seed": 1},
        "task": {"name": "mnist256", "data_dir": str(mnist_dir), "minibatch": 200, "train_size": 2000},
        "search": {"pop_size": 24, "tournament_size": 4, "p_init": 0.05},
    }, [])
    run = Run.create(cfg, tmp_path / "r", {})
    first = compile_genome(run.search.population[0])
    run.run(SerialEvaluator(run.task, cfg.search.weights))
    rows = read_log(tmp_path / "r")
    assert rows[-1]["champion_fitness"] > rows[0]["champion_fitness"]
    assert max(r["best_mean"] for r in rows[-3:]) > rows[0]["best_mean"]
    # on a fixed minibatch not used by the search, the champion beats an initial individual
    fixed = run.task.score(compile_genome(run.champion.genome), cfg.search.weights, 999).mean()
    assert fixed > run.task.score(first, cfg.search.weights, 999).mean()

    from wann.cli import main

    assert main(["show", str(tmp_path / "r")]) == 0
    text = capsys.readouterr().out
    c, _ = champ.load(tmp_path / "r" / "champion.json")
    report = mnist_task.accuracy_report(c.genome, cfg.search.weights, str(mnist_dir))
    assert report.n_images == 10000 and len(report.accuracy) == 6
    assert f"mean over weights: {100 * report.mean:.2f} +- {100 * report.sd:.2f} %" in text
    assert f"(mean softmax): {100 * report.ensemble:.2f} %" in text
    assert f"best weight: w = {report.best_weight:+.2f}, {100 * report.best:.2f} %" in text
    assert report.best == max(report.accuracy) > 0.1  # above chance after a short search


def test_eval_hooks_report_test_accuracy_per_weight_and_ensemble(mnist_dir):
    from tests.helpers import random_genome
    from wann.network import compile_genome
    from wann.tasks.mnist import MnistOptions, MnistTask, evaluate, load_split

    task = MnistTask(MnistOptions(data_dir=str(mnist_dir), train_size=2000))
    net = compile_genome(random_genome(3, n_in=256, n_out=10, n_mutations=80, activations=(1, 3, 5, 9)))
    weights = [-1.0, 0.5, 2.0]
    xt, yt = load_split(str(mnist_dir), "test")
    acc, ens = evaluate(net, np.asarray(weights), xt, yt)
    np.testing.assert_array_equal(task.test_metric(net, weights), acc)
    assert task.test_ensemble(net, weights) == ens
    assert task.training_data()[0].shape == (2000, 256)
