"""Every setting the README's table "Pruning baselines: settings against the papers" states for our methods,
read from the code that sets it (config defaults, layer rates, schedules, initialisations, the loop each method
calls), and the table's ``ours`` rows read back against the same values, so neither can drift alone."""
from __future__ import annotations

import itertools
import math
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines import synflow as synflow_mod
from prune_baselines.data import synthetic_dataset
from prune_baselines.errors import PruneError
from prune_baselines.experiment import ExperimentConfig, run_experiment
from prune_baselines.masks import Masks
from prune_baselines.methods import METHODS, imp, magnitude, obd, supermask
from prune_baselines.methods.base import layer_rates
from prune_baselines.models import build_model
from prune_baselines.schedules import iterative_schedule
from prune_baselines.scoring import layer_allocation

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "### Pruning baselines: settings against the papers"
MNIST_TRAIN = 60000
LENET = {"layers.0.weight": 784 * 300, "layers.1.weight": 300 * 100, "layers.2.weight": 100 * 10}
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:e-?\d+)?")


def cfg(method: str = "imp") -> ExperimentConfig:
    return ExperimentConfig(method=method)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def ours_rows() -> dict[str, dict[str, str]]:
    """The table's ``ours`` rows by method name (backticks dropped), each as {column: cell}."""
    lines = README.read_text().split(HEADING, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = list(itertools.takewhile(lambda line: line.startswith("|"), lines[start:]))
    header = _cells(table[0])
    rows = [dict(zip(header, _cells(line))) for line in table[2:]]
    return {r["method"].strip("`"): r for r in rows if r["source"] == "ours"}


def numbers(cell: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(cell)]


def optimiser(c: ExperimentConfig) -> tuple[str, list[float]]:
    """The optimiser cell's first word and numbers: Adam has none, SGD its momentum and weight decay."""
    return ("Adam", []) if c.optimizer == "adam" else ("SGD", [c.momentum, c.weight_decay])


def expected_rows() -> dict[str, dict]:
    """Per method, per column: the cell's text (str) or the numbers in it (list), from the code's values."""
    rows = {}
    for name in ["dense", *METHODS]:
        c = cfg("imp" if name == "dense" else name)
        word, nums = optimiser(c)
        rows[name] = {"optimiser": (word, nums), "lr": [c.lr], "batch": [c.batch_size],
                      "scope": "–" if name == "dense" else c.scope, "init": "Glorot normal"}
    d, i, o, s, m, r = cfg(), cfg("imp"), cfg("obd"), cfg("synflow"), cfg("magnitude"), cfg("random")
    rows["dense"] |= {"training": [d.epochs, d.train_config().plan(MNIST_TRAIN)[2]],
                      "init": "Glorot normal, zero biases"}
    rows["imp"] |= {"training": [i.epochs], "pruning": [100 * i.rate, 100 * i.output_rate],
                    "rewind": [i.rewind_iteration]}
    rows["obd"] |= {"training": [o.epochs, o.finetune_epochs], "pruning": [100 * o.rate, o.obd_samples]}
    rows["synflow"] |= {"training": [s.epochs], "pruning": [s.synflow_iterations]}
    rows["magnitude"] |= {"training": [m.epochs, m.epochs], "pruning": [100 * m.rate, m.finetune_epochs]}
    rows["random"] |= {"training": [r.epochs], "pruning": [100 * r.rate, 100 * r.rate, 100 * r.output_rate]}
    for name, weights in (("supermask", "Glorot normal"), ("supermask_signed", "sign(w)·sqrt(2/(fan_in+fan_out))")):
        c = cfg(name)
        rows[name] |= {"training": [c.epochs], "pruning": [100 * c.rate, 100 * c.rate, 100 * c.output_rate],
                       "init": f"weights {weights}, frozen, × 1/sqrt(density) (`--rescale {c.rescale}`)"}
    e = cfg("early_bird")
    rows["early_bird"] |= {"training": [e.search_epochs, e.eb_window, e.eb_eps, e.epochs],
                           "pruning": [100 * e.rate, 100 * e.rate, 100 * e.output_rate]}
    return rows


@pytest.mark.parametrize("method", ["dense", *METHODS])
def test_readme_row_states_the_code_settings(method):
    row, want = ours_rows()[method], expected_rows()[method]
    for column, value in want.items():
        cell = row[column]
        if column == "optimiser":
            assert cell.split(",")[0] == value[0] and numbers(cell) == pytest.approx(value[1]), (column, cell)
        elif column == "init":
            assert cell.startswith(value), (column, cell)
        elif isinstance(value, str):
            assert cell == value, (column, cell)
        else:
            assert numbers(cell) == pytest.approx(value), (column, cell)
    assert ("to init" in row["rewind"]) == (method == "imp")
    assert row["rewind"].startswith("none (fine-tune)") == (method in ("obd", "magnitude"))


def test_training_defaults_are_frankle_and_carbins():
    c = cfg()
    assert (c.optimizer, c.lr, c.batch_size, c.epochs, c.weight_decay) == ("adam", 1.2e-3, 60, 5.0, 0.0)
    assert c.train_config().plan(MNIST_TRAIN) == (60, 1000, 5000)


def test_init_is_glorot_normal_with_zero_biases():
    model = build_model("lenet300", 784, seed=0)
    for layer in model.layers:
        w = layer.weight.detach().double().flatten()
        fan_out, fan_in = layer.weight.shape
        n = w.numel()
        assert w.std().item() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=4 / math.sqrt(2 * n))
        assert abs(w.mean().item()) < 4 * w.std().item() / math.sqrt(n)
        assert not layer.bias.any()
    w = model.layers[0].weight.detach().double().flatten()
    kurtosis = (((w - w.mean()) / w.std()) ** 4).mean().item()
    assert kurtosis == pytest.approx(3.0, abs=0.05)  # normal; Glorot uniform, of the same std, has 1.8


