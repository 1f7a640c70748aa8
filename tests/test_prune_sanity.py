"""Sanity checks for pruning at initialisation (--sanity-checks shuffle,reinit,invert; Frankle et al. 2021): each
ablation's starting network, its seeds, resuming, the refusal for other methods, and unchanged old folders."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines import experiment as exp_mod
from prune_baselines.cli import main
from prune_baselines.data import synthetic_dataset
from prune_baselines.errors import PruneError
from prune_baselines.experiment import ExperimentConfig, run_experiment
from prune_baselines.masks import Masks
from prune_baselines.methods.base import derived_seed
from prune_baselines.methods.sanity import SEED_PARTS, inverted
from prune_baselines.models import build_model, init_weights
from prune_baselines.results import load_npz, load_result, save_npz
from prune_baselines.scoring import keep_top_k
from prune_baselines.synflow import synflow_ranks, synflow_scores
from wann.compare.series import series_label

DATA = synthetic_dataset(n_train=400, n_test=200, n_inputs=20, n_classes=4, seed=1)
TARGETS = (200, 80)


def _cfg(**kw):
    base = dict(method="synflow", model="mlp", hidden=(24, 12), input=20, target_connections=TARGETS, seeds=(0,),
                epochs=1, lr=1e-2, batch_size=40, synflow_iterations=10, sanity_checks=("shuffle", "reinit", "invert"))
    base.update(kw)
    return ExperimentConfig(**base)


def _spy_train(monkeypatch) -> list[tuple[str, int, dict[str, torch.Tensor], Masks]]:
    """Record (variant, level, starting state, masks) of every training."""
    starts = []
    real_train = exp_mod.Experiment.train

    def spy(self, model, masks, seed, variant, level, epochs, snapshot_iteration=None):
        starts.append((variant, level, {k: v.detach().clone() for k, v in model.state_dict().items()}, masks))
        return real_train(self, model, masks, seed, variant, level, epochs, snapshot_iteration)

    monkeypatch.setattr(exp_mod.Experiment, "train", spy)
    return starts


def _weights(state: dict[str, torch.Tensor]) -> list[np.ndarray]:
    return [state[f"layers.{l}.weight"].numpy() for l in range(3)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One synflow run with all three checks, the starting point of every training recorded."""
    out = tmp_path_factory.mktemp("sanity")
    mp = pytest.MonkeyPatch()
    starts = _spy_train(mp)
    try:
        run_experiment(_cfg(), DATA, out)
    finally:
        mp.undo()
    return out, {(v, level): (state, masks) for v, level, state, masks in starts}


def _init(seed: int = 0):
    return build_model("mlp", 20, (24, 12), n_outputs=4, seed=seed)


@pytest.mark.parametrize("level", [1, 2])
def test_each_check_starts_from_the_mask_and_weights_it_claims(run, level):
    _, starts = run
    t = TARGETS[level - 1]
    init = _init()
    init_w = [w.detach().numpy() for _, w in init.prunable()]
    ranks = synflow_ranks(init, Masks.ones(init), t, iterations=10)
    ticket_state, ticket = starts["ticket", level]
    assert ticket.count() == t and all(torch.equal(ticket[n], keep_top_k(ranks, Masks.ones(init), t)[n])
                                       for n in ticket.names)
    counts = ticket.per_layer()

    state, shuffled = starts["shuffle", level]  # same per-layer counts, other weights, initial values
    assert shuffled.per_layer() == counts
    assert all(not torch.equal(shuffled[n], ticket[n]) for n in ticket.names)
    for w, w0, m in zip(_weights(state), init_w, shuffled.tensors.values()):
        np.testing.assert_array_equal(w, w0 * m.numpy())

    state, same = starts["reinit", level]  # the ticket's mask, fresh values from the derived seed
    assert all(torch.equal(same[n], ticket[n]) for n in ticket.names)
    fresh = _init()
    init_weights(fresh, derived_seed(0, level, SEED_PARTS["reinit"]))
    for w, w0, wf, m in zip(_weights(state), init_w, [w.detach().numpy() for _, w in fresh.prunable()],
                            ticket.tensors.values()):
        m = m.numpy()
        np.testing.assert_array_equal(w, wf * m)
        assert not np.any(w[m] == w0[m])
    assert all(not b.any() for k, b in state.items() if k.endswith("bias"))

    state, inv = starts["invert", level]  # the lowest-scored weights of each layer, as many as the ticket keeps
    assert inv.per_layer() == counts
    for n, w, w0 in zip(ticket.names, _weights(state), init_w):
        kept, r = inv[n], ranks[n]
        assert float(r[kept].max()) < float(r[~kept].min())
        assert not (inv[n] & ticket[n]).any() or counts[n] > r.numel() / 2
        np.testing.assert_array_equal(w, w0 * kept.numpy())
    for v in ("shuffle", "invert"):
        assert all(not b.any() for k, b in starts[v, level][0].items() if k.endswith("bias"))
    assert all(torch.equal(ticket_state[k], init.state_dict()[k] * (ticket[k] if k in ticket.names else 1))
               for k in ticket_state)


