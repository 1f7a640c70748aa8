"""A batch: one config searched with several seeds, each seed in its own run folder under one parent.

Layout of a batch folder::

    PARENT/batch.json      format wann.batch/1: seeds, config file, overrides, command, creation time
    PARENT/config.toml     the resolved config (its run.seed is replaced per seed)
    PARENT/seed_<s>/       an ordinary run folder for seed s (``wann.run``)

Seeds run one after another through one evaluator (one Ray start for the whole batch), so a batch
costs what its single runs cost, and seed s gives exactly what ``wann evolve CONFIG --set
run.seed=s`` gives (scores never depend on the evaluator). A seed whose run fails (an exception
other than an interrupt) is reported and the next seed starts; ``wann resume PARENT`` continues
every unfinished seed (starting those never started) and skips finished ones.
"""
from __future__ import annotations

import dataclasses
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from wann import checkpoint as ckpt
from wann.config import Config, config_from_dict
from wann.errors import UserError
from wann.evaluation import Evaluator
from wann import rundir
from wann.io import dumps, read_json
from wann.reporters import Reporter
from wann.run import Interrupted, Run

FORMAT = "wann.batch/1"
FILE = "batch.json"


def parse_seeds(text: str) -> list[int]:
    """``"0-7"``, ``"0,3,5"`` or ``"0-3,8"`` -> sorted distinct seeds; UserError when malformed."""
    seeds: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise UserError(f"--seeds {text!r}: expected non-negative seeds like 0-7, 0,3,5 or 0-3,8")
        lo = int(m.group(1))
        seeds.update(range(lo, int(m.group(2) or lo) + 1))
    return sorted(seeds)


def is_batch(folder: str | Path) -> bool:
    return (Path(folder) / FILE).exists()


def seed_folder(parent: Path, seed: int) -> Path:
    return Path(parent) / f"seed_{seed}"


def run_folders(folder: str | Path) -> list[Path]:
    """The run folders of a batch folder (in seed order), or ``[folder]`` for a run folder."""
    folder = Path(folder)
    if not is_batch(folder):
        return [folder]
    return [seed_folder(folder, s) for s in Batch.load(folder).seeds]


@dataclass
class SeedOutcome:
    seed: int
    status: str  # "done", "failed"
    message: str = ""
    generation: int = 0


@dataclass
class Batch:
    parent: Path
    cfg: Config
    seeds: list[int]

    @classmethod
    def create(cls, cfg: Config, parent: Path, seeds: list[int], meta: dict) -> Batch:
        """A new batch folder (refuses a folder that already holds a run or a batch)."""
        parent = Path(parent)
        if is_batch(parent) or rundir.holds_run(parent):
            raise UserError(f"{parent} already holds a run or a batch; continue it with `wann resume {parent}` "
                            "or choose another --out")
        if not seeds:
            raise UserError("a batch needs at least one seed")
        rundir.create(parent, {rundir.CONFIG: cfg.to_toml(),  # whole or absent, never over a user's files
                               FILE: dumps({"format": FORMAT, "seeds": seeds} | meta, indent=1) + "\n"})
        return cls(parent, cfg, seeds)

    @classmethod
    def load(cls, parent: Path, overrides: list[str] | None = None) -> Batch:
        parent = Path(parent)
        data = read_json(parent / FILE, "batch file")
        if data.get("format") != FORMAT or not isinstance(data.get("seeds"), list) or not data["seeds"]:
            raise UserError(f"{parent / FILE}: not a {FORMAT} file (needs a non-empty seeds list)")
        cfg = config_from_dict(rundir.read_config(parent), overrides or [], str(parent / rundir.CONFIG))
        return cls(parent, cfg, [int(s) for s in data["seeds"]])

    def seed_config(self, seed: int) -> Config:
        return dataclasses.replace(self.cfg, run=dataclasses.replace(self.cfg.run, seed=seed))

    def run(self, make: Callable[[Run], Evaluator], total: int, overrides: list[str],
            reporters: Callable[[int], Sequence[Reporter]] = lambda seed: (),
            announce: Callable[[str], None] | None = None) -> list[SeedOutcome]:
        """Run every seed to ``total`` generations, one after another, with one evaluator.

        ``make(run)`` builds the evaluator from the first run that needs one (then it is reused);
        ``reporters(seed)``: the extra reporters of that seed's run (``Run.run``);
        ``overrides`` apply to resumed seeds (backend flags). An interrupt (``wann.run.Interrupted``)
        stops the batch; any other failure of a seed is recorded and the next seed starts.
        """
        say = announce or (lambda text: None)
        outcomes, evaluator = [], None
        try:
            for k, seed in enumerate(self.seeds):
                folder = seed_folder(self.parent, seed)
                try:
                    run = Run.resume(folder, overrides) if (folder / ckpt.FILE).exists() else None
                    if run is not None and run.generation >= total:
                        outcomes.append(SeedOutcome(seed, "done", "already finished", run.generation))
                        continue
                    if run is None:  # run folders are made whole with a checkpoint, or not at all
                        run = Run.create(self.seed_config(seed), folder, {"batch": str(self.parent), "seed": seed})
                    say(f"seed {seed} ({k + 1}/{len(self.seeds)}): {folder}, generation {run.generation} of {total}")
                    if evaluator is None:
                        evaluator = make(run)
                    run.run(evaluator, until=total, reporters=reporters(seed))
                    outcomes.append(SeedOutcome(seed, "done", "", run.generation))
                except Interrupted:
                    raise
                except Exception as exc:  # noqa: BLE001 - one seed's failure must not stop the others
                    text = str(exc) if isinstance(exc, UserError) else \
                        f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"
                    outcomes.append(SeedOutcome(seed, "failed", text))
                    say(f"seed {seed} failed: {text.splitlines()[0]}")
        finally:
            if evaluator is not None:
                evaluator.close()
        return outcomes
