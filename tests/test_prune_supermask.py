"""Supermasks (``supermask``, ``supermask_signed``: edge-popup over frozen untrained weights) on a synthetic task:
the weights never change, the kept counts are the targets, the straight-through gradient reaches the scores,
a learned mask beats a random one on the same weights, points resume, signed weights are exactly ±c_l."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.cli import main
from prune_baselines.data import synthetic_dataset
from prune_baselines.errors import PruneError
from prune_baselines.experiment import ExperimentConfig, run_experiment
from prune_baselines.masks import Masks
from prune_baselines.methods import METHODS, supermask
from prune_baselines.methods.base import layer_rates
from prune_baselines.models import build_model, get_state
from prune_baselines.results import load_network, load_npz, load_result
from prune_baselines.scoring import layer_allocation
from prune_baselines.train import TrainConfig, evaluate

DATA = synthetic_dataset(n_train=1200, n_test=600, n_inputs=12, n_classes=4, seed=3)
HIDDEN = (32,)


def _cfg(**kw):
    """Adam (lr 1e-2, no weight decay) rather than the method's default SGD, whose lr 0.1 suits MNIST's scores."""
    base = dict(method="supermask", model="mlp", hidden=HIDDEN, input=12, target_connections=(200,), seeds=(0,),
                epochs=2, optimizer="adam", lr=1e-2, weight_decay=0.0, batch_size=30)
    base.update(kw)
    return ExperimentConfig(**base)


def _model(seed=0):
    return build_model("mlp", 12, HIDDEN, n_outputs=4, seed=seed)


def test_registered_with_layerwise_default():
    assert METHODS["supermask"] is supermask.METHOD and METHODS["supermask_signed"] is supermask.SIGNED
    assert _cfg().scope == "layerwise" and _cfg(method="supermask_signed").scope == "layerwise"
    for method in ("supermask", "supermask_signed"):  # edge-popup's SGD unless a setting is given
        c = ExperimentConfig(method=method)
        assert (c.optimizer, c.lr, c.momentum, c.weight_decay) == ("sgd", 0.1, 0.9, 5e-4)
    c = ExperimentConfig(method="supermask", optimizer="adam", lr=1.2e-3)
    assert (c.optimizer, c.lr, c.weight_decay) == ("adam", 1.2e-3, 5e-4)
    assert (ExperimentConfig(method="random").optimizer, ExperimentConfig(method="random").lr) == ("adam", 1.2e-3)
    with pytest.raises(PruneError, match="floor"):
        _cfg(floor_per_output=1)
    with pytest.raises(PruneError, match="controls"):
        _cfg(controls=("reinit",))


@pytest.mark.parametrize("signed", [False, True])
def test_frozen_weights_are_bit_identical_after_training(signed):
    model = _model()
    supermask.freeze(model, signed)
    before = get_state(model)
    assert not any(p.requires_grad for p in model.parameters())
    scores = supermask.init_scores(model, 5)
    s0 = [s.detach().clone() for s in scores]
    k = supermask.layer_counts(_cfg(), model, 200)
    supermask.train_scores(model, scores, k, DATA, TrainConfig(epochs=2, lr=1e-2, batch_size=30,
                                                               weight_decay=1e-4), seed=1)
    after = get_state(model)
    assert all(torch.equal(before[n], after[n]) for n in before)
    assert all(p.grad is None for p in model.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(s0, scores))  # the scores did train


@pytest.mark.parametrize("method, rescale", [("supermask", None), ("supermask_signed", None), ("supermask", "none"),
                                             ("supermask", "dynamic"), ("supermask", "fan")])
def test_points_hold_the_frozen_weights_under_the_mask(tmp_path, method, rescale):
    """... times the layer's rescale factor (n / k) ** p: p = 1/2 by default (fan), 0 (none), 1 (dynamic)."""
    run_experiment(_cfg(method=method, **({"rescale": rescale} if rescale else {})), DATA, tmp_path)
    net = load_network(tmp_path)
    p = {None: 0.5, "fan": 0.5, "none": 0.0, "dynamic": 1.0}[rescale]
    init = _model()
    for l, layer in enumerate(init.layers):
        w = layer.weight.detach().numpy()
        if method == "supermask_signed":
            fan_out, fan_in = w.shape
            w = np.where(w >= 0, 1, -1).astype(np.float32) * np.float32(math.sqrt(2.0 / (fan_in + fan_out)))
        factor = np.float32((w.size / net.masks[l].sum()) ** p)
        assert np.array_equal(net.weights[l], (w * factor if p else w) * net.masks[l])
        assert not net.biases[l].any()
    init_npz = load_npz(tmp_path / "seed_0" / "init.npz")  # the seed's initialisation, as other methods write it
    assert all(np.array_equal(init_npz[f"weight_{l}"], layer.weight.detach().numpy())
               for l, layer in enumerate(init.layers))


