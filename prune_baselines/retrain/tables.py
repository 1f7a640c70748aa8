"""A retraining study's tables (results.json, results.csv), its figure (retraining.png) and its summary."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from ..errors import PruneError
from ..results import atomic_write_bytes, atomic_write_text
from .settings import ARMS

FIELDS = ["seed", "model", "structure", "arm", "prune_ratio", "optimizer", "lr", "momentum", "batch_size",
          "weight_decay", "epochs", "train_flops", "total_epochs", "total_train_flops", "forward_flops", "flops_ratio",
          "parameters", "architecture", "test_accuracy", "loss", "wall_s", "cpu_s", "emergence_epoch",
          "search_epochs", "epochs_saved"]
ORDER = ("large", *ARMS)
FIGURE = "retraining.png"


def load_study(folder) -> tuple[dict, dict, list[dict]]:
    """(settings, provenance, records) of a retraining study folder, records read from its point files (so a
    study stopped part-way loads too). Raises PruneError when ``folder`` is not one."""
    folder = Path(folder)
    path = folder / "config.json"
    if not path.exists():
        raise PruneError(f"{folder} is not a retraining study folder (no config.json)")
    meta = json.loads(path.read_text())
    if "arms" not in meta.get("config", {}):
        raise PruneError(f"{folder} is not a retraining study folder (its config.json has no arms)")
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("seed_*/large.json"))]
    records += [json.loads(p.read_text()) for p in sorted(folder.glob("seed_*/*_p*.json"))
                if not p.name.startswith("eb_ticket_")]
    records.sort(key=lambda r: (r["seed"], r["prune_ratio"], ORDER.index(r["arm"])))
    return meta["config"], meta.get("provenance", {}), records


def write_tables(folder: Path, provenance: dict) -> list[dict]:
    """results.json and results.csv from every point file in ``folder``; returns the records."""
    config, _, records = load_study(folder)
    atomic_write_text(folder / "results.json",
                      json.dumps({"config": config, "provenance": provenance, "records": records}, indent=1))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, extrasaction="ignore")
    w.writeheader()
    for r in records:
        w.writerow({**r, "architecture": "/".join(str(a) for a in r["architecture"])})
    atomic_write_text(folder / "results.csv", buf.getvalue())
    return records


def groups(records: list[dict]) -> dict[tuple[float, str], list[dict]]:
    """Records by (prune ratio, arm), in the order ratio, then ``large`` and the arms as ARMS."""
    out: dict[tuple[float, str], list[dict]] = {}
    for r in sorted(records, key=lambda r: (r["prune_ratio"], ORDER.index(r["arm"]))):
        out.setdefault((r["prune_ratio"], r["arm"]), []).append(r)
    return out


def summary(records: list[dict]) -> str:
    """A text table: per ratio and arm, the seeds, test accuracy (mean, sd, min-max, %), epochs and training
    FLOPs of the arm (mean), and total epochs / FLOPs including the large model's training where it is used."""
    head = f"{'prune':>6} {'arm':<11} {'seeds':>5} {'test acc %':>17} {'min-max':>13} {'epochs':>7} " \
           f"{'train FLOPs':>11} {'total ep':>8} {'total FLOPs':>11} {'emerged':>8}"
    lines = [head]
    for (ratio, arm), rs in groups(records).items():
        acc = 100 * np.array([r["test_accuracy"] for r in rs])
        sd = acc.std(ddof=1) if len(acc) > 1 else 0.0
        eb = "" if arm != "early_bird" else ",".join("-" if r["emergence_epoch"] is None else str(r["emergence_epoch"])
                                                     for r in rs)
        lines.append(f"{100 * ratio:>5g}% {arm:<11} {len(rs):>5} {acc.mean():>9.2f} +- {sd:>4.2f} "
                     f"{acc.min():>6.2f}-{acc.max():<6.2f} {np.mean([r['epochs'] for r in rs]):>7.3g} "
                     f"{np.mean([r['train_flops'] for r in rs]):>11.3g} {np.mean([r['total_epochs'] for r in rs]):>8.3g} "
                     f"{np.mean([r['total_train_flops'] for r in rs]):>11.3g} {eb:>8}")
    return "\n".join(lines)


def write_figure(path: Path, config: dict, records: list[dict]) -> Path:
    """The PNG ``path`` (a study's retraining.png) of a study's ``config`` and ``records``: test accuracy per arm
    against the prune ratio (mean, min-max bars over seeds; the large model as a dashed line), and each arm's
    training FLOPs relative to the large model's training."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2))
    acc_ax, flop_ax = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    g = groups(records)
    ratios = sorted({r for r, a in g if a != "large"})
    arms = [a for a in ARMS if any(k[1] == a for k in g)]
    large = [r for r in records if r["arm"] == "large"]
    for ax, key in ((acc_ax, "test_accuracy"), (flop_ax, "total_train_flops")):
        for j, arm in enumerate(arms):
            xs, mean, lo, hi = [], [], [], []
            for i, ratio in enumerate(ratios):
                rs = g.get((ratio, arm))
                if not rs:
                    continue
                v = np.array([r[key] for r in rs], dtype=float)
                if key == "total_train_flops":
                    v = v / np.mean([r["train_flops"] for r in large])
                else:
                    v = 100 * v
                xs.append(i + (j - (len(arms) - 1) / 2) * 0.8 / max(len(arms), 1))
                mean.append(v.mean())
                lo.append(max(0.0, v.mean() - v.min()))  # equal values: the mean may round past them
                hi.append(max(0.0, v.max() - v.mean()))
            ax.errorbar(xs, mean, yerr=[lo, hi], fmt="o", capsize=3, label=arm)
        ax.set_xticks(range(len(ratios)), [f"{100 * r:g}%" for r in ratios])
        ax.set_xlabel(f"{config['structure']} pruned")
    if large:
        acc_ax.axhline(100 * np.mean([r["test_accuracy"] for r in large]), ls="--", c="gray", label="large model")
    acc_ax.set_ylabel("test accuracy (%)")
    flop_ax.set_ylabel("training FLOPs (with the large model's where used)\n/ the large model's training")
    if all(r["total_train_flops"] > 0 for r in records):
        flop_ax.set_yscale("log")
    acc_ax.legend(fontsize=8)
    opt = config["optimizer"] + (f" (momentum {config['momentum']:g})" if config["optimizer"] == "sgd" else "")
    fig.suptitle(f"Retraining pruned {config['model']} ({config['structure']}), {opt}, lr {config['lr']:g}, "
                 f"{len({r['seed'] for r in records})} seeds", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    atomic_write_bytes(Path(path), buf.getvalue())
    return path
