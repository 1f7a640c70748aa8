"""``--method early_bird`` (Early-Bird tickets, unstructured, on an MLP) on a synthetic task: the search stops
where the emergence rule says on the masks it drew, the record holds their distance matrix, the cap, resuming,
and the settings of the other methods untouched."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.data import synthetic_dataset
from prune_baselines.early_bird import distance_matrix, emergence_epoch
from prune_baselines.errors import PruneError
from prune_baselines.experiment import Experiment, ExperimentConfig, run_experiment
from prune_baselines.methods import METHODS
from prune_baselines.methods import early_bird as eb
from prune_baselines.results import read_point, point_path

DATA = synthetic_dataset(n_train=300, n_test=100, n_inputs=12, n_classes=4, seed=0)
TARGETS = (100, 40)


def _cfg(**kw):
    base = dict(method="early_bird", model="mlp", hidden=(16,), input=12, target_connections=TARGETS, epochs=0.5,
                batch_size=30, lr=1e-2, search_epochs=12)
    return ExperimentConfig(**{**base, **kw})


def _recording(monkeypatch):
    """Record every mask the search draws (in order) and the epochs each search training ran."""
    drawn, searched = [], []
    real_select, real_train = eb.select, eb.train
    monkeypatch.setattr(eb, "select", lambda *a: drawn.append(real_select(*a)) or drawn[-1])

    def train(*a, **kw):
        stats = real_train(*a, **kw)
        searched.append(stats.epochs)
        return stats

    monkeypatch.setattr(eb, "train", train)
    return drawn, searched


def test_search_stops_where_the_rule_holds_and_records_the_distances(tmp_path, monkeypatch):
    drawn, searched = _recording(monkeypatch)
    c = _cfg()
    recs = run_experiment(c, DATA, tmp_path)
    assert [r["level"] for r in recs] == [1, 2] and [r["connections"] for r in recs] == list(TARGETS)
    by_target = {t: [m for m in drawn if m.count() == t] for t in TARGETS}
    for r in recs:
        masks = by_target[r["connections"]]
        at = emergence_epoch(masks, window=c.eb_window, eps=c.eb_eps)
        assert at is not None and r["emergence_epoch"] == at + 1 == len(masks) == r["search_epochs"]
        assert np.array_equal(np.asarray(r["early_bird_distances"]), distance_matrix(masks))
        assert r["epochs_saved"] == c.epochs - r["search_epochs"]
        assert r["cumulative_epochs"] == pytest.approx(r["search_epochs"] + c.epochs)
        point = read_point(point_path(tmp_path, 0, "ticket", r["level"]))
        assert all(np.array_equal(a, masks[-1][n].numpy()) for n, a in zip(masks[-1].names, point.masks))
    assert searched == [max(r["search_epochs"] for r in recs)]
    assert recs[0]["emergence_epoch"] > c.eb_window  # not the earliest possible epoch: the rule had work to do
    assert (tmp_path / "seed_0" / eb.FIGURE).stat().st_size > 0


def test_no_emergence_draws_at_the_cap(tmp_path, monkeypatch):
    drawn, searched = _recording(monkeypatch)
    c = _cfg(eb_eps=1e-9, search_epochs=7, target_connections=(100,))
    (r,) = run_experiment(c, DATA, tmp_path)
    assert emergence_epoch(drawn, window=c.eb_window, eps=c.eb_eps) is None
    assert (r["emergence_epoch"], r["search_epochs"], len(drawn), searched) == (None, 7, 7, [7.0])
    assert r["connections"] == 100 and len(r["early_bird_distances"]) == 7


def test_resume_trains_nothing(tmp_path, monkeypatch):
    first = run_experiment(_cfg(), DATA, tmp_path)

    def no_training(*a, **kw):
        raise AssertionError("a saved point was trained again")

    monkeypatch.setattr(eb, "train", no_training)
    monkeypatch.setattr(Experiment, "train", no_training)
    again = run_experiment(_cfg(), DATA, tmp_path)
    assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)


def test_settings_defaults_and_refusals():
    c = ExperimentConfig(method="early_bird")
    assert METHODS["early_bird"].own_settings == ("search_epochs", "eb_window", "eb_eps")
    assert (c.search_epochs, c.eb_window, c.eb_eps, c.scope) == (15, 5, 0.1, "layerwise")
    for name in METHODS:
        if name != "early_bird":  # the other methods' config.json: no new keys
            assert not set(METHODS["early_bird"].own_settings) & set(ExperimentConfig(method=name).identity())
    assert ExperimentConfig(method="imp").identity() == ExperimentConfig(method="imp", eb_eps=None).identity()
    for bad, match in (({"method": "imp", "search_epochs": 3}, "--search-epochs"),
                       ({"method": "early_bird", "controls": ("reinit",)}, "controls"),
                       ({"method": "early_bird", "iterative": True}, "magnitude settings"),
                       ({"method": "early_bird", "rescale": "fan"}, "rescale")):
        with pytest.raises(PruneError, match=match):
            ExperimentConfig(**bad)


def test_the_fields_name_early_bird_is_the_method():
    assert ExperimentConfig(method="early-bird").method == "early_bird"
    assert ExperimentConfig(method="early-bird").identity() == ExperimentConfig(method="early_bird").identity()