def test_signed_weights_are_exactly_plus_minus_c():
    model = _model(seed=4)
    signs = [torch.sign(layer.weight.detach()) for layer in model.layers]
    supermask.freeze(model, signed=True)
    for layer, s in zip(model.layers, signs):
        fan_out, fan_in = layer.weight.shape
        c = torch.tensor(math.sqrt(2.0 / (fan_in + fan_out)), dtype=layer.weight.dtype)
        assert torch.equal(layer.weight.abs(), c.expand_as(layer.weight))
        assert torch.equal(torch.sign(layer.weight), s)
        assert not layer.bias.any()


def test_kept_count_is_the_target_per_layer_and_in_total(tmp_path):
    targets = (300, 120)
    recs = run_experiment(_cfg(target_connections=targets, epochs=1), DATA, tmp_path / "lw")
    assert all(r["level"] > 0 for r in recs)  # no dense level: nothing but masks is trained
    sizes = {"layers.0.weight": 12 * 32, "layers.1.weight": 32 * 4}
    rates = layer_rates(_cfg(), list(sizes))
    for r in recs:
        t = targets[r["level"] - 1]
        assert r["connections"] == t
        assert r["per_layer"] == list(layer_allocation(sizes, t, rates).values())
    recs = run_experiment(_cfg(target_connections=targets, epochs=1, scope="global"), DATA, tmp_path / "gl")
    assert sorted(r["connections"] for r in recs) == sorted(targets)
    assert any(r["per_layer"] != list(layer_allocation(sizes, r["connections"], rates).values()) for r in recs)


@pytest.mark.parametrize("k", [(150, 50), 200])
def test_straight_through_gradient_reaches_the_scores(k):
    model = _model()
    supermask.freeze(model, signed=False)
    scores = supermask.init_scores(model, 2)
    mults = supermask.TopK.apply(k, *[s.abs() for s in scores])
    kept = [int(m.sum()) for m in mults]
    assert (kept == list(k)) if isinstance(k, tuple) else sum(kept) == k
    out = supermask.masked_forward(model, DATA.x_train[:64], mults)
    torch.nn.functional.cross_entropy(out, DATA.y_train[:64]).backward()
    for s, m in zip(scores, mults):
        assert s.grad is not None and s.grad.abs().sum() > 0
        assert (s.grad[m == 0] != 0).any()  # pruned weights' scores get a gradient too (straight through)


def test_learned_mask_beats_a_random_mask_on_the_same_weights(tmp_path):
    """Two classes (a linear teacher), 12 inputs, hidden 32, half the weights kept: the learned mask is far better
    than random masks with the same per-layer counts over the same frozen weights (0.83 against <= 0.45)."""
    data = synthetic_dataset(n_train=1200, n_test=600, n_inputs=12, n_classes=2, seed=3)
    cfg = _cfg(target_connections=(224,), epochs=10, lr=1e-2)
    rec = run_experiment(cfg, data, tmp_path)[0]
    net = load_network(tmp_path)
    model = build_model("mlp", 12, HIDDEN, n_outputs=2, seed=0)
    supermask.freeze(model, signed=False)
    learned = Masks.from_numpy({n: m for (n, _), m in zip(model.prunable(), net.masks)})
    supermask.apply_rescale(model, learned, cfg.rescale)  # random masks below keep the per-layer counts: same factors
    assert all(np.array_equal(w, l.weight.detach().numpy() * m) for w, l, m in zip(net.weights, model.layers,
                                                                                   net.masks))
    assert evaluate(model, learned, data.x_test, data.y_test) == rec["test_accuracy"]
    randoms = [learned.random_like(np.random.default_rng(i)) for i in range(5)]
    assert all(r.per_layer() == learned.per_layer() for r in randoms)
    rand = [evaluate(model, r, data.x_test, data.y_test) for r in randoms]
    assert rec["test_accuracy"] > 0.75 and rec["test_accuracy"] > max(rand) + 0.25, (rec["test_accuracy"], rand)


