"""What happens each generation besides the search: reporters, as in neat-python.

``Run.step`` evaluates, tells the search and updates the champion, then hands a ``Generation``
record to each of the run's reporters in order; a new kind of output (a progress line, a metrics
logger) is one more reporter. The run folder's own files are reporters too, in the order that keeps
the folder resumable at every instant (``wann.rundir``): the champion file first, then the log line;
the checkpoint (``Checkpointer``) after the generation's other outputs.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from wann import champion as champ
from wann import rundir
from wann.config import Config
from wann.io import append_line, dumps


class Run(Protocol):
    """What a reporter may use of the run (``wann.run.Run``)."""

    dir: Path
    cfg: Config
    generation: int  # generations done
    stopping: bool  # a Ctrl-C asked the run to stop after this generation

    def checkpoint(self) -> None: ...


@dataclass
class Generation:
    """One finished generation: its log row and what else the reporters may need."""

    row: dict  # the log.jsonl row (wann.run: the log's fields)
    population: int  # individuals evaluated
    nonfinite: int  # individuals whose mean score was not finite
    new_champion: champ.Champion | None  # the champion if this generation replaced it, else None
    until: int  # the last generation of this call of Run.run (the run's total for Run.step alone)


class Reporter(Protocol):
    def generation(self, run: Run, gen: Generation) -> None:
        """Called once per generation, after the search was told its scores and ``run.generation`` advanced."""
        ...


class ChampionFile:
    """``champion.json``, rewritten whenever the champion changes."""

    def generation(self, run: Run, gen: Generation) -> None:
        if gen.new_champion is not None:
            rundir.save_champion(run.dir, gen.new_champion, run.cfg)


class NonFiniteWarning:
    """One line on stderr per generation in which some individual scored non-finite (``wann.evaluation``)."""

    def generation(self, run: Run, gen: Generation) -> None:
        if gen.nonfinite:
            print(f"warning: generation {gen.row['generation']}: {gen.nonfinite} of {gen.population} individuals "
                  "scored non-finite (ranked last, never elite or champion)", file=sys.stderr, flush=True)


class LogFile:
    """One JSON line per generation in ``log.jsonl``."""

    def generation(self, run: Run, gen: Generation) -> None:
        append_line(run.dir / rundir.LOG, dumps(gen.row))


class Checkpointer:
    """``checkpoint.npz`` every ``every`` generations and at the last one of the call; skipped when the run
    is stopping (Run.run then writes the checkpoint itself)."""

    def __init__(self, every: int) -> None:
        self.every = every

    def generation(self, run: Run, gen: Generation) -> None:
        if not run.stopping and (run.generation % self.every == 0 or run.generation == gen.until):
            run.checkpoint()


class ProgressLine:
    """The per-generation line on stdout (``format_row``), after ``prefix``."""

    def __init__(self, total: int, prefix: str = "") -> None:
        self.total, self.prefix = total, prefix

    def generation(self, run: Run, gen: Generation) -> None:
        print(self.prefix + format_row(gen.row, self.total), flush=True)


class Callback:
    """Calls ``fn(row)`` each generation (tests, notebooks)."""

    def __init__(self, fn: Callable[[dict], None]) -> None:
        self.fn = fn

    def generation(self, run: Run, gen: Generation) -> None:
        self.fn(gen.row)


def folder_reporters() -> list[Reporter]:
    """The run folder's own per-generation files, in their safe order (the checkpoint comes last, in Run.run)."""
    return [ChampionFile(), NonFiniteWarning(), LogFile()]


def format_row(row: dict, total: int) -> str:
    """One progress line per generation (a missing champion prints as "-")."""
    champion = "-" if row["champion_fitness"] is None else f"{row['champion_fitness']:9.2f}"
    return (f"gen {row['generation'] + 1:>5}/{total}  best {row['best_mean']:9.2f} "
            f"(max {row['best_max']:9.2f}, {row['best_conns']:3d} conns)  median {row['median_fitness']:9.2f}  "
            f"champion {champion:>9}  {row['seconds']:6.2f}s")
