"""The paper's evaluation protocol for a champion, on fresh seeds.

A *trial* is one call of the task's score on one fresh seed with one rollout
(swing-up: one 1000-step episode from the seed's initial state); the trial's
value is that score. Columns, each over ``trials`` trials:

- ``random weights``: every connection gets its own weight ~ U(-2, 2), drawn anew per trial;
- ``random shared weight``: one w ~ U(-2, 2) per trial on every connection;
- ``w = ...``: each weight of the champion's series, as a shared weight;
- ``tuned shared weight``: the best weight of a sweep over a grid on [-2, 2], chosen on
  separate *tuning* seeds, then scored on the test seeds (no selection on the test seeds);
- ``tuned weights``: the champion's own per-connection weights (a ``wann tune`` output),
  or those of a tuned file given beside it;
- ``ensemble`` (classification only): the task's ensemble over the weight series.

Per-trial random weights (individual or shared) run through the per-connection
path (``Genome.conn_weight`` set, evaluated under weight 1): a shared draw w is
the net with every connection carrying w, equal to running it under shared
weight w up to float rounding.

Task capabilities used (``wann.tasks.protocol``, all optional):

- ``HeldOutMetric`` (e.g. MNIST accuracy): every column reports the task's test metric
  instead of the score: random columns per trial, fixed weights once; the sweep still
  picks the tuned shared weight on the score over tuning seeds (training data).
- ``Ensemble``: adds the ensemble over the weight series.

All randomness comes from named streams of one ``--seed`` (``seed_streams``).
"""
from __future__ import annotations

import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from wann.errors import UserError
from wann.evaluators import Evaluators, MakeEvaluator
from wann.genome import Genome
from wann.network import compile_genome
from wann.seeds import draw_seeds, seed_streams
from wann.tasks import Task
from wann.tasks.protocol import Ensemble, HeldOutMetric
from wann.weights import constant_weights, topology, with_weights

EVAL_FORMAT = "wann.eval/1"
WEIGHT_RANGE = 2.0


@dataclass
class Column:
    name: str
    values: np.ndarray  # one per trial (a single value for deterministic test metrics)
    seconds: float
    weight: float | None = None

    def summary(self) -> dict:
        v = np.asarray(self.values, dtype=np.float64)
        return {"name": self.name, "mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()),
                "max": float(v.max()), "n": int(v.size), "seconds": round(self.seconds, 3),
                "weight": self.weight, "values": v.tolist()}


@dataclass
class Sweep:
    grid: np.ndarray  # [G]
    scores: np.ndarray  # [n_seeds, G] per tuning seed
    seconds: float

    @property
    def mean(self) -> np.ndarray:
        return self.scores.mean(axis=0)

    @property
    def best(self) -> float:
        """The grid weight with the highest finite mean; UserError if no weight scores finite."""
        mean = self.mean
        if not np.isfinite(mean).any():
            raise UserError("no shared weight of the sweep gives a finite score (every rollout was non-finite)")
        return float(self.grid[int(np.argmax(np.where(np.isfinite(mean), mean, -np.inf)))])

    def to_dict(self) -> dict:
        return {"weights": self.grid.tolist(), "mean": self.mean.tolist(), "std": self.scores.std(axis=0).tolist(),
                "best": self.best, "n_seeds": int(self.scores.shape[0]), "seconds": round(self.seconds, 3)}


