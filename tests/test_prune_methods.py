"""The method registry: --method choices come from it, a method defined here runs end to end after one
registry line, and method modules never import the experiment (nor prune_baselines anything of wann)."""
from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.cli import add_arguments, main
from prune_baselines.errors import PruneError
from prune_baselines.experiment import ExperimentConfig
from prune_baselines.methods import METHODS, Context, Method
from prune_baselines.methods.loops import iterative
from prune_baselines.results import load_network, load_result

REPO = Path(__file__).resolve().parents[1]


def _method_choices() -> list[str]:
    p = argparse.ArgumentParser()
    add_arguments(p)
    return list(next(a for a in p._actions if a.dest == "method").choices)


def test_method_choices_are_the_registry():
    assert _method_choices() == list(METHODS) == ["imp", "synflow", "obd", "magnitude", "random", "supermask",
                                                  "supermask_signed", "early_bird"]


def _last_index_scores(model, masks, level):
    """Score = position in the concatenation of the flattened weight tensors: the last weights are kept."""
    scores, start = {}, 0
    for name, w in model.prunable():
        scores[name] = torch.arange(start, start + w.numel(), dtype=torch.float64).reshape(w.shape)
        start += w.numel()
    return scores


def run_last_index(ctx: Context, seed: int) -> None:
    """A toy method: iterative pruning of the lowest-index weights, fine-tuning between levels."""
    iterative(ctx, seed, _last_index_scores, epochs=ctx.cfg.epochs, rewind=False)


def test_a_method_defined_here_runs_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(METHODS, "last_index", Method(run_last_index, default_scope="global"))  # the one line
    assert "last_index" in _method_choices()
    assert ExperimentConfig(method="last_index").scope == "global"
    out = tmp_path / "toy"
    assert main(["--method", "last_index", "--synthetic", "--model", "mlp", "--hidden", "16", "--input", "12",
                 "--target-connections", "100,150", "--rate", "0.4", "--epochs", "1", "--n-train", "300",
                 "--n-test", "100", "--quiet", "--out", str(out)]) == 0
    assert capsys.readouterr().out.endswith(f"results in {out}\n")

    res = load_result(out)
    assert res.config["method"] == "last_index" and res.config["scope"] == "global"
    recs = [r for r in res.records if r["variant"] == "ticket"]
    dense = 12 * 16 + 16 * 4  # synthetic: 4 classes
    assert [r["level"] for r in recs] == list(range(len(recs))) and len(recs) >= 3
    assert recs[0]["connections"] == dense and recs[-1]["connections"] == 100
    assert 150 in [r["connections"] for r in recs]
    assert all(r["method"] == "last_index" for r in res.records)
    assert all(a["connections"] > b["connections"] for a, b in zip(recs, recs[1:]))
    assert all(0.0 <= r["test_accuracy"] <= 1.0 and r["epochs"] == 1.0 for r in recs)

    net = load_network(out)  # the last level: exactly the 100 highest-index weights survive
    flat = np.concatenate([m.ravel() for m in net.masks])
    assert not flat[:dense - 100].any() and flat[dense - 100:].all()
    assert all(not w[~m].any() for w, m in zip(net.weights, net.masks))


def _imports(path: Path, package: str) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved against ``package``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


def test_methods_do_not_import_the_experiment_and_prune_baselines_not_wann():
    for path in (REPO / "prune_baselines" / "methods").glob("*.py"):
        names = _imports(path, "prune_baselines.methods")
        assert not {n for n in names if n.startswith(("prune_baselines.experiment", "prune_baselines.cli"))}, path
    for path in (REPO / "prune_baselines").rglob("*.py"):
        package = ".".join(path.relative_to(REPO).parent.parts)
        assert not {n for n in _imports(path, package) if n == "wann" or n.startswith("wann.")}, path
    code = ("import sys, prune_baselines.cli, prune_baselines.methods\n"
            "print(sorted(m for m in sys.modules if m == 'wann' or m.startswith('wann.')))")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_a_method_with_an_unknown_default_scope_is_refused():
    with pytest.raises(PruneError, match="default scope must be one of layerwise, global, got 'local'"):
        Method(run_last_index, default_scope="local")
