"""The public Python API: what the command line does, as functions for scripts and notebooks.

``from wann import load_config, evolve, resume, load_champion, evaluate, tune, plot``::

    cfg = load_config("configs/quick.toml", ["search.pop_size=32"])
    run = evolve(cfg, "runs/nb", generations=20)        # a Run; run.champion is the best so far
    champion = load_champion("runs/nb")                  # the run folder's champion.json
    report = evaluate(champion, trials=20)               # the paper's protocol; report.table()
    tuned = tune(champion)                               # TuneResult; tuned.genome has the weights
    plot(champion)                                       # PNG + SVG of the graph, beside the champion

Every function raises ``wann.errors.UserError`` with a one-line message for a bad input, as the CLI
prints it. Runs and files are exactly those of the CLI (``wann evolve`` etc.): a run folder made here can
be resumed with ``wann resume`` and the other way round.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from wann.config import Config
from wann.config import load_config as _load_config
from wann.errors import UserError
from wann.genome import Genome

if TYPE_CHECKING:
    from wann.protocol import Report
    from wann.run import Run
    from wann.tuning import TuneResult, TuneSettings


@dataclass
class LoadedChampion:
    """A champion file: the genome, its scores on the re-evaluation seeds, its task and weight series."""

    genome: Genome
    fitness: float  # mean score over the re-evaluation seeds and the weight series
    per_weight: list[float]  # mean score per shared weight of ``weights``
    generation: int
    weights: list[float]  # the shared-weight series it was scored under
    task: dict  # the task's options (``[task]`` of the config)
    path: Path  # the champion file
    data: dict  # the file's whole JSON


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> Config:
    """A TOML config with ``section.key=value`` overrides (as ``--set``), validated."""
    if isinstance(overrides, str):
        raise UserError(f"overrides is a list of 'section.key=value' strings; got the string {overrides!r}: "
                        f"write [{overrides!r}]")
    return _load_config(path, list(overrides))


def evolve(config: Config | str | Path, out: str | Path, *, generations: int | None = None,
           progress: bool = True, reporters: Sequence = ()) -> Run:
    """Start a search in the new folder ``out`` and run it to ``generations`` (default: the config's).

    ``config``: a ``Config`` or the path of a TOML file. ``progress``: the per-generation line on stdout.
    ``reporters``: more per-generation outputs (``wann.reporters.Reporter``). Returns the ``Run``
    (``run.champion``, ``run.generation``); its folder resumes with ``resume`` or ``wann resume``."""
    from wann.rundir import new_meta
    from wann.run import Run

    cfg = config if isinstance(config, Config) else load_config(config)
    meta = new_meta(["python", "wann.api.evolve"], str(cfg.source), [])
    run = Run.create(cfg, Path(out), meta)
    _drive(run, generations or cfg.run.generations, progress, reporters)
    return run


def resume(run_dir: str | Path, generations: int | None = None, *, progress: bool = True,
           reporters: Sequence = ()) -> Run:
    """Continue the run in ``run_dir`` from its checkpoint, bit for bit, to ``generations`` (default: the
    config's; more runs it longer). Returns the ``Run``."""
    from wann.run import Run

    run = Run.resume(Path(run_dir))
    _drive(run, generations or run.cfg.run.generations, progress, reporters)
    return run


def _drive(run, until: int, progress: bool, reporters: Sequence) -> None:
    from wann.evaluators import make_evaluator
    from wann.reporters import ProgressLine

    if until < 1:
        raise UserError(f"generations = {until}: must be >= 1")
    e = run.cfg.evaluation
    evaluator = make_evaluator(e.backend, run.task, run.cfg.search.weights, e.workers, e.address)
    try:
        run.run(evaluator, until, [*([ProgressLine(until)] if progress else []), *reporters])
    finally:
        evaluator.close()


def load_champion(path: str | Path) -> LoadedChampion:
    """The champion of a run folder, or a champion file (``champion.json``, ``*.tuned.json``, imported)."""
    from wann.rundir import load_champion as load

    c, data, file = load(path)
    return LoadedChampion(c.genome, c.fitness, list(c.per_weight), c.generation, list(data["weights"]),
                          dict(data["task"]), file, data)


def _champion(champion: LoadedChampion | str | Path) -> LoadedChampion:
    return champion if isinstance(champion, LoadedChampion) else load_champion(champion)


def _evaluators(backend: str, workers: int, address: str):
    from wann.evaluators import make_evaluator

    backend = "ray" if address else backend
    return lambda task, weights: make_evaluator(backend, task, weights, workers, address)


def evaluate(champion: LoadedChampion | str | Path, *, trials: int = 100, tune_trials: int = 100, grid: int = 41,
             seed: int = 0, tuned: LoadedChampion | str | Path | None = None, task_overrides: Sequence[str] = (),
             backend: str = "serial", workers: int = 0, address: str = "") -> Report:
    """The paper's protocol on fresh seeds (``wann eval``; ``wann.protocol``): a ``Report`` with ``columns``,
    ``sweep``, ``table()`` and ``to_dict()``. ``tuned``: a ``tune`` output of this champion to score too;
    ``task_overrides``: ``key=value`` options of the task (``--set task.key=value``)."""
    from wann.protocol import evaluate_champion
    from wann.tasks import check_fits, make_task, task_options, trial_options

    c = _champion(champion)
    task = make_task(trial_options(task_options(c.task, str(c.path), task_overrides)))
    check_fits(c.genome, task, str(c.path))
    tuned_genome = None if tuned is None else _champion(tuned).genome
    return evaluate_champion(c.genome, task, c.weights, _evaluators(backend, workers, address), trials, tune_trials,
                             grid, seed, tuned_genome)


def tune(champion: LoadedChampion | str | Path, settings: TuneSettings | None = None, *,
         seed: int = 0, task_overrides: Sequence[str] = (), backend: str = "serial", workers: int = 0,
         address: str = "") -> TuneResult:
    """Train the champion's connection weights (``wann tune``; ``wann.tuning``): CMA-ES for control tasks,
    Adam for classification. Returns a ``TuneResult`` (``genome`` with ``conn_weight``, ``validation``)."""
    from wann.tasks import check_fits, make_task, task_options, trial_options, with_rollouts
    from wann.tuning import TuneSettings, tune as tune_weights

    c = _champion(champion)
    settings = settings or TuneSettings()
    options = task_options(c.task, str(c.path), task_overrides)
    task = make_task(trial_options(options))
    check_fits(c.genome, task, str(c.path))
    return tune_weights(c.genome, task, _evaluators(backend, workers, address), settings, seed,
                        train_task=make_task(with_rollouts(options, settings.seeds_per_generation)))


def plot(champion: LoadedChampion | str | Path, out: str | Path | None = None, curves: bool = False) -> list[Path]:
    """Draw the champion's graph (PNG + SVG) into ``out`` (default: beside the champion file); ``curves``:
    the run's fitness and size curves too (a run folder's champion). Returns the files written."""
    from wann.plots import draw_genome, plot_curves
    from wann.rundir import read_log
    from wann.tasks import io_names

    c = _champion(champion)
    folder = Path(out) if out is not None else c.path.parent
    folder.mkdir(parents=True, exist_ok=True)
    names = io_names(c.task, str(c.path), c.genome, note=lambda text: None)  # generic names if it cannot be built
    title = f"{c.task.get('name')} {'tuned' if c.genome.conn_weight is not None else 'champion'} " \
            f"(generation {c.generation})"
    written = draw_genome(c.genome, folder / c.path.stem, *names[:2], title, names[2])
    if curves:
        rows = read_log(c.path.parent)
        if not rows:
            raise UserError(f"{c.path.parent}: no log rows; curves need a run folder")
        written += plot_curves(rows, folder / "curves", f"{c.path.parent.name}: {len(rows)} generations")
    return written


__all__ = ["LoadedChampion", "load_config", "evolve", "resume", "load_champion", "evaluate", "tune", "plot"]