def _capture(monkeypatch, module, name: str) -> list[dict]:
    """Replace the loop ``module.name`` by a recorder of its keyword arguments."""
    calls = []
    monkeypatch.setattr(module, name, lambda ctx, seed, *args, **kw: calls.append(kw))
    return calls


def test_imp_prunes_20_20_10_layerwise_and_rewinds_to_init(monkeypatch):
    c = cfg("imp")
    assert METHODS["imp"].default_scope == c.scope == "layerwise" and c.rewind_iteration == 0
    assert list(layer_rates(c, list(LENET)).values()) == [0.2, 0.2, 0.1]
    assert list(layer_rates(cfg("obd"), list(LENET)).values()) == [0.2, 0.2, 0.2]
    first = iterative_schedule(LENET, [1800], layer_rates(c, list(LENET)))[0]
    assert list(first.values()) == [188160, 24000, 900]
    calls = _capture(monkeypatch, imp, "iterative")
    imp.run(SimpleNamespace(cfg=c), 0)
    assert calls[0]["rewind"] is True and calls[0]["epochs"] == c.epochs


def test_obd_prunes_20_percent_globally_and_fine_tunes(monkeypatch):
    c = cfg("obd")
    assert (c.scope, c.rate, c.finetune_epochs, c.obd_samples) == ("global", 0.2, 1.0, 10000)
    calls = _capture(monkeypatch, obd, "iterative")
    obd.run(SimpleNamespace(cfg=c, data=None), 0)
    assert calls[0] == {"epochs": c.finetune_epochs, "rewind": False}


def test_synflow_100_global_iterations_on_the_exponential_schedule(monkeypatch):
    c = cfg("synflow")
    assert (c.scope, c.synflow_iterations) == ("global", 100)
    with pytest.raises(PruneError, match="ranks globally"):
        ExperimentConfig(method="synflow", scope="layerwise")
    ks = []
    real = synflow_mod.keep_top_k
    monkeypatch.setattr(synflow_mod, "keep_top_k", lambda s, m, k, f: ks.append(k) or real(s, m, k, f))
    model = build_model("mlp", 12, (16,), n_outputs=4, seed=0)
    start, k = 12 * 16 + 16 * 4, 20
    ranks = synflow_mod.synflow_ranks(model, Masks.ones(model), k, iterations=c.synflow_iterations)
    assert all(isinstance(x, int) for x in ks)  # one global count per round, not per layer
    assert ks == [max(k, round(start * (k / start) ** (i / 100))) for i in range(1, 100)] + [k]
    assert sum(int(torch.isfinite(r).sum()) for r in ranks.values()) == start  # every weight ranked
    assert synflow_mod.synflow_prune(model, Masks.ones(model), k).count() == k


def test_magnitude_prunes_once_or_in_rounds_and_fine_tunes(monkeypatch):
    c = cfg("magnitude")
    assert (c.scope, c.oneshot_rewind, c.iterative) == ("layerwise", False, None)
    assert layer_allocation(LENET, 1800, layer_rates(c, list(LENET))) == dict(zip(LENET, [1515, 193, 92]))
    once, rounds = _capture(monkeypatch, magnitude, "one_shot_trained"), _capture(monkeypatch, magnitude, "iterative")
    magnitude.run(SimpleNamespace(cfg=c), 0)
    it = ExperimentConfig(method="magnitude", iterative=True)
    magnitude.run(SimpleNamespace(cfg=it), 0)
    assert once == [{"rewind": False}] and rounds == [{"epochs": it.finetune_epochs, "rewind": False}]
    with pytest.raises(PruneError, match="--method imp"):
        ExperimentConfig(method="magnitude", iterative=True, oneshot_rewind=True)


