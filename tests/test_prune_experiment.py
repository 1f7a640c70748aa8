"""Methods end to end on a synthetic task: rewinding, controls, determinism, resuming, the results folder."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines import experiment as exp_mod
from prune_baselines.data import synthetic_dataset
from prune_baselines.errors import PruneError
from prune_baselines.experiment import ExperimentConfig, run_experiment
from prune_baselines.masks import Masks
from prune_baselines.results import load_network, load_result

DATA = synthetic_dataset(n_train=600, n_test=300, n_inputs=20, n_classes=4, seed=1)


def _cfg(**kw):
    base = dict(method="imp", model="mlp", hidden=(24, 12), input=20, target_connections=(120,), seeds=(0,),
                epochs=2, lr=1e-2, batch_size=30, obd_samples=300, synflow_iterations=10)
    base.update(kw)
    return ExperimentConfig(**base)


def _numpy_accuracy(point, x, y):
    a = x.numpy().astype(np.float64)
    for l, (w, b) in enumerate(zip(point.weights, point.biases)):
        a = a @ w.T.astype(np.float64) + b
        if l < len(point.weights) - 1:
            a = np.maximum(a, 0)
    return float((a.argmax(1) == y.numpy()).mean())


def test_imp_rewinds_exactly_to_initial_values(tmp_path, monkeypatch):
    starts = []
    real_train = exp_mod.Experiment.train

    def spy(self, model, masks, seed, variant, level, epochs, snapshot_iteration=None):
        starts.append((variant, level, {k: v.clone() for k, v in model.state_dict().items()}, masks))
        return real_train(self, model, masks, seed, variant, level, epochs, snapshot_iteration)

    monkeypatch.setattr(exp_mod.Experiment, "train", spy)
    run_experiment(_cfg(), DATA, tmp_path)
    init = np.load(tmp_path / "seed_0" / "init.npz")
    tickets = [s for s in starts if s[0] == "ticket" and s[1] > 0]
    assert len(tickets) >= 5
    for _, level, state, masks in tickets:
        for l, name in enumerate(masks.names):
            w = state[name].numpy()
            m = masks[name].numpy()
            np.testing.assert_array_equal(w[m], init[f"weight_{l}"][m])   # survivors: exactly the init
            assert np.count_nonzero(w[~m]) == 0                             # pruned: exactly zero
            np.testing.assert_array_equal(state[f"layers.{l}.bias"].numpy(), init[f"bias_{l}"])


def test_imp_late_rewind_uses_the_saved_iteration(tmp_path):
    run_experiment(_cfg(rewind_iteration=7, target_connections=(300,)), DATA, tmp_path)
    rewind = np.load(tmp_path / "seed_0" / "rewind.npz")
    init = np.load(tmp_path / "seed_0" / "init.npz")
    assert not np.array_equal(rewind["layers.0.weight"], init["weight_0"])
    # the rewind state is what 7 iterations of the dense run produce
    from prune_baselines.masks import Masks
    from prune_baselines.train import TrainConfig, train
    e = exp_mod.Experiment(_cfg(rewind_iteration=7, target_connections=(300,)), DATA, tmp_path / "x")
    model = e.new_model(0)
    train(model, Masks.ones(model), DATA, TrainConfig(epochs=7 / 20, batch_size=30, lr=1e-2),
          exp_mod.derived_seed(0, 0, 0))
    np.testing.assert_array_equal(model.layers[0].weight.detach().numpy(), rewind["layers.0.weight"])


def test_imp_results_folder_controls_and_loading(tmp_path):
    cfg = _cfg(controls=("reinit", "random_mask"), seeds=(0, 1))
    run_experiment(cfg, DATA, tmp_path)
    for f in ("config.json", "results.csv", "results.json", "accuracy_vs_connections.png"):
        assert (tmp_path / f).stat().st_size > 0
    res = load_result(tmp_path)
    assert res.seeds() == [0, 1]
    tickets = [r for r in res.records if r["variant"] == "ticket" and r["seed"] == 0]
    assert tickets[0]["connections"] == 20 * 24 + 24 * 12 + 12 * 4 and tickets[-1]["connections"] == 120
    assert all(a["connections"] > b["connections"] for a, b in zip(tickets, tickets[1:]))
    assert all(r["connections_with_biases"] > r["connections"] for r in tickets)
    assert tickets[-1]["cumulative_epochs"] == pytest.approx(2 * len(tickets))
    last = tickets[-1]["level"]
    ctrl = {r["variant"]: r for r in res.records if r["seed"] == 0 and r["variant"] != "ticket"}
    assert set(ctrl) == {"reinit", "random_mask"}
    assert all(r["level"] == last and r["per_layer"] == tickets[-1]["per_layer"] for r in ctrl.values())
    ticket = load_network(tmp_path, seed=0)
    reinit = load_network(tmp_path, seed=0, variant="reinit")
    rmask = load_network(tmp_path, seed=0, variant="random_mask")
    assert all(np.array_equal(a, b) for a, b in zip(ticket.masks, reinit.masks))
    assert any(not np.array_equal(a, b) for a, b in zip(ticket.masks, rmask.masks))
    for p in (ticket, reinit, rmask):
        assert [w.shape for w in p.weights] == [(24, 20), (12, 24), (4, 12)]
        assert all(np.count_nonzero(w[~m]) == 0 for w, m in zip(p.weights, p.masks))
        assert _numpy_accuracy(p, DATA.x_test, DATA.y_test) == pytest.approx(p.record["test_accuracy"], abs=1e-9)
    assert json.loads((tmp_path / "results.json").read_text())["records"]


@pytest.mark.parametrize("method", ["obd", "synflow", "magnitude", "random"])
def test_other_methods_hit_the_target(tmp_path, method):
    cfg = _cfg(method=method, target_connections=(300, 120), finetune_epochs=1)
    recs = run_experiment(cfg, DATA, tmp_path)
    conns = sorted({r["connections"] for r in recs if r["level"] > 0})
    assert conns[0] == 120 and 300 in conns
    final = load_network(tmp_path)
    assert sum(int(m.sum()) for m in final.masks) == 120
    dense = [r for r in recs if r["level"] == 0][0]
    assert dense["test_accuracy"] > 0.4  # chance is 0.25


def test_deterministic_and_resumable(tmp_path, monkeypatch):
    cfg = _cfg(target_connections=(200,))
    a = run_experiment(cfg, DATA, tmp_path / "a")
    b = run_experiment(cfg, DATA, tmp_path / "b")
    key = lambda rs: [(r["variant"], r["level"], r["connections"], r["test_accuracy"], r["loss"]) for r in rs]
    assert key(a) == key(b)
    # stop part-way: drop the last two levels, run again: only those are trained
    pts = sorted((tmp_path / "b" / "seed_0").glob("ticket_level_*.npz"))
    for p in pts[-2:]:
        p.unlink()
    trained = []
    real_train = exp_mod.Experiment.train
    monkeypatch.setattr(exp_mod.Experiment, "train",
                        lambda self, *args, **kw: trained.append(args[4]) or real_train(self, *args, **kw))
    c = run_experiment(cfg, DATA, tmp_path / "b")
    assert trained == [len(pts) - 2, len(pts) - 1]
    assert key(sorted(c, key=lambda r: r["level"])) == key(a)
    fa, fc = load_network(tmp_path / "a"), load_network(tmp_path / "b")
    assert all(np.array_equal(x, y) for x, y in zip(fa.weights, fc.weights))


def test_folder_holding_another_experiment_is_refused(tmp_path):
    run_experiment(_cfg(target_connections=(400,), epochs=1), DATA, tmp_path)
    with pytest.raises(PruneError, match="different experiment"):
        run_experiment(_cfg(target_connections=(400,), epochs=2), DATA, tmp_path)


def test_bad_names_raise_clear_errors():
    with pytest.raises(PruneError) as e:
        _cfg(method="lottery")
    assert str(e.value) == ("method: Input should be 'imp', 'synflow', 'obd', 'magnitude', 'random', 'supermask', "
                            "'supermask_signed' or 'early_bird', got 'lottery'")
    with pytest.raises(PruneError) as e:
        _cfg(model="resnet")
    assert str(e.value) == "model: Input should be 'lenet300' or 'mlp', got 'resnet'"
    with pytest.raises(PruneError, match="controls"):
        _cfg(method="obd", controls=("reinit",))


def test_seeds_added_later_join_the_same_folder(tmp_path):
    import csv
    run_experiment(_cfg(target_connections=(400,), epochs=1, seeds=(0,)), DATA, tmp_path)
    run_experiment(_cfg(target_connections=(400,), epochs=1, seeds=(1,)), DATA, tmp_path)
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert {r["seed"] for r in rows} == {"0", "1"}
    assert load_result(tmp_path).provenance["seeds"] == [0, 1]


@pytest.mark.parametrize("rewind", [False, True])
def test_magnitude_fine_tunes_or_rewinds(tmp_path, monkeypatch, rewind):
    starts = []
    real_train = exp_mod.Experiment.train

    def spy(self, model, masks, seed, variant, level, epochs, snapshot_iteration=None):
        starts.append((level, model.layers[0].weight.detach().clone(), masks))
        return real_train(self, model, masks, seed, variant, level, epochs, snapshot_iteration)

    monkeypatch.setattr(exp_mod.Experiment, "train", spy)
    recs = run_experiment(_cfg(method="magnitude", target_connections=(200,), oneshot_rewind=rewind), DATA, tmp_path)
    assert all(r["cpu_s"] > 0 for r in recs)
    init = np.load(tmp_path / "seed_0" / "init.npz")["weight_0"]
    dense = load_network(tmp_path, level=0).weights[0]
    level, w, masks = starts[-1]
    m = masks["layers.0.weight"].numpy()
    np.testing.assert_array_equal(w.numpy()[m], (init if rewind else dense)[m])
    assert np.count_nonzero(w.numpy()[~m]) == 0


def test_a_diverging_training_stops_the_level(tmp_path):
    with pytest.raises(PruneError) as e:
        run_experiment(_cfg(lr=1e30), DATA, tmp_path)
    assert str(e.value) == ("[imp seed 0 ticket level 0] training loss is nan after 20 iterations: training diverged; "
                            "lower the learning rate (lr 1e+30)")
    assert not list((tmp_path / "seed_0").glob("*_level_*.npz"))  # no garbage point


def test_a_level_that_leaves_a_layer_without_weights_is_an_error(tmp_path):
    e = exp_mod.Experiment(_cfg(), DATA, tmp_path)
    model = e.new_model(0)
    masks = Masks.ones(model)
    masks = Masks({**masks.tensors, "layers.1.weight": torch.zeros_like(masks["layers.1.weight"])})
    with pytest.raises(PruneError) as err:
        e.train(model, masks, 0, "ticket", 3, 1.0)
    assert str(err.value) == ("[imp seed 0 ticket level 3] pruning cut the network in two: none of its 528 weights "
                              "(per layer 480/0/48) lies on a path from an input to an output; keep more weights or "
                              "use --floor 1")


def test_pruning_that_cuts_every_path_stops_the_run_after_the_levels_before(tmp_path):
    with pytest.raises(PruneError, match=r"^\[imp seed 0 ticket level 25\] pruning cut the network in two: none of "
                                         r"its 3 weights \(per layer \d/\d/\d\) lies on a path"):
        run_experiment(_cfg(scope="global", target_connections=(3,)), DATA, tmp_path)
    assert len(list((tmp_path / "seed_0").glob("ticket_level_*.npz"))) == 25


def test_records_count_connections_on_input_output_paths(tmp_path):
    import csv
    recs = run_experiment(_cfg(method="random", target_connections=(60,)), DATA, tmp_path)
    res = load_result(tmp_path)
    assert res.provenance["synthetic"] is True and res.provenance["dataset"] == "synthetic"
    assert json.loads((tmp_path / "config.json").read_text())["provenance"]["synthetic"] is True
    pruned = [r for r in res.records if r["level"] == 1][0]
    masks = Masks.from_numpy({f"layers.{l}.weight": m for l, m in enumerate(load_network(tmp_path).masks)})
    assert pruned["connections"] == 60 and pruned["effective_connections"] == masks.on_paths().count() < 60
    assert pruned["effective_connections_with_biases"] == masks.on_paths().count_with_biases()
    dense = [r for r in recs if r["level"] == 0][0]
    assert dense["effective_connections"] == dense["connections"]
    row = list(csv.DictReader((tmp_path / "results.csv").open()))[1]
    assert int(row["effective_connections"]) == pruned["effective_connections"]
    # a folder written before effective counts were recorded: they come from the masks when read
    from prune_baselines.results import point_arrays, point_path, read_point, save_npz
    path = point_path(tmp_path, 0, "ticket", 1)
    p = read_point(path)
    old = {k: v for k, v in p.record.items() if not k.startswith("effective_")}
    save_npz(path, point_arrays(p.weights, p.biases, p.masks, old))
    assert [r for r in load_result(tmp_path).records if r["level"] == 1][0] == pruned


def test_a_folder_holds_one_dataset(tmp_path):
    import dataclasses
    run_experiment(_cfg(target_connections=(400,), epochs=1), DATA, tmp_path)
    other = dataclasses.replace(DATA, name="mnist20", synthetic=False)
    with pytest.raises(PruneError) as e:
        run_experiment(_cfg(target_connections=(400,), epochs=1), other, tmp_path)
    assert str(e.value) == (f"{tmp_path} holds an experiment on synthetic data, this run has mnist20; "
                            f"choose another --out folder")


def test_a_folder_without_finished_points_is_taken_over_by_another_experiment(tmp_path, capsys):
    """A run that stopped before its first point (here: training diverged) does not block the corrected one."""
    with pytest.raises(PruneError, match="training diverged"):
        run_experiment(_cfg(lr=1e30), DATA, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == \
        ["config.json", "seed_0", "seed_0/init.npz"]
    np.savez(tmp_path / "seed_0" / "rewind.npz", stale=np.zeros(1))  # as if killed after the rewind snapshot
    capsys.readouterr()
    fixed = _cfg(hidden=(16,), target_connections=(200,), epochs=1)  # another model: another init.npz
    run_experiment(fixed, DATA, tmp_path)
    assert capsys.readouterr().err == (f"note: {tmp_path} held a different experiment (differs in epochs, hidden, lr, "
                                       f"target_connections) but no finished point; this run takes it over (new "
                                       f"config.json and initial parameters)\n")
    meta = json.loads((tmp_path / "config.json").read_text())
    assert meta["config"] == fixed.identity() and "resumed_from" not in meta["provenance"]
    assert np.load(tmp_path / "seed_0" / "init.npz")["weight_0"].shape == (16, 20)
    assert not (tmp_path / "seed_0" / "rewind.npz").exists()
    # now it holds finished points: another experiment is refused as before, the same one resumes
    with pytest.raises(PruneError) as e:
        run_experiment(_cfg(hidden=(16,), target_connections=(200,), epochs=1, lr=1e-3), DATA, tmp_path)
    assert str(e.value) == f"{tmp_path} holds a different experiment (differs in lr); choose another --out folder"
    assert json.loads((tmp_path / "config.json").read_text())["config"] == fixed.identity()
    assert run_experiment(fixed, DATA, tmp_path) and capsys.readouterr().err == ""
