"""``wann eval``: the paper's protocol on fresh seeds (``wann.protocol``), per champion and over champions."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from wann.cli.common import beside, champion_job, champion_paths, evaluator_factory, job_flags, say
from wann.errors import UserError
from wann.io import write_json
from wann.rundir import load_champion


def register(sub) -> None:
    """Add ``eval``."""
    ev = sub.add_parser("eval", help="the paper's protocol on fresh seeds: random, shared, tuned shared, tuned")
    ev.add_argument("paths", nargs="+", metavar="path",
                    help="run folder, batch folder (every seed) or champion file; several: a table over them")
    ev.add_argument("--trials", type=int, default=100, help="test trials per column (default 100)")
    ev.add_argument("--tune-trials", type=int, default=100, help="seeds of the shared-weight sweep (default 100)")
    ev.add_argument("--grid", type=int, default=41, help="shared weights in the sweep over [-2, 2] (default 41)")
    ev.add_argument("--tuned", help="a `wann tune` output of this champion: adds the 'tuned weights' column "
                                    "(default: <champion>.tuned.json beside it, when it exists)")
    ev.add_argument("--out", help="report JSON of one champion (default: <champion>.eval.json); the sweep plot "
                                  "goes beside it")
    ev.add_argument("--no-plot", action="store_true", help="skip the sweep plot")
    job_flags(ev, "seed of all test and tuning draws")
    ev.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from wann.protocol import table_over_champions

    paths = champion_paths(args)
    if len(paths) > 1 and args.tuned:
        raise UserError("--tuned names one file; with several champions each uses <champion>.tuned.json beside it")
    reports = [(path, _eval_one(path, args)) for path in paths]
    if len(reports) > 1:
        print("\n" + table_over_champions(reports))
    return 0


def _eval_one(path: Path, args: argparse.Namespace) -> dict:
    from wann.progress import bar
    from wann.protocol import evaluate_champion

    c, data, file, overrides, task, out = champion_job(path, args, ".eval.json")
    tuned, tuned_file = None, args.tuned
    tuned_beside = beside(file, ".tuned.json")
    if tuned_file is None and tuned_beside.exists() and c.genome.conn_weight is None:
        tuned_file = str(tuned_beside)
    if tuned_file:
        tuned = load_champion(tuned_file)[0].genome
        if tuned.conn_weight is None:
            raise UserError(f"{tuned_file}: no connection weights; pass a `wann tune` output")
    print(f"evaluating {file} ({c.genome.n_connections} connections) on task {data['task'].get('name')}: "
          f"{args.trials} trials per column, seed {args.seed}", flush=True)
    t0 = time.perf_counter()
    with bar(0, "eval", args.quiet, unit="episode") as progress:
        report = evaluate_champion(c.genome, task, data["weights"], evaluator_factory(args), args.trials,
                                   args.tune_trials, args.grid, args.seed, tuned, say, progress)
    print()
    print(report.table())
    result = report.to_dict() | {"champion": str(file), "tuned_file": tuned_file, "task": data["task"],
                                 "task_overrides": overrides, "connections": c.genome.n_connections,
                                 "seconds": round(time.perf_counter() - t0, 3)}
    write_json(out, result)
    print(f"\nreport: {out}")
    if not args.no_plot:
        from wann.plots import plot_sweep

        s = report.sweep
        points = [(col.name, col.weight, float(col.values.mean()), float(col.values.std()))
                  for col in report.columns if col.name.startswith("w =")] if report.metric == "score" else []
        paths = plot_sweep(s.grid, s.mean, s.scores.std(axis=0), s.best, out.with_name(out.name.removesuffix(".json")
                           .removesuffix(".eval") + ".sweep"), points, "score",
                           f"{data['task'].get('name')}: {file.name} ({c.genome.n_connections} connections)")
        print("sweep plot: " + ", ".join(str(p) for p in paths))
    return result