def test_magnitude_rounds_fine_tune_to_the_target(tmp_path):
    data = synthetic_dataset(n_train=300, n_test=100, n_inputs=12, n_classes=4, seed=0)
    c = ExperimentConfig(method="magnitude", iterative=True, model="mlp", hidden=(16,), input=12,
                         target_connections=(60,), epochs=1, finetune_epochs=0.5, batch_size=30, lr=1e-2)
    recs = run_experiment(c, data, tmp_path)
    sizes = {"layers.0.weight": 192, "layers.1.weight": 64}
    rounds = len(iterative_schedule(sizes, [60], layer_rates(c, list(sizes))))
    assert [r["level"] for r in recs] == list(range(rounds + 1)) and recs[-1]["connections"] == 60
    assert [r["epochs"] for r in recs] == [1.0] + [0.5] * rounds
    assert recs[-1]["cumulative_epochs"] == pytest.approx(1.0 + 0.5 * rounds)


def test_random_masks_at_init_with_the_layerwise_allocation(tmp_path):
    data = synthetic_dataset(n_train=300, n_test=100, n_inputs=12, n_classes=4, seed=0)
    c = ExperimentConfig(method="random", model="mlp", hidden=(16,), input=12, target_connections=(60,), epochs=0.1,
                         batch_size=30)
    assert METHODS["random"].default_scope == c.scope == "layerwise"
    recs = run_experiment(c, data, tmp_path)
    sizes = {"layers.0.weight": 192, "layers.1.weight": 64}
    assert recs[-1]["per_layer"] == list(layer_allocation(sizes, 60, layer_rates(c, list(sizes))).values())


def test_supermask_is_edge_popup():
    assert supermask.EDGE_POPUP == {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}
    for method in ("supermask", "supermask_signed"):
        c = cfg(method)
        assert (c.optimizer, c.lr, c.momentum, c.weight_decay, c.rescale, c.batch_size, c.scope) == (
            "sgd", 0.1, 0.9, 5e-4, "fan", 60, "layerwise")
    density = 0.04
    mult = torch.zeros(100)
    mult[:4] = 1.0
    assert supermask.layer_factors([mult], cfg("supermask").rescale) == [pytest.approx(1 / math.sqrt(density))]


def test_supermask_scores_and_signed_weights():
    model = build_model("lenet300", 784, seed=0)
    for layer, s in zip(model.layers, supermask.init_scores(model, 0)):
        bound = 1 / math.sqrt(layer.weight.shape[1])
        assert s.abs().max().item() <= bound and s.abs().max().item() > 0.99 * bound  # uniform in ±1/sqrt(fan_in)
    supermask.freeze(model, signed=True)
    for layer in model.layers:
        fan_out, fan_in = layer.weight.shape
        assert torch.allclose(layer.weight.abs(), torch.tensor(math.sqrt(2 / (fan_in + fan_out))))


def test_supermask_top_k_is_straight_through():
    scores = torch.rand(5, 6, dtype=torch.float64, requires_grad=True)
    g = torch.randn(5, 6, dtype=torch.float64)
    (mask,) = supermask.TopK.apply((7,), scores)
    assert torch.equal(mask.bool(), scores.detach() >= scores.detach().flatten().topk(7).values[-1])
    (mask * g).sum().backward()
    assert torch.equal(scores.grad, g)


def test_supermask_lr_decays_to_zero_on_a_cosine(monkeypatch):
    lrs = []

    class Recording(torch.optim.SGD):
        def step(self, closure=None):
            lrs.append(self.param_groups[0]["lr"])
            return super().step(closure)

    monkeypatch.setattr(supermask, "make_optimizer", lambda params, tc: Recording(params, lr=tc.lr))
    data = synthetic_dataset(n_train=300, n_test=100, n_inputs=12, n_classes=4, seed=0)
    model = build_model("mlp", 12, (16,), n_outputs=4, seed=0)
    supermask.freeze(model, signed=False)
    c = cfg("supermask")
    tc = c.train_config(epochs=1).model_copy(update={"batch_size": 30})
    supermask.train_scores(model, supermask.init_scores(model, 0), (60, 20), data, tc, 0, rescale=c.rescale)
    total = len(lrs)
    assert total == 10 and lrs == pytest.approx([c.lr * (1 + math.cos(math.pi * i / total)) / 2 for i in range(total)])
