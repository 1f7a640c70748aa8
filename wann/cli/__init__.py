"""The ``wann`` command line: one argparse tree, one error handler, thin commands (parse -> call -> print).

Each command module has ``register(subparsers)``, which adds its parsers and sets ``func`` on them;
heavy imports (torch, ray, matplotlib) happen inside the commands that need them.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from wann.cli import compare, evaluate, evolve, export, plot, reference, report, show, summarize, tune
from wann.errors import UserError
from wann.run import Interrupted

COMMANDS = (evolve, show, summarize, plot, evaluate, tune, export, reference, compare, report)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``wann`` console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    args.argv = argv  # what the command records as its own command line (meta.json, compare.json)
    if getattr(args, "passes_flags_on", False):  # `wann prune ...`: prune_baselines parses its own flags
        args.flags = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `wann show RUN | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Interrupted as exc:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a further Ctrl-C while exiting changes nothing
        print(f"interrupted after generation {exc.generation}; checkpoint written. "
              f"Continue with: wann resume {args.out_dir_used}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # a Ctrl-C outside a run's generations (starting, closing, eval, tune, ...)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        folder = getattr(args, "out_dir_used", None)
        resume = f" Continue with: wann resume {folder}" if folder and Path(folder).exists() else ""
        print(f"interrupted; nothing half-written.{resume}", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The whole ``wann`` parser tree."""
    p = argparse.ArgumentParser(prog="wann", description="Weight agnostic neural network search.")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return p


def _version() -> str:
    try:
        return version("wann")
    except PackageNotFoundError:  # running from a checkout that was not installed
        return "(not installed)"