def test_variants_are_saved_tabulated_and_named(run):
    out, _ = run
    res = load_result(out)
    got = sorted((r["variant"], r["level"]) for r in res.records if r["level"] > 0)
    assert got == sorted((v, l) for v in ("ticket", "shuffle", "reinit", "invert") for l in (1, 2))
    table = json.loads((out / "results.json").read_text())
    assert table["config"]["sanity_checks"] == ["shuffle", "reinit", "invert"]
    assert {r["variant"] for r in table["records"]} == {"ticket", "shuffle", "reinit", "invert"}
    assert (out / "results.csv").read_text().count("\nsynflow,invert,0,") == 2
    assert (out / "accuracy_vs_connections.png").stat().st_size > 0
    labels = {series_label(r) for r in res.records if r["level"] > 0}
    assert labels == {"SynFlow", "SynFlow shuffled mask (trained)", "SynFlow reinit", "SynFlow inverted mask (trained)"}
    assert series_label({"method": "random", "variant": "shuffle", "level": 1}) == "random shuffled mask (trained)"


def test_a_second_run_recomputes_nothing_and_a_missing_check_alone_is_redone(run, monkeypatch):
    out, _ = run
    before = {r["variant"] + str(r["level"]): r for r in load_result(out).records}
    files = {p: p.stat().st_mtime_ns for p in out.glob("seed_*/*.npz")}
    starts = _spy_train(monkeypatch)
    run_experiment(_cfg(), DATA, out)
    assert starts == []
    assert {p: p.stat().st_mtime_ns for p in out.glob("seed_*/*.npz")} == files

    (out / "seed_0" / "invert_level_02.npz").unlink()
    run_experiment(_cfg(), DATA, out)
    assert [(v, level) for v, level, _, _ in starts] == [("invert", 2)]
    again = {r["variant"] + str(r["level"]): r for r in load_result(out).records}
    for key in ("per_layer", "connections", "test_accuracy", "loss"):
        assert again["invert2"][key] == before["invert2"][key]


def test_a_check_redone_beside_a_saved_ticket_needs_the_same_mask(tmp_path):
    cfg = _cfg(sanity_checks=("shuffle",), target_connections=(80,))
    run_experiment(cfg, DATA, tmp_path)
    ticket = tmp_path / "seed_0" / "ticket_level_01.npz"
    arrays = load_npz(ticket)
    mask = arrays["mask_0"].ravel()
    mask[[np.argmax(mask), np.argmin(mask)]] = [False, True]  # another mask with the same count
    save_npz(ticket, arrays)
    (tmp_path / "seed_0" / "shuffle_level_01.npz").unlink()
    with pytest.raises(PruneError, match="seed 0 level 1.* the scores no longer give the saved mask"):
        run_experiment(cfg, DATA, tmp_path)


@pytest.mark.parametrize("method", ["imp", "obd", "magnitude", "supermask"])
def test_methods_that_do_not_prune_at_init_refuse_the_checks(method, tmp_path, capsys):
    with pytest.raises(PruneError, match=f"--sanity-checks .* defined for the methods that prune at "
                                         f"initialisation, --method synflow, random, not {method}"):
        _cfg(method=method, scope=None, synflow_iterations=100)
    assert main(["--method", method, "--synthetic", "--model", "mlp", "--hidden", "8", "--input", "10",
                 "--sanity-checks", "shuffle", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --sanity-checks (shuffle, reinit, invert) are defined for") and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_unused_checks_leave_the_identity_and_old_folders_as_they_were(tmp_path):
    for method in ("synflow", "random", "imp"):
        assert "sanity_checks" not in _cfg(method=method, sanity_checks=(), scope=None).identity()
    assert _cfg(sanity_checks=("invert", "shuffle", "invert")).sanity_checks == ("shuffle", "invert")
    plain = _cfg(sanity_checks=(), target_connections=(80,))
    run_experiment(plain, DATA, tmp_path)
    path = tmp_path / "config.json"
    written = json.loads(path.read_text())["config"]
    assert written == plain.identity() and "sanity_checks" not in written
    run_experiment(plain, DATA, tmp_path)  # a folder from before the setting resumes; its config is unchanged
    assert json.loads(path.read_text())["config"] == written
    with pytest.raises(PruneError, match="differs in sanity_checks"):
        run_experiment(_cfg(target_connections=(80,)), DATA, tmp_path)


def test_synflow_ranks_select_the_iterative_mask_and_their_inverse():
    """The ranks' top k is plain iterative SynFlow (each round: score, keep the best k_i), with and without a
    per-unit floor; inverting them keeps each layer's lowest ranks (with the floor: each unit's lowest first)."""
    model = build_model("mlp", 30, (20, 15), n_outputs=6, seed=3)
    ones = Masks.ones(model)
    for floor in (0, 1):
        current, k, n = ones, 90, 12
        for i in range(1, n + 1):
            k_i = k if i == n else max(k, int(round(ones.count() * (k / ones.count()) ** (i / n))))
            current = keep_top_k(synflow_scores(model, current), current, k_i, floor)
        ranks = synflow_ranks(model, ones, k, iterations=n, floor_per_output=floor)
        flat = torch.cat([r.flatten() for r in ranks.values()])
        assert torch.equal(torch.sort(flat).values, torch.arange(flat.numel(), dtype=torch.float64))
        kept = keep_top_k(ranks, ones, k, floor)
        assert all(torch.equal(kept[name], current[name]) for name in ones.names)
        inv = inverted(ranks, kept, floor)
        assert inv.per_layer() == kept.per_layer()
        if floor:
            assert all(bool(inv[name].any(dim=1).all()) for name in ones.names)
        else:
            assert all(float(ranks[name][inv[name]].max()) < float(ranks[name][~inv[name]].min()) for name in ones.names)
