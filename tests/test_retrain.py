"""Retraining studies (prune_baselines.retrain): Scratch-E/B budgets and FLOPs as documented, what each arm
starts from, Early-Bird inside the large model's training, resuming, and the command line."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from prune_baselines.convnet import build_convnet
from prune_baselines.data import synthetic_dataset
from prune_baselines.errors import PruneError
from prune_baselines.flops import TRAIN_FACTOR, convnet_flops, forward_flops, scratch_b_epochs, training_flops
from prune_baselines.masks import Masks
from prune_baselines.models import build_model
from prune_baselines.retrain import RetrainConfig, run_study
from prune_baselines.retrain.structures import STRUCTURES, fresh
from prune_baselines.retrain.tables import load_study, summary
from prune_baselines.train import evaluate
from wann.cli import main

DATA = synthetic_dataset(n_train=600, n_test=200, n_inputs=784)


def _macs_by_hooks(model, x) -> int:
    """Multiply-accumulates of conv and linear layers counted from their outputs' shapes during a forward pass."""
    total = []

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.Conv2d):
            total.append(out[0].numel() * mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1])
        else:
            total.append(out[0].numel() * mod.in_features)
    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model.eval()
        model(x)
    for h in hs:
        h.remove()
    return sum(total)


@pytest.mark.parametrize("channels", [(6, 16), (3, 9), (1, 1)])
def test_convnet_flops_equal_a_count_of_the_forward_pass(channels):
    model = build_convnet(0, channels)
    assert convnet_flops(channels) == forward_flops(model) == 2 * _macs_by_hooks(model, torch.rand(1, 784))


def test_mlp_flops_dense_and_masked():
    model = build_model("lenet300", 784)
    assert forward_flops(model) == 2 * (784 * 300 + 300 * 100 + 100 * 10)
    masks = STRUCTURES["weights"].draw(model, 0.9)
    assert forward_flops(model, masks) == 2 * masks.count()
    assert training_flops(1000, 60000, 2.5) == TRAIN_FACTOR * 1000 * 60000 * 2.5
    with pytest.raises(PruneError):
        forward_flops(build_convnet(0), Masks.ones(model))


def test_scratch_b_epochs_follow_the_flops_ratio_up_to_the_cap():
    assert scratch_b_epochs(10, 1000, 400, cap=0) == 25.0  # the FLOPs ratio, 2.5 (cap 0 = none: CIFAR)
    assert scratch_b_epochs(10, 1000, 400, cap=3) == 25.0
    assert scratch_b_epochs(10, 1000, 400) == 20.0  # the default cap: Liu et al. on ImageNet, at most twice
    assert scratch_b_epochs(10, 1000, 800, cap=2) == 12.5
    assert scratch_b_epochs(10, 1000, 1000, cap=2) == 10.0  # nothing saved: Scratch-B = Scratch-E
    for bad in ((10, 0, 1), (10, 1, 0)):
        with pytest.raises(PruneError):
            scratch_b_epochs(*bad)
    with pytest.raises(PruneError):
        scratch_b_epochs(10, 2, 1, cap=-1)


@pytest.mark.parametrize("ratio", [0.5, 0.9])
def test_weight_and_unit_structures(ratio):
    model = build_model("lenet300", 784, seed=3)
    masks = STRUCTURES["weights"].draw(model, ratio)
    for name, m in masks.tensors.items():  # layerwise, uniform: each layer keeps round((1 - p) n) largest |w|
        w = dict(model.prunable())[name].detach().abs()
        assert int(m.sum()) == round((1 - ratio) * m.numel())
        assert w[m].min() >= w[~m].max()
    net, m2 = STRUCTURES["weights"].extract(model, masks)
    assert m2 is masks and net is not model and float(model.layers[0].weight.detach().abs().min()) > 0  # model unchanged
    assert all(bool((w[~masks[n]] == 0).all()) for n, w in net.prunable())
    units = STRUCTURES["units"].draw(model, ratio)
    small, none = STRUCTURES["units"].extract(model, units)
    assert none is None and small.sizes == (784, round(300 * (1 - ratio)), round(100 * (1 - ratio)), 10)


def test_fresh_is_a_new_initialisation_of_the_same_architecture():
    small = STRUCTURES["channels"].extract(build_convnet(0), {"bn1": torch.tensor([1, 0, 1, 1, 0, 1], dtype=torch.bool),
                                                              "bn2": torch.ones(16, dtype=torch.bool)})[0]
    a, b = fresh(small, 5), fresh(small, 5)
    assert a.channels == small.channels == (4, 16)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.conv1.weight, small.conv1.weight)


def _study(tmp_path, **kw):
    base = dict(epochs=6, seeds=(0, 1), prune_ratios=(0.5,), arms=("finetune", "ticket", "scratch_e", "scratch_b"))
    cfg = RetrainConfig(**{**base, **kw})
    return cfg, run_study(cfg, DATA, tmp_path / "s")