@dataclass
class Report:
    metric: str  # "score" or the task's metric name
    trials: int
    seed: int
    series: list[float]
    columns: list[Column]
    sweep: Sweep
    test_seeds: np.ndarray
    tune_seeds: np.ndarray
    extra: dict = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def to_dict(self) -> dict:
        return {"format": EVAL_FORMAT, "metric": self.metric, "trials": self.trials, "seed": self.seed,
                "trial": TRIAL_TEXT, "series": self.series,
                "columns": [c.summary() for c in self.columns], "sweep": self.sweep.to_dict(),
                "test_seeds": self.test_seeds.tolist(), "tune_seeds": self.tune_seeds.tolist(), **self.extra}

    def table(self) -> str:
        """The report as an aligned text table."""
        rows = [("column", self.metric + " mean", "std", "min", "max", "n", "seconds")]
        for c in self.columns:
            s = c.summary()
            name = c.name if c.weight is None or c.name.startswith("w =") else f"{c.name} (w = {c.weight:+.2f})"
            rows.append((name, f"{s['mean']:.4g}", f"{s['std']:.3g}", f"{s['min']:.4g}", f"{s['max']:.4g}",
                         str(s["n"]), f"{s['seconds']:.1f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                 for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


TRIAL_TEXT = "one score call on one fresh seed with one rollout (control: one episode)"


def shared_sweep(evs: Evaluators, task: Task, genome: Genome, grid: np.ndarray, seeds: np.ndarray) -> Sweep:
    """Scores of the weight agnostic genome under every grid weight, on every seed."""
    t0 = time.perf_counter()
    net = compile_genome(topology(genome))
    scores = evs.trial_scores(task, [net] * len(seeds), seeds, grid)
    return Sweep(np.asarray(grid, dtype=np.float64), scores, time.perf_counter() - t0)


def weight_grid(points: int) -> np.ndarray:
    """``points`` evenly spaced shared weights on [-2, 2]."""
    if points < 2:
        raise UserError(f"--grid {points}: need at least 2 points")
    return np.linspace(-WEIGHT_RANGE, WEIGHT_RANGE, points)


def evaluate_champion(genome: Genome, task: Task, series: Sequence[float], make: MakeEvaluator,
                      trials: int = 100, tune_trials: int = 100, grid_points: int = 41, seed: int = 0,
                      tuned: Genome | None = None, progress: Callable[[str], None] | None = None,
                      bar=None) -> Report:
    """Run the protocol (module docstring) on ``task`` (give it one rollout per seed: ``trial_options``).

    ``tuned``: a genome with per-connection weights to score as ``tuned weights``;
    by default the champion's own weights if it has them. ``progress``: a line per column;
    ``bar``: a progress bar (``wann.progress.bar``), advanced by the (net, weight) evaluations done.
    """
    if trials < 1 or tune_trials < 1:
        raise UserError("--trials and --tune-trials must be >= 1")
    rng = seed_streams(seed)
    test_seeds, tune_seeds = draw_seeds(rng["test"], trials), draw_seeds(rng["tune"], tune_trials)
    n_genes = genome.conn_innov.size
    shared = rng["shared"].uniform(-WEIGHT_RANGE, WEIGHT_RANGE, trials)
    individual = rng["individual"].uniform(-WEIGHT_RANGE, WEIGHT_RANGE, (trials, n_genes))
    if tuned is None and genome.conn_weight is not None:
        tuned = genome
    base = topology(genome)
    net = compile_genome(base)
    series = [float(w) for w in series]
    metric = task.test_metric if isinstance(task, HeldOutMetric) else None
    say = progress or (lambda text: None)
    columns: list[Column] = []

    tick = bar.update if bar is not None else (lambda n: None)
    if bar is not None:
        bar.reset(total=trials * (2 + (tuned is not None)) + tune_trials * grid_points + trials * (len(series) + 1))

    def timed(name: str, fn, weight: float | None = None, count: int = trials) -> None:
        t0 = time.perf_counter()
        values = np.atleast_1d(np.asarray(fn(), dtype=np.float64))
        columns.append(Column(name, values, time.perf_counter() - t0, weight))
        tick(count)
        say(f"{name}: {values.mean():.4g} +- {values.std():.3g} ({columns[-1].seconds:.1f} s)")

    if tuned is not None and topology(tuned).to_dict()["connections"] != base.to_dict()["connections"]:
        raise UserError("the tuned genome has a different topology from the champion; "
                        "pass the tuned file of this champion (or evaluate it on its own)")
    tuned_net = None if tuned is None else compile_genome(tuned)
    random_nets = [compile_genome(with_weights(base, individual[t])) for t in range(trials)]
    shared_nets = [compile_genome(constant_weights(base, w)) for w in shared]
    with Evaluators(make) as evs:  # work grouped by evaluator weights: [1], the grid, the series + best
        if metric is None:
            timed("random weights", lambda: evs.trial_scores(task, random_nets, test_seeds)[:, 0])
            timed("random shared weight", lambda: evs.trial_scores(task, shared_nets, test_seeds)[:, 0])
            if tuned_net is not None:
                timed("tuned weights", lambda: evs.trial_scores(task, [tuned_net] * trials, test_seeds)[:, 0])
        else:
            timed("random weights", lambda: [metric(n, np.ones(1))[0] for n in random_nets])
            timed("random shared weight", lambda: metric(net, shared))
            if tuned_net is not None:
                timed("tuned weights", lambda: metric(tuned_net, np.ones(1)))
        sweep = shared_sweep(evs, task, base, weight_grid(grid_points), tune_seeds)
        tick(tune_trials * grid_points)
        best = sweep.best
        say(f"sweep over {grid_points} shared weights on {tune_trials} tuning seeds: best w = {best:+.2f} "
            f"({sweep.seconds:.1f} s)")
        t0 = time.perf_counter()
        fixed = series + [best]
        if metric is None:
            per_weight = evs.trial_scores(task, [net] * trials, test_seeds, fixed).T
        else:
            per_weight = np.asarray(metric(net, np.asarray(fixed)), dtype=np.float64)[:, None]
        share = (time.perf_counter() - t0) / len(fixed)
        tick(trials * len(fixed))
        for k, w in enumerate(series):
            columns.append(Column(f"w = {w:+.2f}", per_weight[k], share, w))
        columns.append(Column("tuned shared weight", per_weight[-1], share, best))
        say(f"series and tuned shared weight ({len(fixed)} x {per_weight.shape[1]}): {share * len(fixed):.1f} s")
        if isinstance(task, Ensemble):
            timed("ensemble", lambda: task.test_ensemble(net, np.asarray(series)), count=0)
    order = ["random weights", "random shared weight"] + [f"w = {w:+.2f}" for w in series] + \
        ["tuned shared weight", "tuned weights", "ensemble"]
    columns.sort(key=lambda c: order.index(c.name))
    return Report(task.metric_name if metric is not None else "score", trials, seed, series,
                  columns, sweep, test_seeds, tune_seeds, {"random_shared_weights": shared.tolist()})


def table_over_champions(reports: list[tuple[Path, dict]]) -> str:
    """The paper's four columns (mean over trials) per champion, then median [min-max] over champions."""
    names = ("random weights", "random shared weight", "tuned shared weight", "tuned weights")
    rows = [["champion", "connections", *names]]
    values: dict[str, list[float]] = {n: [] for n in ("connections", *names)}
    for path, r in reports:
        cols = {c["name"]: c for c in r["columns"]}
        cells = [str(path), str(r["connections"])]
        values["connections"].append(r["connections"])
        for n in names:
            if n in cols:
                values[n].append(cols[n]["mean"])
                w = f" (w {cols[n]['weight']:+.2f})" if n == "tuned shared weight" else ""
                cells.append(f"{cols[n]['mean']:.4g} +- {cols[n]['std']:.3g}{w}")
            else:
                cells.append("-")
        rows.append(cells)
    rows.append([f"median [min-max] of {len(reports)}"] + [
        f"{np.median(v):.4g} [{min(v):.4g}-{max(v):.4g}]" if v else "-" for v in values.values()])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
