"""Early stopping of prune_baselines (``--validation``, ``--eval-every``) and the lottery ticket figure, on a
synthetic task: the held-out split, the recorded early stop, its test accuracy, folders without it, bad input."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from PIL import Image

from prune_baselines.cli import main
from prune_baselines.data import synthetic_dataset
from prune_baselines.errors import PruneError
from prune_baselines.experiment import EVAL_EVERY, Experiment, ExperimentConfig, run_experiment
from prune_baselines.lottery_figure import FILE, lottery_figure, series, write_lottery_figure
from prune_baselines.masks import Masks
from prune_baselines.models import build_model, set_state
from prune_baselines.results import EARLY_STOP_FIELDS, RECORD_FIELDS, load_result
from prune_baselines.train import TrainConfig, evaluate, loss_and_accuracy, train
from tests.test_plots import assert_no_overlap

DATA = synthetic_dataset(n_train=600, n_test=300, n_inputs=20, n_classes=4, seed=1)
HELD_OUT, EVERY = 100, 5


def _cfg(**kw):
    base = dict(method="imp", model="mlp", hidden=(24, 12), input=20, target_connections=(120,), seeds=(0,),
                epochs=2, lr=1e-2, batch_size=30)
    return ExperimentConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def early_folder(tmp_path_factory):
    """An IMP folder with early stopping, both controls at every level, two seeds."""
    out = tmp_path_factory.mktemp("early")
    run_experiment(_cfg(validation=HELD_OUT, eval_every=EVERY, controls=("reinit", "random_mask"),
                        control_levels="all", seeds=(0, 1)), DATA, out)
    return out


def _rows(x: torch.Tensor) -> set[bytes]:
    return {r.tobytes() for r in x.numpy()}


def test_validation_split_is_the_last_training_images_and_disjoint_from_the_rest(tmp_path):
    e = Experiment(_cfg(validation=HELD_OUT), DATA, tmp_path)
    n = DATA.x_train.shape[0]
    assert e.data.x_val.shape[0] == HELD_OUT and e.data.x_train.shape[0] == n - HELD_OUT
    torch.testing.assert_close(e.data.x_val, DATA.x_train[n - HELD_OUT:], rtol=0, atol=0)
    torch.testing.assert_close(e.data.y_val, DATA.y_train[n - HELD_OUT:], rtol=0, atol=0)
    torch.testing.assert_close(e.data.x_train, DATA.x_train[:n - HELD_OUT], rtol=0, atol=0)
    assert not _rows(e.data.x_val) & _rows(e.data.x_train)
    prov = json.loads((tmp_path / "config.json").read_text())["provenance"]
    assert (prov["n_train"], prov["n_validation"]) == (n - HELD_OUT, HELD_OUT)
    assert e.cfg.eval_every == EVAL_EVERY == 100  # the paper's interval when not given


def test_held_out_images_are_never_trained_on():
    poisoned = synthetic_dataset(n_train=300, n_test=50, n_inputs=8, n_classes=3, seed=2)
    poisoned.x_train[-60:] = float("nan")  # a NaN image in any minibatch would make the loss NaN (a PruneError)
    data = poisoned.hold_out(60)
    model = build_model("mlp", 8, (16,), n_outputs=3, seed=0)
    stats = train(model, Masks.ones(model), data, TrainConfig(epochs=3, batch_size=20, lr=1e-2), seed=0)
    assert np.isfinite(stats.last_loss) and stats.iterations == 3 * 12
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_early_stop_is_the_argmin_of_the_recorded_validation_curve(early_folder):
    records = load_result(early_folder).records
    assert {r["variant"] for r in records} == {"ticket", "reinit", "random_mask"}
    for r in records:
        curve = r["validation_curve"]
        total = r["iterations"]
        assert curve["iteration"] == sorted({*range(EVERY, total + 1, EVERY), total})
        best = int(np.argmin(curve["loss"]))
        assert r["early_stop_iteration"] == curve["iteration"][best]
        assert r["early_stop_validation_loss"] == curve["loss"][best]
        assert r["early_stop_validation_accuracy"] == curve["accuracy"][best]
        assert 0 <= r["early_stop_test_accuracy"] <= 1


def test_test_accuracy_at_early_stop_is_that_of_the_snapshot_and_training_is_unchanged():
    data = synthetic_dataset(n_train=160, n_test=200, n_inputs=20, n_classes=4, seed=1).hold_out(60)
    cfg = TrainConfig(epochs=60, batch_size=20, lr=3e-2)  # 100 training images, 300 iterations: it overfits
    runs = []
    for every in (None, 5):
        model = build_model("mlp", 20, (64,), n_outputs=4, seed=3)
        masks = Masks.ones(model)
        runs.append((model, masks, train(model, masks, data, cfg, seed=7, eval_every=every)))
    (plain, _, no_stop), (model, masks, stats) = runs
    assert no_stop.early_stop is None
    for a, b in zip(plain.parameters(), model.parameters()):  # evaluating does not change training
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    stop = stats.early_stop
    assert stop.iteration < stats.iterations and stop.validation_loss < stop.curve["loss"][-1]  # not the final state
    snap = build_model("mlp", 20, (64,), n_outputs=4, seed=0)
    set_state(snap, stop.state)
    assert stop.test_accuracy == evaluate(snap, masks, data.x_test, data.y_test)
    assert (stop.validation_loss, stop.validation_accuracy) == loss_and_accuracy(snap, masks, data.x_val, data.y_val)
    assert stop.validation_loss == min(stop.curve["loss"])


def test_validation_off_leaves_records_config_and_files_as_before(tmp_path):
    run_experiment(_cfg(controls=("reinit",)), DATA, tmp_path)
    meta = json.loads((tmp_path / "config.json").read_text())
    assert not {"validation", "eval_every"} & set(meta["config"])
    assert "n_validation" not in meta["provenance"] and meta["provenance"]["n_train"] == DATA.x_train.shape[0]
    for r in load_result(tmp_path).records:
        assert set(r) == set(RECORD_FIELDS)
    with open(tmp_path / "results.csv") as fh:
        assert next(csv.reader(fh)) == RECORD_FIELDS
    assert not (tmp_path / FILE).exists() and write_lottery_figure(tmp_path) is None
    assert ExperimentConfig(validation=0).identity() == ExperimentConfig().identity()


def test_a_folder_without_validation_resumes_and_refuses_early_stopping(tmp_path):
    before = run_experiment(_cfg(), DATA, tmp_path)
    assert run_experiment(_cfg(), DATA, tmp_path) == before  # resumed: every point read back, none recomputed
    with pytest.raises(PruneError, match="differs in eval_every, validation"):
        run_experiment(_cfg(validation=HELD_OUT), DATA, tmp_path)


def test_results_csv_has_the_early_stop_columns(early_folder):
    with open(early_folder / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == RECORD_FIELDS + EARLY_STOP_FIELDS
    assert "validation_curve" not in rows[0]


def test_lottery_figure_has_the_papers_two_panels(early_folder):
    res = load_result(early_folder)
    fig = lottery_figure(res)
    left, right = fig.axes
    assert "early-stop iteration" in left.get_ylabel() and "test accuracy at early stop" in right.get_ylabel()
    for ax in (left, right):
        assert ax.get_xscale() == "log" and ax.xaxis_inverted() and ax.get_xlabel() == "weights remaining (%)"
    assert [c.get_label() for c in right.containers] == [
        "winning ticket", "reinit (random re-initialisation)", "random mask (same per-layer counts)"]
    assert "dense (level 0)" in right.get_legend_handles_labels()[1]
    ticket = [r for r in res.records if r["variant"] == "ticket"]
    x, mean, lo, hi = series(ticket, "early_stop_test_accuracy", 100.0)
    line = right.containers[0].lines[0]
    np.testing.assert_allclose(line.get_xdata(), x)
    np.testing.assert_allclose(line.get_ydata(), mean)
    assert x[0] == 100.0 and np.all(np.diff(x) < 0) and np.all(lo <= mean) and np.all(mean <= hi)
    total = res.records[0]["iterations"]
    assert [t.get_text() for t in left.texts] == [f"last iteration ({total:,})"]
    assert assert_no_overlap(fig) > 10  # tick labels, axis labels, legend, title: no two overlap
    with Image.open(early_folder / FILE) as im:
        assert im.mode == "RGB" and im.size[0] > im.size[1]


def test_lottery_figure_needs_early_stopping_records(tmp_path):
    run_experiment(_cfg(), DATA, tmp_path)
    with pytest.raises(PruneError, match="no early-stopping records"):
        lottery_figure(load_result(tmp_path))


def test_wann_plot_and_report_draw_the_lottery_figure(early_folder, tmp_path, capsys):
    from wann.cli import main as wann_main
    from wann.report.prune import build

    assert wann_main(["plot", str(early_folder), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / "accuracy_vs_connections.png"), str(tmp_path / FILE)]
    sections = build(early_folder, tmp_path)[2]
    assert "lottery" in [anchor for anchor, _, _ in sections]


TINY = ["--synthetic", "--input", "6", "--model", "mlp", "--hidden", "4", "--target-connections", "20",
        "--n-train", "200", "--n-test", "50", "--epochs", "1", "--quiet"]


@pytest.mark.parametrize("args, msg", [
    (["--validation", "200"], "--validation must be in 0..199 (held out of the 200 training images), got 200"),
    (["--validation", "-5"], "--validation: Input should be greater than or equal to 0, got '-5'"),
    (["--validation", "50", "--eval-every", "0"], "--eval-every: Input should be greater than or equal to 1, got '0'"),
    (["--eval-every", "10"], "--eval-every needs --validation N (the held-out images it evaluates)"),
    (["--validation", "50", "--method", "supermask"],
     "--validation records early stopping of weight training; --method supermask trains scores over frozen weights"),
])
def test_bad_early_stopping_settings_are_one_line_errors_and_write_nothing(args, msg, tmp_path, capsys):
    assert main([*TINY, *args, "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"error: {msg}\n"
    assert not (tmp_path / "o").exists()


def test_series_mean_stays_within_min_and_max_for_equal_seeds():
    x = 0.9004002001000501  # 100 * x three times averages below 100 * x
    records = [{"connections": 10, "density": 0.5, "acc": x, "seed": s} for s in range(3)]
    _, mean, lo, hi = series(records, "acc", 100.0)
    assert lo[0] <= mean[0] <= hi[0] and mean[0] == 100 * x
