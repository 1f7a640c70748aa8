"""What several commands share: backend flags, ``--set`` overrides, champions named on the command line."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable, Sequence

from wann.errors import UserError

SET_HELP = "override a config value (repeatable), e.g. --set search.pop_size=64"


def backend_flags(p: argparse.ArgumentParser, defaults: bool = False) -> None:
    """--backend/--workers/--address; ``defaults``: serial, all cores, no address (else: the config's)."""
    p.add_argument("--backend", choices=["serial", "ray"], default="serial" if defaults else None,
                   help="evaluation backend" + ("" if defaults else " (default: config)"))
    p.add_argument("--workers", type=int, default=0 if defaults else None,
                   help="evaluation workers, 0 = all cores" + ("" if defaults else " (default: config)"))
    p.add_argument("--address", default="" if defaults else None,
                   help="Ray cluster address ('auto' or host:port); implies --backend ray")


def backend_overrides(args: argparse.Namespace, overrides: Sequence[str] = ()) -> list[str]:
    """``overrides`` plus the config overrides the backend flags stand for."""
    out = list(overrides)
    if args.address:
        out += ["evaluation.backend=ray", f"evaluation.address={args.address}"]
    if args.backend:
        out.append(f"evaluation.backend={args.backend}")
    if args.workers is not None:
        out.append(f"evaluation.workers={args.workers}")
    return out


def data_dir_override(path: str | None) -> list[str]:
    """``task.data_dir`` from ``--data-dir`` (absolute), or nothing."""
    return [f"task.data_dir={json.dumps(str(Path(path).expanduser().resolve()))}"] if path else []


def task_flags(p: argparse.ArgumentParser) -> None:
    """``--set task.KEY=VALUE`` (and its older spelling ``--task KEY=VALUE``): the champion's task options."""
    p.add_argument("--set", action="append", default=[], metavar="task.KEY=VALUE",
                   help="override a task option of the champion (repeatable), e.g. --set task.max_steps=1000")
    p.add_argument("--task", action="append", default=[], metavar="KEY=VALUE",
                   help="the same as --set task.KEY=VALUE")


def job_flags(p: argparse.ArgumentParser, seed_help: str) -> None:
    """What ``eval`` and ``tune`` share: --quiet, --seed, the task overrides and the backend flags."""
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--seed", type=int, default=0, help=f"{seed_help} (default 0)")
    task_flags(p)
    backend_flags(p, defaults=True)


def task_overrides(args: argparse.Namespace) -> list[str]:
    """The ``KEY=VALUE`` task overrides of ``--set task.KEY=VALUE`` and ``--task KEY=VALUE``, in that order."""
    out = []
    for text in args.set:
        section, dot, rest = text.partition(".")
        if section != "task" or not dot:
            raise UserError(f"--set {text!r}: only task options can be set here, as --set task.KEY=VALUE "
                            "(e.g. --set task.max_steps=1000)")
        out.append(rest)
    return out + list(args.task)


def champion_paths(args: argparse.Namespace) -> list[Path]:
    """The champions named on the command line (``args.paths``), batch folders expanded to their seeds."""
    from wann.batch import run_folders

    paths = [f for p in args.paths for f in (run_folders(p) if Path(p).is_dir() else [Path(p)])]
    if len(paths) > 1 and args.out:
        raise UserError(f"--out names one file, but {len(paths)} champions were given; leave it out "
                        "(each output goes beside its champion)")
    return paths


def beside(file: Path, suffix: str) -> Path:
    """An output file beside the champion: ``runs/x/champion.json`` -> ``runs/x/champion<suffix>``."""
    return file.with_name(file.name.removesuffix(".json") + suffix)


def stem(file: Path, out_dir: str | None = None) -> Path:
    """The stem of figures of ``file``, in ``out_dir`` (made if needed) or beside it: ``runs/x/champion``."""
    folder = Path(out_dir) if out_dir else file.parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder / file.stem


def champion_task(data: dict, file: Path, genome, overrides: Sequence[str] = (), trial: bool = False):
    """The champion's task (``trial``: one rollout per seed), checked to fit ``genome``."""
    from wann.tasks import check_fits, make_task, task_options, trial_options

    options = task_options(data["task"], str(file), overrides)
    task = make_task(trial_options(options) if trial else options)
    check_fits(genome, task, str(file))
    return task


def champion_job(path: Path, args: argparse.Namespace, suffix: str):
    """What ``eval`` and ``tune`` start from: (champion, its JSON, its file, task overrides, its trial task, output
    file: ``--out`` or ``<champion><suffix>`` beside it), the output folder checked writable before any work."""
    from wann.io import check_writable
    from wann.rundir import load_champion

    c, data, file = load_champion(path)
    overrides = task_overrides(args)
    task = champion_task(data, file, c.genome, overrides, trial=True)
    out = Path(args.out) if args.out else beside(file, suffix)
    check_writable(out.parent)  # before minutes of work, not after
    return c, data, file, overrides, task, out


def evaluator_factory(args: argparse.Namespace) -> Callable:
    """``make(task, weights)`` for the backend flags of a command (``wann.evaluators.make_evaluator``)."""
    from wann.evaluators import make_evaluator

    backend = "ray" if args.address else args.backend
    return lambda task, weights: make_evaluator(backend, task, weights, args.workers, args.address)


def say(text: str) -> None:
    """An indented progress line on stdout (kept clear of a running progress bar)."""
    from wann.progress import say as write

    write(text)

