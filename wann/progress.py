"""Progress bars (tqdm) for long work: eval, tune, compare (``evolve`` has its per-generation line).

Bars go to stderr and only to a terminal (tqdm's ``disable=None``), never into files; ``--quiet`` turns
them off. Lines printed while a bar runs go through ``say`` (``tqdm.write``), which keeps the bar intact.
"""
from __future__ import annotations

import sys

from tqdm import tqdm


def bar(total: int, desc: str, quiet: bool = False, unit: str = "it") -> tqdm:
    """A bar of ``total`` steps with rate and time left; off when ``quiet`` or stderr is not a terminal."""
    return tqdm(total=total, desc=desc, unit=unit, disable=True if quiet else None, leave=False, file=sys.stderr,
                dynamic_ncols=True)


def say(text: str) -> None:
    """An indented line on stdout that keeps a running bar intact."""
    tqdm.write(f"  {text}", file=sys.stdout)
    sys.stdout.flush()