@pytest.mark.parametrize("rescale", ["none", "fan", "dynamic"])
def test_rescaled_forward_is_the_saved_network(rescale):
    """The trained forward pass (mask times factor) computes what the saved network (weights scaled once) does,
    also under global scope, where the per-layer counts come from the mask."""
    model = _model()
    supermask.freeze(model, signed=False)
    scores = supermask.init_scores(model, 3)
    for k in ((150, 50), 200):
        mults = supermask.top_k_masks([s.abs() for s in scores], k)
        x = DATA.x_test[:100]
        out = supermask.masked_forward(model, x, mults, rescale)
        scaled = build_model("mlp", 12, HIDDEN, n_outputs=4, seed=0)
        supermask.freeze(scaled, signed=False)
        masks = Masks({n: m.bool() for (n, _), m in zip(scaled.prunable(), mults)})
        supermask.apply_rescale(scaled, masks, rescale)
        torch.testing.assert_close(scaled(x, masks), out, rtol=1e-6, atol=1e-6)
        factors = supermask.layer_factors(mults, rescale)
        p = {"none": 0, "fan": 0.5, "dynamic": 1}[rescale]
        assert factors == [(m.numel() / float(m.sum())) ** p for m in mults]


def test_rescale_is_for_supermasks_and_old_folders_count_as_unscaled(tmp_path):
    with pytest.raises(PruneError, match="--rescale .* supermask"):
        _cfg(method="imp", rescale="fan")
    assert "rescale" not in _cfg(method="imp").identity()  # IMP's folders are as before
    run_experiment(_cfg(rescale="none", epochs=0.5), DATA, tmp_path)
    path = tmp_path / "config.json"
    old = json.loads(path.read_text())
    del old["config"]["rescale"]  # a folder written before --rescale existed (its weights are unscaled)
    path.write_text(json.dumps(old))
    run_experiment(_cfg(rescale="none", epochs=0.5), DATA, tmp_path)  # resumed as the same experiment
    path.write_text(json.dumps(old))
    with pytest.raises(PruneError, match="differs in rescale"):
        run_experiment(_cfg(epochs=0.5), DATA, tmp_path)  # the default is now fan


def test_a_second_run_recomputes_nothing(tmp_path, monkeypatch):
    cfg = _cfg(method="supermask_signed", target_connections=(250, 150), seeds=(0, 1), epochs=1)
    first = run_experiment(cfg, DATA, tmp_path)
    files = {p: p.stat().st_mtime_ns for p in tmp_path.glob("seed_*/*.npz")}
    assert len(list(tmp_path.glob("seed_*/ticket_level_*.npz"))) == 4 and len(files) == 6  # + init.npz per seed
    calls, lines = [], []
    monkeypatch.setattr(supermask, "train_scores", lambda *a, **kw: calls.append(a) or pytest.fail("trained"))
    second = run_experiment(cfg, DATA, tmp_path, log=lines.append)
    assert calls == [] and len(lines) >= 4
    assert sum("resumed" in line for line in lines) == 4
    key = lambda rs: sorted((r["seed"], r["level"], r["connections"], r["test_accuracy"], r["loss"]) for r in rs)
    assert key(first) == key(second) == key(load_result(tmp_path).records)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("seed_*/*.npz")} == files


def test_command_line_takes_the_method_defaults_unless_given(tmp_path, capsys):
    common = ["--synthetic", "--model", "mlp", "--hidden", "16", "--input", "12", "--target-connections", "100",
              "--epochs", "0.5", "--n-train", "300", "--n-test", "100", "--quiet"]
    assert main(["--method", "supermask_signed", *common, "--out", str(tmp_path / "a")]) == 0
    cfg = load_result(tmp_path / "a").config
    assert (cfg["optimizer"], cfg["lr"], cfg["momentum"], cfg["weight_decay"]) == ("sgd", 0.1, 0.9, 5e-4)
    assert main(["--method", "supermask", *common, "--optimizer", "adam", "--lr", "0.01", "--out",
                 str(tmp_path / "b")]) == 0
    cfg = load_result(tmp_path / "b").config
    assert (cfg["optimizer"], cfg["lr"], cfg["weight_decay"]) == ("adam", 0.01, 5e-4)
    assert main(["--method", "supermask_signed", *common, "--out", str(tmp_path / "a")]) == 0  # same experiment
    assert "test accuracy" in capsys.readouterr().out
