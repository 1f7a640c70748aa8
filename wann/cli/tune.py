"""``wann tune``: train a champion's connection weights (``wann.tuning``) and report them on fresh test seeds."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from wann import champion as champ
from wann.cli.common import champion_job, champion_paths, evaluator_factory, job_flags, say
from wann.errors import UserError
from wann.io import write_json
from wann.tuning import TuneSettings


def register(sub) -> None:
    """Add ``tune``."""
    tu = sub.add_parser("tune", help="train the connection weights (CMA-ES for control, Adam for classification)")
    tu.add_argument("paths", nargs="+", metavar="path", help="run folder, batch folder (every seed) or champion file")
    d = TuneSettings()
    tu.add_argument("--generations", type=int, default=d.generations,
                    help=f"CMA-ES generations at most (default {d.generations})")
    tu.add_argument("--popsize", type=int, default=d.popsize,
                    help=f"CMA-ES population (default {d.popsize}; 0 = cma's 4 + 3 ln n)")
    tu.add_argument("--sigma", type=float, default=d.sigma, help=f"CMA-ES initial step size (default {d.sigma})")
    tu.add_argument("--seeds-per-generation", type=int, default=d.seeds_per_generation,
                    help=f"training episodes per candidate and generation (default {d.seeds_per_generation})")
    tu.add_argument("--check-every", type=int, default=d.check_every,
                    help=f"generations between checks of the CMA-ES mean (default {d.check_every})")
    tu.add_argument("--check-trials", type=int, default=d.check_trials,
                    help=f"episodes per check (default {d.check_trials})")
    tu.add_argument("--patience", type=int, default=d.patience,
                    help=f"once the start is beaten, stop after this many checks without improvement, 0 = never "
                         f"(default {d.patience})")
    tu.add_argument("--epochs", type=int, default=d.epochs, help="classification: passes over the training data")
    tu.add_argument("--lr", type=float, default=d.lr, help="classification: Adam learning rate")
    tu.add_argument("--batch-size", type=int, default=d.batch_size, help="classification: minibatch size")
    tu.add_argument("--grid", type=int, default=d.grid, help=f"shared weights in the start sweep (default {d.grid})")
    tu.add_argument("--tune-trials", type=int, default=d.tune_trials,
                    help=f"seeds of the start sweep (default {d.tune_trials})")
    tu.add_argument("--trials", type=int, default=100, help="fresh test trials for the report (default 100)")
    tu.add_argument("--out", help="tuned champion file of one champion (default: <champion>.tuned.json)")
    job_flags(tu, "seed of all test, tuning and training draws")
    tu.set_defaults(func=cmd_tune)


def cmd_tune(args: argparse.Namespace) -> int:
    for path in champion_paths(args):
        _tune_one(path, args)
    return 0


def _tune_one(path: Path, args: argparse.Namespace) -> None:
    from wann.progress import bar
    from wann.tasks import make_task, task_options, with_rollouts
    from wann.tuning import test_report, tune

    c, data, file, overrides, task, out = champion_job(path, args, ".tuned.json")
    try:
        settings = TuneSettings(generations=args.generations, popsize=args.popsize, sigma=args.sigma,
                                seeds_per_generation=args.seeds_per_generation, epochs=args.epochs,
                                batch_size=args.batch_size, lr=args.lr, grid=args.grid, tune_trials=args.tune_trials,
                                check_every=args.check_every, check_trials=args.check_trials, patience=args.patience)
    except ValueError as exc:
        raise UserError(f"wann tune: {exc}") from None
    if args.trials < 1:
        raise UserError("--trials must be >= 1")
    print(f"tuning {file} ({c.genome.n_connections} connections) on task {data['task'].get('name')}, "
          f"seed {args.seed}", flush=True)
    make = evaluator_factory(args)
    options = task_options(data["task"], str(file), overrides)
    with bar(0, "tune", args.quiet) as progress:
        result = tune(c.genome, task, make, settings, args.seed, say,
                      make_task(with_rollouts(options, args.seeds_per_generation)), bar=progress)
    test = test_report(c.genome, result, task, make_task(options), make, args.trials, args.seed)
    print(f"\ntest ({args.trials} fresh trials): best shared weight w = {result.start_weight:+.2f}: "
          f"{test.start.mean():.4g} +- {test.start.std():.3g};  tuned weights: "
          f"{test.tuned.mean():.4g} +- {test.tuned.std():.3g}  ({result.method}, {result.seconds:.1f} s)")
    tuned = champ.Champion(result.genome, c.generation, test.fitness, test.per_weight, test.seeds.tolist())
    record = tuned.to_dict(data["task"], [1.0]) | {"tuned": result.to_dict() | {
        "from": str(file), "seed": args.seed, "settings": dataclasses.asdict(settings), "task_overrides": overrides,
        "test": test.to_dict()}}
    write_json(out, record)
    print(f"tuned champion: {out}  (wann eval {file} --tuned {out})")
