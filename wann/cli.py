"""The ``wann`` command line: evolve, resume, show."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from wann import activations, champion as champ
from wann.batch import Batch, is_batch, parse_seeds
from wann.config import load_config
from wann.errors import UserError
from wann.evaluators import make_evaluator
from wann.genome import HIDDEN, GenomeError
from wann.run import Interrupted, Run, format_row


# Modules that add subcommands: each has ``register(subparsers)``, setting ``func`` on its parsers.
COMMAND_MODULES: list[str] = [
    "wann.analysis_cli",
    "wann.compare_cli",
    "wann.prune_cli",
]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``wann`` console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["prune"]:  # passed through whole to prune_baselines
        from wann.prune_cli import run

        return run(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `wann show RUN | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Interrupted as exc:
        print(f"interrupted after generation {exc.generation}; checkpoint written. "
              f"Continue with: wann resume {getattr(args, 'run_dir', None) or args.out_dir_used}", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wann", description="Weight agnostic neural network search.")
    sub = p.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evolve", help="start a search from a TOML config")
    ev.add_argument("config", help="configs/<task>.toml")
    ev.add_argument("--out", help="run folder (default: <run.out_dir>/<run.name>-<time>)")
    ev.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="override a config value (repeatable), e.g. --set search.pop_size=64")
    _backend_flags(ev)
    ev.add_argument("--data-dir", help="dataset folder, sets task.data_dir (MNIST: the four IDX files)")
    ev.add_argument("--seeds", help="a batch: one run folder per seed under --out, e.g. 0-7 or 0,3,5 "
                                    "(overrides run.seed); `wann resume` continues the whole batch")
    ev.add_argument("--quiet", action="store_true", help="no per-generation lines")
    ev.set_defaults(func=cmd_evolve)

    rs = sub.add_parser("resume", help="continue a run (or a batch of seeds) from its checkpoint, exactly")
    rs.add_argument("run_dir", help="run folder or batch folder")
    rs.add_argument("--generations", type=int, help="new total number of generations")
    _backend_flags(rs)
    rs.add_argument("--quiet", action="store_true")
    rs.set_defaults(func=cmd_resume)

    sh = sub.add_parser("show", help="print the champion of a run folder or champion file")
    sh.add_argument("path")
    sh.add_argument("--data-dir", help="MNIST folder for the test accuracy (default: the run's task.data_dir)")
    sh.set_defaults(func=cmd_show)

    sm = sub.add_parser("summarize", help="final figures per run with median and spread, curves with a band")
    sm.add_argument("paths", nargs="+", help="run folders and/or batch folders")
    sm.add_argument("--out", help="output folder (default: the single folder given)")
    sm.set_defaults(func=cmd_summarize)

    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


def _backend_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=["serial", "ray"], help="evaluation backend (default: config)")
    p.add_argument("--workers", type=int, help="evaluation workers, 0 = all cores (default: config)")
    p.add_argument("--address", help="Ray cluster address ('auto' or host:port); implies --backend ray")


def _apply_backend_flags(args, overrides: list[str]) -> list[str]:
    out = list(overrides)
    if args.address:
        out += ["evaluation.backend=ray", f"evaluation.address={args.address}"]
    if args.backend:
        out.append(f"evaluation.backend={args.backend}")
    if args.workers is not None:
        out.append(f"evaluation.workers={args.workers}")
    return out


def cmd_evolve(args) -> int:
    overrides = _apply_backend_flags(args, args.set)
    if args.data_dir:
        overrides.append(f"task.data_dir={json.dumps(str(Path(args.data_dir).expanduser().resolve()))}")
    seeds = parse_seeds(args.seeds) if args.seeds is not None else None
    cfg = load_config(args.config, overrides)
    if hasattr(cfg.task, "check"):  # e.g. MNIST: the data folder exists, before the run folder is made
        cfg.task.check()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = Path(args.out) if args.out else Path(cfg.run.out_dir) / f"{cfg.run.name}-{stamp}"
    args.out_dir_used = run_dir
    meta = {"command": ["wann", *sys.argv[1:]], "config_file": str(args.config), "overrides": overrides,
            "created": dt.datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
            "numpy": np.__version__}
    if seeds is not None:
        batch = Batch.create(cfg, run_dir, seeds, meta)
        print(f"batch folder: {run_dir}  (task {cfg.task.name}, seeds {args.seeds}, pop {cfg.search.pop_size}, "
              f"{cfg.run.generations} generations, backend {cfg.evaluation.backend})", flush=True)
        return _drive_batch(batch, args, cfg.run.generations, [])
    run = Run.create(cfg, run_dir, meta)
    print(f"run folder: {run_dir}  (task {cfg.task.name}, pop {cfg.search.pop_size}, "
          f"{cfg.run.generations} generations, backend {cfg.evaluation.backend})", flush=True)
    return _drive(run, args, cfg.run.generations)


def cmd_resume(args) -> int:
    if args.generations is not None and args.generations < 1:
        raise UserError(f"--generations {args.generations}: the new total must be >= 1")
    if is_batch(args.run_dir):
        overrides = _apply_backend_flags(args, [])
        batch = Batch.load(Path(args.run_dir), overrides)
        total = args.generations or batch.cfg.run.generations
        print(f"resuming batch {args.run_dir}: seeds {batch.seeds}, {total} generations each", flush=True)
        return _drive_batch(batch, args, total, overrides)
    run = Run.resume(Path(args.run_dir), _apply_backend_flags(args, []))
    total = args.generations or run.cfg.run.generations
    if run.generation >= total:
        print(f"{args.run_dir}: already at generation {run.generation} of {total}; "
              "pass --generations N to run longer")
        return 0
    print(f"resuming {args.run_dir} at generation {run.generation} of {total}", flush=True)
    return _drive(run, args, total)


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


def _drive(run: Run, args, total: int) -> int:
    evaluator = _start_evaluator(run)
    try:
        report = None if args.quiet else (lambda row: print(format_row(row, total), flush=True))
        run.run(evaluator, until=total, report=report)
    finally:
        evaluator.close()
    c = run.champion
    if c is None:
        print("done: no champion; every individual so far scored non-finite (see the warnings)")
        return 0
    print(f"done: champion from generation {c.generation}, fitness {c.fitness:.2f} "
          f"({c.genome.n_connections} connections); {run.dir / 'champion.json'}")
    return 0


def _drive_batch(batch: Batch, args, total: int, overrides: list[str]) -> int:
    """Run a batch's seeds; a table of outcomes; exit 1 if a seed failed (the others still ran)."""
    report = None if args.quiet else (lambda seed, row: print(f"seed {seed}  " + format_row(row, total), flush=True))
    outcomes = batch.run(lambda run: _start_evaluator(run, batch.parent), total, overrides, report,
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


def cmd_summarize(args) -> int:
    from wann import summary

    if args.out is None and len(args.paths) > 1:
        raise UserError("several folders: say where the summary goes with --out DIR")
    out = Path(args.out or args.paths[0])
    runs = summary.load_runs(args.paths)
    written = summary.write(runs, out, f"{len(runs)} runs: " + ", ".join(Path(p).name for p in args.paths))
    print(summary.markdown(runs))
    for p in written:
        print(p)
    return 0


def load_champion_path(path: str | Path) -> tuple[champ.Champion, dict]:
    """A champion from a run folder or a champion file."""
    path = Path(path)
    if path.is_dir():
        path = path / "champion.json"
    return champ.load(path)


def cmd_show(args) -> int:
    try:
        c, data = load_champion_path(args.path)
    except GenomeError as exc:
        raise UserError(f"{args.path}: {exc}") from None
    g = c.genome
    used = Counter(g.node_act[g.node_kind == HIDDEN].tolist())
    origin = f"imported from {data['imported']['network']}" if "imported" in data else f"generation {c.generation}"
    print(f"champion of task {data['task'].get('name')} ({origin})")
    print(f"  nodes: {g.node_id.size} ({g.n_inputs} inputs + bias, {g.n_hidden} hidden, {g.n_outputs} outputs)")
    extra = g.n_connections - g.n_enabled
    how = (f"{g.n_enabled} enabled + {extra} disabled hidden->hidden genes expressed" if g.phenotype == "reference"
           else "enabled genes")
    print(f"  connections: {g.n_connections} ({how}; {g.conn_src.size} genes; phenotype {g.phenotype!r})")
    print("  hidden activations: " + (", ".join(f"{activations.NAMES[a]} x{n}" for a, n in sorted(used.items()))
                                      or "none"))
    print(f"  score on {len(c.seeds)} re-evaluation seeds: mean {c.fitness:.2f}")
    for w, s in zip(data["weights"], c.per_weight):
        print(f"    w = {w:+5.2f}: {s:9.2f}")
    if data["task"].get("name") == "mnist256":
        from wann.tasks import check_fits
        from wann.tasks.mnist import MnistTask, accuracy_report

        check_fits(g, MnistTask, str(args.path))
        report = accuracy_report(g, data["weights"], args.data_dir or data["task"].get("data_dir", ""))
        print("\n".join(report.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