def test_budgets_and_records_as_documented(tmp_path):
    cfg, records = _study(tmp_path, structure="weights", prune_ratios=(0.5, 0.9), scratch_b_cap=2.0)
    per_epoch = 600 // 60
    large = {r["seed"]: r for r in records if r["arm"] == "large"}
    assert len(records) == 2 + 2 * 2 * 4
    for r in records:
        assert r["train_flops"] == TRAIN_FACTOR * r["forward_flops"] * 600 * r["epochs"]
        if r["arm"] == "large":
            continue
        lg = large[r["seed"]]
        assert r["flops_ratio"] == pytest.approx(lg["forward_flops"] / r["forward_flops"])
        want = {"finetune": 0.25 * 6, "ticket": 6, "scratch_e": 6,
                "scratch_b": 6 * min(r["flops_ratio"], 2.0)}[r["arm"]]
        assert r["epochs"] == round(want * per_epoch) / per_epoch
        if r["arm"] in ("finetune", "ticket"):  # the large model's training counts
            assert r["total_train_flops"] == lg["train_flops"] + r["train_flops"]
        else:
            assert r["total_train_flops"] == r["train_flops"]
        keep = 1 - r["prune_ratio"]
        assert r["parameters"] == round(keep * 784 * 300) + round(keep * 300 * 100) + round(keep * 100 * DATA.n_classes)
        assert r["lr"] == cfg.lr and r["optimizer"] == "adam"
    at90 = [r for r in records if r["arm"] == "scratch_b" and r["prune_ratio"] == 0.9]
    assert all(r["epochs"] == 12 for r in at90)  # ratio ~10, capped at 2x
    text = summary(records)
    assert "scratch_b" in text and "90%" in text


def test_finetune_starts_from_the_trained_weights(tmp_path):
    cfg, records = _study(tmp_path, structure="units", finetune_epochs=0.0, arms=("finetune",), seeds=(0,))
    from prune_baselines.models import set_state
    from prune_baselines.results import load_npz
    large = build_model("lenet300", 784, n_outputs=DATA.n_classes, seed=0)
    set_state(large, {k: torch.from_numpy(v) for k, v in load_npz(tmp_path / "s" / "seed_0" / "large.npz").items()})
    small, _ = STRUCTURES["units"].extract(large, STRUCTURES["units"].draw(large, 0.5))
    ft = next(r for r in records if r["arm"] == "finetune")
    assert ft["epochs"] == 0 and ft["test_accuracy"] == evaluate(small, None, DATA.x_test, DATA.y_test)
    assert ft["architecture"] == [150, 50] and ft["parameters"] == 784 * 150 + 150 * 50 + 50 * DATA.n_classes


def test_an_early_bird_that_never_emerges_is_the_full_training_ticket(tmp_path):
    _, records = _study(tmp_path, structure="weights", arms=("finetune", "early_bird"), eb_eps=1e-9)
    for seed in (0, 1):
        ft, eb = (next(r for r in records if r["seed"] == seed and r["arm"] == a) for a in ("finetune", "early_bird"))
        assert eb["emergence_epoch"] is None and eb["search_epochs"] == 6 and eb["epochs_saved"] == 0
        assert eb["test_accuracy"] == ft["test_accuracy"] and eb["loss"] == ft["loss"]
    assert (tmp_path / "s" / "early_bird_distances.png").stat().st_size > 0


def test_an_early_bird_drawn_at_the_window_saves_the_rest_of_training(tmp_path):
    _, records = _study(tmp_path, model="convnet", arms=("finetune", "early_bird"), eb_eps=1.0, eb_window=3,
                        seeds=(0,))
    eb = next(r for r in records if r["arm"] == "early_bird")
    assert eb["emergence_epoch"] == 3 and eb["search_epochs"] == 3 and eb["epochs_saved"] == 3
    assert eb["total_epochs"] == 3 + eb["epochs"]
    large = next(r for r in records if r["arm"] == "large")
    assert eb["total_train_flops"] == pytest.approx(large["train_flops"] / 2 + eb["train_flops"])
    meta = json.loads((tmp_path / "s" / "seed_0" / "eb_ticket_p0.5.json").read_text())
    d = np.array(meta["distances"])
    assert d.shape == (6, 6) and np.allclose(d, d.T) and (np.diag(d) == 0).all()  # every epoch of the training
    assert sum(eb["architecture"]) == 22 - 11


