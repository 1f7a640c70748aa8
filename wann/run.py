"""The run loop: generations, champion, checkpoints, Ctrl-C; outputs through reporters (``wann.reporters``).

The run folder and its files: ``wann.rundir``. The checkpoint (``wann.checkpoint``: numpy arrays and JSON,
no pickle) stores the next population, both random generators' states, the
innovation counters, the generation and evaluation counters and the champion:
``wann resume`` continues bit for bit as if the run had never stopped.
"""
from __future__ import annotations

import logging
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from wann import champion as champ
from wann import rundir
from wann import checkpoint as ckpt
from wann.config import Config, config_from_dict
from wann.errors import UserError
from wann.evaluation import Evaluator
from wann.genome import LEGACY_PHENOTYPE
from wann.io import dumps
from wann.network import compile_genome
from wann.reporters import Checkpointer, Generation, Reporter, folder_reporters
from wann.search import Search
from wann.seeds import SEED_RANGE
from wann.tasks import Task, check_fits, make_task

log = logging.getLogger(__name__)

TIME_KEYS = ("seconds", "elapsed")  # the only log fields that differ between identical runs


@dataclass
class Interrupted(Exception):
    generation: int


class Run:
    """An evolution in a run folder."""

    def __init__(self, cfg: Config, run_dir: Path, task: Task, search: Search,
                 eval_rng: np.random.Generator, generation: int = 0, evaluations: int = 0,
                 champion: champ.Champion | None = None, elapsed: float = 0.0) -> None:
        self.cfg, self.dir, self.task, self.search = cfg, Path(run_dir), task, search
        self.eval_rng = eval_rng
        self.generation, self.evaluations, self.champion, self.elapsed = generation, evaluations, champion, elapsed
        self.weights = np.asarray(cfg.search.weights, dtype=np.float64)
        self._stop = False  # first Ctrl-C: finish this generation
        self._abort = False  # second Ctrl-C: abandon it
        self.reporters: list[Reporter] = folder_reporters(cfg, self.dir)

    # ---- creation ----------------------------------------------------------
    @classmethod
    def create(cls, cfg: Config, run_dir: Path, meta: dict) -> Run:
        """A fresh run in a new folder, made whole with a generation-0 checkpoint or not at all
        (``wann.rundir.create``); refuses a folder that holds anything."""
        run_dir = Path(run_dir)
        if rundir.holds_run(run_dir):
            raise UserError(f"{run_dir} already holds a run; continue it with `wann resume {run_dir}` "
                            "or choose another --out")
        task = make_task(cfg.task)  # everything that can fail is built before the folder is made
        search_rng, eval_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.run.seed).spawn(2))
        search = Search(cfg.search, task.n_inputs, task.n_outputs, task.activations, search_rng)
        run = cls(cfg, run_dir, task, search, eval_rng)
        meta = meta | {"numerics": rundir.NUMERICS}  # which numerics the folder's scores come from
        rundir.create(run_dir, {rundir.CONFIG: cfg.to_toml(), rundir.META: dumps(meta, indent=1) + "\n",
                                rundir.LOG: "", ckpt.FILE: ckpt.encode(run.state(), search.population)})
        return run

    @classmethod
    def resume(cls, run_dir: Path, overrides: list[str] | None = None) -> Run:
        """Reload a run folder from its checkpoint, the one truth: the log is cut back to it, the
        champion file rewritten from it, temp files of interrupted writes removed; a config.toml
        edited since (other than ``SAFE_KEYS``) is refused with the differing keys named."""
        run_dir = Path(run_dir)
        rundir.read_config(run_dir)  # UserError unless it is a run folder
        with rundir.writer(run_dir):
            return cls._resume(run_dir, overrides)

    @classmethod
    def _resume(cls, run_dir: Path, overrides: list[str] | None) -> Run:
        rundir.remove_temp_files(run_dir)
        raw = rundir.read_config(run_dir)
        if isinstance(raw.get("search"), dict):  # folders from before the option ran as "enabled"
            raw["search"].setdefault("phenotype", LEGACY_PHENOTYPE)
        cfg = config_from_dict(raw, overrides or [], str(run_dir / rundir.CONFIG))
        ck, population = ckpt.load(run_dir)
        made_with = population[0].phenotype if population else cfg.search.phenotype
        if made_with != cfg.search.phenotype:
            raise UserError(f"{run_dir / rundir.CONFIG}: search.phenotype is {cfg.search.phenotype!r} but the "
                            f"checkpoint's population was evolved with {made_with!r}; a run cannot change its "
                            "phenotype: set it back, or start a new run")
        task = make_task(cfg.task)
        if population:
            check_fits(population[0], task, str(run_dir / ckpt.FILE))
        try:
            search = Search.from_state(cfg.search, task.activations, ck["search"], population)
            eval_rng = np.random.default_rng()
            eval_rng.bit_generator.state = ck["eval_rng"]
            best = champ.Champion.from_dict(ck["champion"]) if ck["champion"] else None
            run = cls(cfg, run_dir, task, search, eval_rng, int(ck["generation"]), int(ck["evaluations"]),
                      best, float(ck["elapsed"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{run_dir / ckpt.FILE} is corrupt: {exc}") from None
        if ck.get("config") is not None:
            _refuse_edits(ck["config"], cfg, run_dir)
        if rundir.numerics_of(run_dir) != rundir.NUMERICS:
            log.warning("warning: %s was made with the numerics of wann < 0.2.0 (Horner's polynomials, libm's "
                        "sin/cos in the swing-up); this version computes them differently in the last bits, so the "
                        "generations from here on are not the ones the old version would have computed (the "
                        "search's rules are the same)", run_dir)
        rundir.write_log(run_dir, rundir.read_log(run_dir)[: run.generation])
        if run.champion is None:
            (run_dir / rundir.CHAMPION).unlink(missing_ok=True)
        else:
            rundir.save_champion(run_dir, run.champion, cfg)
        return run

    # ---- one generation ------------------------------------------------------
    def step(self, evaluator: Evaluator, until: int | None = None) -> Generation:
        """Evaluate the population, update the champion, breed the next generation, then call the
        run's reporters (``self.reporters``: the folder's champion file and log line by default)."""
        t0 = time.perf_counter()
        rng_before, search_before = self.eval_rng.bit_generator.state, self.search.mark()
        try:
            pop = self.search.ask()
            seed = int(self.eval_rng.integers(SEED_RANGE))
            scores = evaluator.evaluate([compile_genome(g) for g in pop], [seed] * len(pop), stop=self._aborted)
            per_weight = scores.mean(axis=2)
            mean, best = per_weight.mean(axis=1), per_weight.max(axis=1)
            challenge = self._challenge(pop, mean, evaluator)
            self.search.tell(mean, best)  # breeds while the workers run the champion check
            new_champion = challenge()
            if self._abort:
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            self.eval_rng.bit_generator.state = rng_before  # nothing of this generation happened
            self.search.rewind(search_before)
            raise
        if new_champion is not None:
            self.champion = new_champion
        self.evaluations += len(pop)
        i = int(np.argmax(mean))
        conns = np.array([g.n_connections for g in pop])
        seconds = time.perf_counter() - t0
        self.elapsed += seconds
        row = {
            "generation": self.generation,
            "evaluations": self.evaluations,
            "seconds": round(seconds, 4),
            "elapsed": round(self.elapsed, 3),
            "seed": seed,
            "objective": self.search.last_objective,
            "median_fitness": float(np.median(mean)),
            "best_mean": float(mean[i]),
            "best_max": float(best[i]),
            "best_conns": int(conns[i]),
            "best_nodes": int(pop[i].node_id.size),
            "mean_conns": float(conns.mean()),
            "champion_fitness": None if self.champion is None else self.champion.fitness,
            "champion_generation": None if self.champion is None else self.champion.generation,
        }
        self.generation += 1
        gen = Generation(row, len(pop), int(np.count_nonzero(~np.isfinite(mean))), new_champion,
                         self.cfg.run.generations if until is None else until)
        for reporter in self.reporters:
            reporter.generation(self, gen)
        return gen

    def _challenge(self, pop, mean, evaluator: Evaluator) -> Callable[[], champ.Champion | None]:
        """The reference's rule: the generation's best replaces the champion only if it
        beats it on ``champion_reps`` fresh seeds too. Draws the seeds and submits the check;
        the returned function waits for it and gives the new champion, or None."""
        i = int(np.argmax(mean))
        if not np.isfinite(mean[i]) or (self.champion is not None and not mean[i] > self.champion.fitness):
            return lambda: None
        reps = self.cfg.run.champion_reps
        seeds = [int(s) for s in self.eval_rng.integers(SEED_RANGE, size=reps)]
        result = evaluator.submit([compile_genome(pop[i])] * reps, seeds)

        def decide() -> champ.Champion | None:
            fitness, per_weight = champ.rescore(result(self._aborted))
            if not np.isfinite(fitness) or (self.champion is not None and not fitness > self.champion.fitness):
                return None
            return champ.Champion(pop[i].copy(), self.generation, fitness, per_weight, seeds)
        return decide

    # ---- checkpoint ------------------------------------------------------------
    def state(self) -> dict:
        """Everything a checkpoint holds besides the population (``wann.checkpoint``)."""
        return {
            "generation": self.generation,
            "evaluations": self.evaluations,
            "elapsed": self.elapsed,
            "search": self.search.state(),
            "eval_rng": self.eval_rng.bit_generator.state,
            "champion": None if self.champion is None else self.champion.to_dict(
                asdict(self.cfg.task), self.cfg.search.weights),
            "config": self.cfg.to_dict(),
        }

    def checkpoint(self) -> None:
        ckpt.save(self.dir, self.state(), self.search.population)

    # ---- the loop ----------------------------------------------------------------
    def run(self, evaluator: Evaluator, until: int | None = None, reporters: Sequence[Reporter] = ()) -> None:
        """Run generations up to ``until`` (default: the config's); each generation goes to the run's
        reporters, then to ``reporters`` (e.g. ``ProgressLine``), then to the checkpointer
        (every ``run.checkpoint_every`` generations and at ``until``).

        The first Ctrl-C finishes the current generation, a second one abandons it;
        either way a checkpoint of the last complete generation is written and
        ``Interrupted`` is raised.
        """
        until = self.cfg.run.generations if until is None else until
        extra = [*reporters, Checkpointer(self.cfg.run.checkpoint_every)]
        with rundir.writer(self.dir), self._sigint():
            try:
                while self.generation < until:
                    gen = self.step(evaluator, until)
                    for reporter in extra:
                        reporter.generation(self, gen)
                    if self._stop:
                        raise KeyboardInterrupt
            except KeyboardInterrupt:
                self.checkpoint()
                raise Interrupted(self.generation) from None
            finally:
                for reporter in [*self.reporters, *extra]:
                    reporter.close()

    def _aborted(self) -> bool:
        return self._abort

    @property
    def stopping(self) -> bool:
        """Whether a Ctrl-C asked the run to stop (it then ends after this generation)."""
        return self._stop

    @contextmanager
    def _sigint(self):
        """Ctrl-C sets flags only (raising inside a numba call fails): the first finishes the generation,
        the second abandons it at the next safe point (between individuals, ``Evaluator.evaluate(stop=)``)."""
        def handler(signum, frame):
            if self._stop:
                self._abort = True
                print("\nstopping now; the checkpoint is the last complete generation", file=sys.stderr, flush=True)
                return
            self._stop = True
            print("\nstopping after this generation (Ctrl-C again to stop now)", file=sys.stderr, flush=True)

        try:
            previous = signal.signal(signal.SIGINT, handler)
        except ValueError:  # not the main thread: leave signals alone
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


# keys that may differ between a run's checkpoint and its folder's config.toml on resume
SAFE_KEYS = frozenset({"run.generations", "run.checkpoint_every", "run.name", "run.out_dir", "run.tensorboard",
                       "evaluation.backend", "evaluation.workers", "evaluation.address"})


def _refuse_edits(saved: dict, cfg: Config, run_dir: Path) -> None:
    """UserError naming every key whose value differs from the checkpoint's config (``SAFE_KEYS`` aside)."""
    now = cfg.to_dict()
    diff = []
    for section in sorted(set(saved) | set(now)):
        a, b = saved.get(section, {}), now.get(section, {})
        for key in sorted(set(a) | set(b)):
            if f"{section}.{key}" not in SAFE_KEYS and a.get(key) != b.get(key):
                diff.append(f"{section}.{key} = {b.get(key)!r} (the run used {a.get(key)!r})")
    if diff:
        raise UserError(f"{run_dir / rundir.CONFIG} differs from the config the run was checkpointed with: "
                        + "; ".join(diff) + ". Put those values back, or start a new run with `wann evolve`; "
                        "safe to change on resume: " + ", ".join(sorted(SAFE_KEYS)))
