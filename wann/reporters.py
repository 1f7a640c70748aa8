"""What happens each generation besides the search: reporters, as in neat-python.

``Run.step`` evaluates, tells the search and updates the champion, then hands a ``Generation``
record to each of the run's reporters in order; a new kind of output (a progress line, a metrics
logger) is one more reporter. The run folder's own files are reporters too, in the order that keeps
the folder resumable at every instant (``wann.rundir``): the champion file first, then the log line;
the checkpoint (``Checkpointer``) after the generation's other outputs.
"""
from __future__ import annotations

import math
import sys
import time
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


class Reporter:
    """A per-generation output; subclasses override ``generation`` and, if they hold a resource, ``close``."""

    def generation(self, run: Run, gen: Generation) -> None:
        """Called once per generation, after the search was told its scores and ``run.generation`` advanced."""

    def close(self) -> None:
        """Called once when ``Run.run`` returns or raises (flush files, close writers)."""


class ChampionFile(Reporter):
    """``champion.json``, rewritten whenever the champion changes."""

    def generation(self, run: Run, gen: Generation) -> None:
        if gen.new_champion is not None:
            rundir.save_champion(run.dir, gen.new_champion, run.cfg)


class NonFiniteWarning(Reporter):
    """One line on stderr per generation in which some individual scored non-finite (``wann.evaluation``)."""

    def generation(self, run: Run, gen: Generation) -> None:
        if gen.nonfinite:
            print(f"warning: generation {gen.row['generation']}: {gen.nonfinite} of {gen.population} individuals "
                  "scored non-finite (ranked last, never elite or champion)", file=sys.stderr, flush=True)


class LogFile(Reporter):
    """One JSON line per generation in ``log.jsonl``."""

    def generation(self, run: Run, gen: Generation) -> None:
        append_line(run.dir / rundir.LOG, dumps(gen.row))


class Checkpointer(Reporter):
    """``checkpoint.npz`` every ``every`` generations and at the last one of the call; skipped when the run
    is stopping (Run.run then writes the checkpoint itself)."""

    def __init__(self, every: int) -> None:
        self.every = every

    def generation(self, run: Run, gen: Generation) -> None:
        if not run.stopping and (run.generation % self.every == 0 or run.generation == gen.until):
            run.checkpoint()


class ProgressLine(Reporter):
    """The per-generation line on stdout (``format_row``) after ``prefix``, with the time left to ``total``
    at this call's mean time per generation."""

    def __init__(self, total: int, prefix: str = "") -> None:
        self.total, self.prefix = total, prefix
        self._first: tuple[float, int] | None = None  # (time, generations done) at the end of this call's first

    def generation(self, run: Run, gen: Generation) -> None:
        now = time.perf_counter()
        if self._first is None:  # its own time is the estimate; later ones leave it out (it includes compiling)
            self._first = (now, run.generation)
            per_generation = gen.row["seconds"]
        else:
            t0, g0 = self._first
            per_generation = (now - t0) / (run.generation - g0)
        eta = per_generation * max(self.total - run.generation, 0)
        print(f"{self.prefix}{format_row(gen.row, self.total)}  ETA {_clock(eta)}", flush=True)


class TensorBoard(Reporter):
    """The log's figures per generation as TensorBoard scalars in ``<run folder>/tensorboard`` (tensorboardX).

    Step: the generation; tags ``fitness/...``, ``size/...``, ``time/...``. A resumed run adds an event file
    of its own; where a resume repeats generations (after a crash), TensorBoard shows the latest values."""

    TAGS = {"median_fitness": "fitness/population_median", "best_mean": "fitness/best_mean",
            "best_max": "fitness/best_max", "champion_fitness": "fitness/champion",
            "best_conns": "size/best_connections", "mean_conns": "size/mean_connections",
            "best_nodes": "size/best_nodes", "seconds": "time/seconds_per_generation", "evaluations": "evaluations"}

    def __init__(self, folder: Path) -> None:
        self.folder, self.writer = folder / "tensorboard", None  # opened at the first generation

    def generation(self, run: Run, gen: Generation) -> None:
        if self.writer is None:
            from tensorboardX import SummaryWriter

            # one event file per start: its name carries the generation it starts at (two starts in one
            # second would otherwise share tensorboardX's time-and-host name)
            self.writer = SummaryWriter(str(self.folder), flush_secs=10,
                                        filename_suffix=f".from_generation_{gen.row['generation']}")
        for key, tag in self.TAGS.items():
            value = gen.row.get(key)
            if value is not None and math.isfinite(value):
                self.writer.add_scalar(tag, value, gen.row["generation"])
        self.writer.flush()  # a killed run keeps every finished generation's scalars

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Callback(Reporter):
    """Calls ``fn(row)`` each generation (tests, notebooks)."""

    def __init__(self, fn: Callable[[dict], None]) -> None:
        self.fn = fn

    def generation(self, run: Run, gen: Generation) -> None:
        self.fn(gen.row)


def folder_reporters(cfg: Config, folder: Path) -> list[Reporter]:
    """The run folder's own per-generation files, in their safe order (the checkpoint comes last, in Run.run);
    TensorBoard event files too when ``run.tensorboard`` is set."""
    return [ChampionFile(), NonFiniteWarning(), LogFile(), *([TensorBoard(folder)] if cfg.run.tensorboard else [])]


def _clock(seconds: float) -> str:
    """``h:mm:ss``."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def format_row(row: dict, total: int) -> str:
    """One progress line per generation: the generation (0-based, as log.jsonl, champion files and plots number
    it), then (generations done/total); a missing champion prints as "-"."""
    champion = "-" if row["champion_fitness"] is None else f"{row['champion_fitness']:9.2f}"
    return (f"gen {row['generation']:>5} ({row['generation'] + 1}/{total})  best {row['best_mean']:9.2f} "
            f"(max {row['best_max']:9.2f}, {row['best_conns']:3d} conns)  median {row['median_fitness']:9.2f}  "
            f"champion {champion:>9}  {row['seconds']:6.2f}s")