def test_resume_adds_points_and_refuses_other_settings(tmp_path):
    cfg, first = _study(tmp_path, structure="units", arms=("scratch_e",), seeds=(0,))
    folder = tmp_path / "s"
    stamps = {p: p.stat().st_mtime_ns for p in folder.glob("seed_0/*")}
    _, again = _study(tmp_path, structure="units", arms=("scratch_e", "finetune"), seeds=(0,))
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # nothing recomputed
    assert {r["arm"] for r in again} == {"large", "scratch_e", "finetune"}
    assert [r for r in again if r["arm"] == "scratch_e"] == [r for r in first if r["arm"] == "scratch_e"]
    with pytest.raises(PruneError, match="differs in finetune_lr, lr"):
        _study(tmp_path, structure="units", arms=("scratch_e",), seeds=(0,), lr=0.01)
    _study(tmp_path, structure="units", arms=("ticket",), seeds=(0,), prune_ratios=(0.7,))
    config = load_study(folder)[0]
    assert config["arms"] == ["finetune", "ticket", "scratch_e"] and config["prune_ratios"] == [0.5, 0.7]


def test_settings_rules():
    assert RetrainConfig(model="convnet").structure == "channels" and RetrainConfig().structure == "units"
    assert RetrainConfig(model="convnet").bn_l1 == 1e-4
    assert RetrainConfig(epochs=8).finetune_epochs == 2.0
    assert RetrainConfig(lr=0.1).finetune_lr == 0.1
    assert RetrainConfig(arms=("early_bird",), epochs=6).eb_window == 5
    for bad, msg in [(dict(model="lenet300", structure="channels"), "takes --structure weights or units"),
                     (dict(bn_l1=1e-4), "has none"), (dict(eb_eps=0.1), "add it to --arms"),
                     (dict(arms=("early_bird",), epochs=5.5), "whole number"),
                     (dict(arms=("early_bird",), epochs=3), "--eb-window 5 needs"),
                     (dict(model="convnet", input=256), "28x28")]:
        with pytest.raises(PruneError, match=msg):
            RetrainConfig(**bad)


def test_wann_retrain_command(tmp_path, capsys):
    out = tmp_path / "r"
    argv = ["retrain", "--synthetic", "--n-train", "300", "--n-test", "100", "--model", "convnet", "--epochs", "2",
            "--prune-ratios", "0.3,0.5", "--arms", "finetune,scratch_b", "--seeds", "1", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "scratch_b" in text and f"results in {out}" in text
    for name in ("config.json", "results.csv", "results.json", "retraining.png"):
        assert (out / name).stat().st_size > 0
    rows = (out / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 1 + 2 * 2 and rows[0].startswith("seed,model,structure,arm,prune_ratio,optimizer,lr")
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert "retraining study: channels of convnet" in page and "scratch_b" in page
    assert main(["plot", str(out), "--out", str(tmp_path / "fig")]) == 0
    assert (tmp_path / "fig" / "retraining.png").stat().st_size > 0


def test_new_early_bird_ratios_train_the_same_large_model_again(tmp_path):
    kw = dict(structure="units", arms=("early_bird",), epochs=3, eb_window=2, seeds=(0,))
    _study(tmp_path, prune_ratios=(0.5,), **kw)
    large = tmp_path / "s" / "seed_0" / "large.json"
    stamp, text = large.stat().st_mtime_ns, large.read_text()
    _, records = _study(tmp_path, prune_ratios=(0.5, 0.7), **kw)  # no saved ticket at 0.7: the search runs again
    assert large.stat().st_mtime_ns == stamp and large.read_text() == text  # reproduced, so kept
    assert sorted(r["prune_ratio"] for r in records if r["arm"] == "early_bird") == [0.5, 0.7]
    from prune_baselines.results import load_npz, save_npz
    path = tmp_path / "s" / "seed_0" / "large.npz"
    z = load_npz(path)
    z["layers.0.bias"] = z["layers.0.bias"] + 1.0
    save_npz(path, z)
    (tmp_path / "s" / "seed_0" / "eb_ticket_p0.7.json").unlink()
    with pytest.raises(PruneError, match="does not reproduce"):
        _study(tmp_path, prune_ratios=(0.5, 0.7), **kw)


def test_the_figure_takes_seeds_of_equal_accuracy(tmp_path):
    """Three equal accuracies whose mean rounds below them once scaled to percent (a crash once)."""
    from prune_baselines.retrain.tables import write_figure
    x = 0.9004002001000501
    assert (100 * np.array([x] * 3)).mean() < 100 * x
    base = {"prune_ratio": 0.5, "train_flops": 1.0, "total_train_flops": 1.0}
    records = [{**base, "arm": "large", "prune_ratio": 0.0, "test_accuracy": 0.98, "seed": s} for s in range(3)]
    records += [{**base, "arm": "finetune", "test_accuracy": x, "seed": s} for s in range(3)]
    config = RetrainConfig().model_dump(mode="json")
    assert write_figure(tmp_path / "f.png", config, records).stat().st_size > 0
