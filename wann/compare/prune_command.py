"""``wann prune``: the command line of ``prune_baselines`` under the ``wann`` command (same flags, same folder)."""
from __future__ import annotations


def run(flags: list[str]) -> int:
    """Run ``python -m prune_baselines FLAGS`` in this process, its usage named ``wann prune``; its exit code."""
    from prune_baselines.cli import main

    return main(flags, prog="wann prune")
