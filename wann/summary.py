"""A summary over runs (seeds): final figures per run with median and spread, and curves with a band.

Runs are run folders (a batch folder stands for its seed folders). Per run, from its files:
``log.jsonl`` (last row: generations, evaluations, elapsed seconds, population median and generation
best of mean fitness), ``champion.json`` (fitness on its re-evaluation seeds, generation,
connections, hidden nodes) and, when ``wann eval`` has written it, ``champion.eval.json`` (the
paper's columns: random weights, random shared weight, tuned shared weight and its w, tuned weights,
each the mean over its test trials). Over runs: median, quartiles, min and max of every figure.

Curves: per generation, the median and quartiles over runs of the population median and of the
generation best of mean fitness, and of the population's mean connections and the best's
connections; evaluations on a second axis.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.ticker import MaxNLocator

from wann.batch import run_folders
from wann.errors import UserError
from wann.io import dumps, write_atomic
from wann.rundir import load_champion, read_config, read_log

COLUMNS = (  # key, header
    ("generations", "generations"), ("evaluations", "evaluations"), ("elapsed", "seconds"),
    ("median_fitness", "final population median"), ("best_mean", "final generation best"),
    ("champion_fitness", "champion fitness"), ("champion_generation", "champion generation"),
    ("connections", "champion connections"), ("hidden", "champion hidden nodes"),
    ("random weights", "random weights"), ("random shared weight", "random shared weight"),
    ("tuned shared weight", "tuned shared weight"), ("tuned shared w", "tuned shared w"),
    ("tuned weights", "tuned weights"),
)
EVAL_COLUMNS = ("random weights", "random shared weight", "tuned shared weight", "tuned weights")


@dataclass
class RunSummary:
    folder: Path
    seed: int
    rows: list[dict]
    figures: dict  # key of COLUMNS -> value (absent when unknown)


def load_run(folder: Path) -> RunSummary:
    """One run folder's figures; UserError naming the folder when it has no log or champion."""
    rows = read_log(folder)
    if not rows:
        raise UserError(f"{folder}: no log rows; is it a run folder that has run a generation?")
    c, data, _ = load_champion(folder)
    last = rows[-1]
    fig = {"generations": len(rows), "evaluations": last["evaluations"], "elapsed": last["elapsed"],
           "median_fitness": last["median_fitness"], "best_mean": last["best_mean"],
           "champion_fitness": c.fitness, "champion_generation": c.generation,
           "connections": c.genome.n_connections, "hidden": c.genome.n_hidden}
    report = folder / "champion.eval.json"
    if report.exists():
        ev = json.loads(report.read_text())
        for col in ev.get("columns", []):
            if col["name"] in EVAL_COLUMNS:
                fig[col["name"]] = col["mean"]
                if col["name"] == "tuned shared weight":
                    fig["tuned shared w"] = col["weight"]
    seed = int(read_config(folder)["run"]["seed"])
    return RunSummary(Path(folder), seed, rows, fig)


def load_runs(paths: Sequence[str | Path]) -> list[RunSummary]:
    """Every run under ``paths`` (batch folders expanded), in the order given."""
    folders = [f for p in paths for f in run_folders(p)]
    if not folders:
        raise UserError("no run folders given")
    return [load_run(f) for f in folders]


def spread(values: Sequence[float]) -> dict:
    """median, quartiles (linear interpolation), min, max and n of the finite values."""
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    if v.size == 0:
        return {"n": 0}
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {"n": int(v.size), "median": float(med), "q1": float(q1), "q3": float(q3),
            "min": float(v.min()), "max": float(v.max())}


def table(runs: list[RunSummary]) -> tuple[list[str], list[list], dict]:
    """(headers, one row per run, spread per column key)."""
    keys = [k for k, _ in COLUMNS if any(k in r.figures for r in runs)]
    headers = ["run", "seed"] + [dict(COLUMNS)[k] for k in keys]
    rows = [[str(r.folder), r.seed] + [r.figures.get(k) for k in keys] for r in runs]
    return headers, rows, {k: spread([r.figures.get(k) for r in runs]) for k in keys}


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return f"{int(v)}"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def markdown(runs: list[RunSummary]) -> str:
    headers, rows, stats = table(runs)
    keys = [k for k, _ in COLUMNS if k in stats]
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    for name, key in (("median", "median"), ("lower quartile", "q1"), ("upper quartile", "q3"),
                      ("min", "min"), ("max", "max")):
        lines.append(f"| **{name}** | | " + " | ".join(_fmt(stats[k].get(key)) for k in keys) + " |")
    return "\n".join(lines) + "\n"


def csv_text(runs: list[RunSummary]) -> str:
    headers, rows, stats = table(runs)
    keys = [k for k, _ in COLUMNS if k in stats]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows([["" if c is None else c for c in row] for row in rows])
    for name in ("median", "q1", "q3", "min", "max"):
        w.writerow([name, ""] + [stats[k].get(name, "") for k in keys])
    return buf.getvalue()


def bands(runs: list[RunSummary], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(generations [G], 0-based as in the logs; quartiles [3, G]) of log column ``key`` over the runs that
    reached each generation."""
    longest = max(len(r.rows) for r in runs)
    gens = np.arange(longest)
    q = np.full((3, longest), np.nan)
    for g in range(longest):
        v = [r.rows[g][key] for r in runs if g < len(r.rows)]
        q[:, g] = np.percentile(v, [25, 50, 75])
    return gens, q


def plot_bands(runs: list[RunSummary], stem: Path, title: str = "") -> list[Path]:
    """Fitness and connections against generations: median line, quartile band, over runs."""
    from matplotlib.figure import Figure

    from wann.plots import save_figure

    fig = Figure(figsize=(8, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for ax, series in ((top, (("best_mean", "generation best (mean over weights)", "tab:blue"),
                              ("median_fitness", "population median", "tab:gray"))),
                       (bottom, (("best_conns", "generation best: connections", "tab:blue"),
                                 ("mean_conns", "population mean: connections", "tab:gray")))):
        for key, label, color in series:
            gens, q = bands(runs, key)
            ax.fill_between(gens, q[0], q[2], color=color, alpha=0.25, lw=0)
            ax.plot(gens, q[1], color=color, lw=1.4, label=f"{label}: median, quartiles")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if ax is top else "upper left", fontsize=9, frameon=False)
    top.set_ylabel("fitness")
    bottom.set_ylabel("connections")
    bottom.set_xlabel("generation")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    per_gen = runs[0].rows[-1]["evaluations"] / len(runs[0].rows)
    sec = top.secondary_xaxis("top", functions=(lambda g: g * per_gen, lambda e: e / per_gen))
    sec.set_xlabel("evaluations (individuals)")
    fig.suptitle(title or f"{len(runs)} runs")
    fig.tight_layout()
    return save_figure(fig, stem)


def write(runs: list[RunSummary], out: Path, title: str = "") -> list[Path]:
    """summary.md, summary.csv, summary.json and curves.png/.svg in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    headers, rows, stats = table(runs)
    write_atomic(out / "summary.md", markdown(runs))
    write_atomic(out / "summary.csv", csv_text(runs))
    write_atomic(out / "summary.json", dumps({"format": "wann.summary/1", "headers": headers, "rows": rows,
                                               "spread": stats}, indent=1) + "\n")
    return [out / "summary.md", out / "summary.csv", out / "summary.json"] + plot_bands(runs, out / "curves", title)
