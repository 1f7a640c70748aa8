"""``wann evolve`` and ``wann resume``: a search (or a batch of seeds) from a config, and its continuation."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from wann.batch import Batch, is_batch, parse_seeds
from wann.cli.common import SET_HELP, backend_flags, backend_overrides, data_dir_override
from wann.config import load_config
from wann.errors import UserError
from wann.evaluators import make_evaluator
from wann.reporters import ProgressLine
from wann.rundir import CHAMPION, new_meta
from wann.tasks.protocol import CheckedOptions
from wann.run import Interrupted, Run


def register(sub) -> None:
    """Add ``evolve`` and ``resume``."""
    ev = sub.add_parser("evolve", help="start a search from a TOML config")
    ev.add_argument("config", help="configs/<task>.toml")
    ev.add_argument("--out", help="run folder (default: <run.out_dir>/<run.name>-<time>)")
    ev.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help=SET_HELP)
    backend_flags(ev)
    ev.add_argument("--data-dir", help="dataset folder, sets task.data_dir (MNIST: the four IDX files)")
    ev.add_argument("--seeds", help="a batch: one run folder per seed under --out, e.g. 0-7 or 0,3,5 "
                                    "(overrides run.seed); `wann resume` continues the whole batch")
    ev.add_argument("--tensorboard", action="store_true",
                    help="also write TensorBoard event files (<run folder>/tensorboard; sets run.tensorboard)")
    ev.add_argument("--quiet", action="store_true", help="no per-generation lines")
    ev.set_defaults(func=cmd_evolve)

    rs = sub.add_parser("resume", help="continue a run (or a batch of seeds) from its checkpoint, exactly")
    rs.add_argument("run_dir", help="run folder or batch folder")
    rs.add_argument("--generations", type=int, help="new total number of generations")
    backend_flags(rs)
    rs.add_argument("--tensorboard", action="store_true", help="write TensorBoard event files while this resume runs")
    rs.add_argument("--quiet", action="store_true", help="no per-generation lines")
    rs.set_defaults(func=cmd_resume)


def cmd_evolve(args: argparse.Namespace) -> int:
    overrides = backend_overrides(args, args.set) + data_dir_override(args.data_dir) + _tensorboard(args)
    seeds = parse_seeds(args.seeds) if args.seeds is not None else None
    cfg = load_config(args.config, overrides)
    if isinstance(cfg.task, CheckedOptions):  # e.g. MNIST: the data folder exists, before the folder is made
        cfg.task.check()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = Path(args.out) if args.out else Path(cfg.run.out_dir) / f"{cfg.run.name}-{stamp}"
    args.out_dir_used = run_dir
    meta = new_meta(["wann", *args.argv], str(args.config), overrides)
    if seeds is not None:
        batch = Batch.create(cfg, run_dir, seeds, meta)
        print(f"batch folder: {run_dir}  (task {cfg.task.name}, seeds {args.seeds}, pop {cfg.search.pop_size}, "
              f"{cfg.run.generations} generations, backend {cfg.evaluation.backend})", flush=True)
        return _drive_batch(batch, args, cfg.run.generations, [])
    run = Run.create(cfg, run_dir, meta)
    print(f"run folder: {run_dir}  (task {cfg.task.name}, pop {cfg.search.pop_size}, "
          f"{cfg.run.generations} generations, backend {cfg.evaluation.backend})", flush=True)
    return _drive(run, args, cfg.run.generations)


def cmd_resume(args: argparse.Namespace) -> int:
    if args.generations is not None and args.generations < 1:
        raise UserError(f"--generations {args.generations}: the new total must be >= 1")
    args.out_dir_used = args.run_dir
    if is_batch(args.run_dir):
        overrides = backend_overrides(args) + _tensorboard(args)
        batch = Batch.load(Path(args.run_dir), overrides)
        total = args.generations or batch.cfg.run.generations
        print(f"resuming batch {args.run_dir}: seeds {batch.seeds}, {total} generations each", flush=True)
        return _drive_batch(batch, args, total, overrides)
    run = Run.resume(Path(args.run_dir), backend_overrides(args) + _tensorboard(args))
    total = args.generations or run.cfg.run.generations
    if run.generation >= total:
        print(f"{args.run_dir}: already at generation {run.generation} of {total}; "
              "pass --generations N to run longer")
        return 0
    print(f"resuming {args.run_dir} at generation {run.generation} of {total}", flush=True)
    return _drive(run, args, total)


def _tensorboard(args: argparse.Namespace) -> list[str]:
    return ["run.tensorboard=true"] if args.tensorboard else []


def _start_evaluator(run: Run, resume_dir: Path | None = None):
    """The run's evaluator; if it cannot start (Ray) the run folder is checkpointed and stays resumable."""
    e = run.cfg.evaluation
    try:  # Ray may take seconds to start, or fail to: either way the run folder stays resumable
        return make_evaluator(e.backend, run.task, run.cfg.search.weights, e.workers, e.address)
    except KeyboardInterrupt:
        run.checkpoint()
        raise Interrupted(run.generation) from None
    except UserError as exc:
        run.checkpoint()
        raise UserError(f"{exc}\nThe run folder is kept; once fixed, continue with `wann resume "
                        f"{resume_dir or run.dir}` (plus --backend/--workers/--address as needed)") from None


def _drive(run: Run, args: argparse.Namespace, total: int) -> int:
    evaluator = _start_evaluator(run)
    try:
        run.run(evaluator, until=total, reporters=[] if args.quiet else [ProgressLine(total)])
    finally:
        evaluator.close()
    c = run.champion
    if c is None:
        print("done: no champion; every individual so far scored non-finite (see the warnings)")
        return 0
    print(f"done: champion from generation {c.generation}, fitness {c.fitness:.2f} "
          f"({c.genome.n_connections} connections); {run.dir / CHAMPION}")
    return 0


def _drive_batch(batch: Batch, args: argparse.Namespace, total: int, overrides: list[str]) -> int:
    """Run a batch's seeds; a table of outcomes; exit 1 if a seed failed (the others still ran)."""
    outcomes = batch.run(lambda run: _start_evaluator(run, batch.parent), total, overrides,
                         lambda seed: [] if args.quiet else [ProgressLine(total, f"seed {seed}  ")],
                         lambda text: print(text, flush=True))
    print(f"\nbatch {batch.parent}: {sum(o.status == 'done' for o in outcomes)} of {len(outcomes)} seeds done")
    for o in outcomes:
        line = o.message.splitlines()[0] if o.message else ""
        print(f"  seed {o.seed}: {o.status}{' at generation ' + str(o.generation) if o.status == 'done' else ''}"
              f"{'  ' + line if line else ''}")
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        print(f"{len(failed)} seed(s) failed; fix the cause and continue with: wann resume {batch.parent}",
              file=sys.stderr)
        return 1
    print(f"summarise with: wann summarize {batch.parent}")
    return 0
