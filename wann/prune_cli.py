"""``wann prune``: a thin front over ``python -m prune_baselines`` (same flags, same results folder).

``wann.cli.main`` hands everything after ``prune`` to ``prune_baselines.cli.main`` untouched, so
torch is imported only when ``wann prune`` runs; this module only lists the command in ``wann --help``.
"""
from __future__ import annotations


def register(sub) -> None:
    """List the ``prune`` subcommand (its arguments are parsed by prune_baselines)."""
    sub.add_parser("prune", add_help=False,
                   help="prune dense networks on MNIST (IMP, SynFlow, OBD, magnitude, random); "
                        "flags as `python -m prune_baselines --help`")


def run(flags: list[str]) -> int:
    """Run ``python -m prune_baselines FLAGS``; returns its exit code."""
    from prune_baselines.cli import main

    return main(flags, prog="wann prune")
