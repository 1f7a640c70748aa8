"""Train the per-connection weights of a fixed topology, starting from its best shared weight.

Start: the best weight of a shared-weight sweep on the tuning seeds (the same
choice as ``wann eval``'s ``tuned shared weight`` for the same ``--seed``), put on
every connection. Then:

- control tasks: CMA-ES (the ``cma`` package, its normal draws from our own
  Generator) on the vector of connection weights; every candidate of a generation
  is scored on the same fresh training episodes (common random numbers) through the
  evaluator (serial or Ray). Every ``check_every`` generations the distribution mean
  is scored on ``check_trials`` fixed check episodes; the best checked mean is the
  result, and once a check has beaten the start the run stops after ``patience``
  checks in a row without improvement (or after ``generations``). This is the reference tool's rule (WANNTool
  ``train.py``: evaluate the mean every 25 generations, keep the best), plus a stop.
- classification tasks (a task with ``training_data() -> (x [N, n_in], y [N])``):
  Adam on the cross-entropy through the torch export (``wann.export.WannModule``).

The result is kept only if it beats the start on separate validation seeds; test
seeds are never seen. Defaults (``TuneSettings``) were set from ``bench/tune_budget.py``
(README, "Tuning budget").
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from wann.evaluators import Evaluators, MakeEvaluator
from wann.protocol import shared_sweep, weight_grid
from wann.seeds import draw_seeds, seed_streams
from wann.weights import topology, with_edge_weights
from wann.errors import UserError
from wann.genome import Genome
from wann.network import Net, compile_genome
from wann.tasks import Task
from wann.tasks.protocol import TrainingData


@dataclass
class TuneSettings:
    generations: int = 2000  # CMA-ES generations at most (control); the stopping rule usually ends it sooner
    popsize: int = 32  # CMA-ES population (the reference tool's 32); 0 = cma's default 4 + 3 ln n
    sigma: float = 0.25  # CMA-ES initial step size (the reference tool's 0.5 stalls on large champions)
    seeds_per_generation: int = 4  # training episodes per candidate per generation (control)
    epochs: int = 20  # passes over the training data (classification)
    batch_size: int = 256
    lr: float = 0.01
    grid: int = 41  # shared-weight sweep points for the start
    tune_trials: int = 100  # seeds of the start sweep
    validation_trials: int = 50  # seeds that decide between start and result
    check_every: int = 25  # generations between checks of the distribution mean (control)
    check_trials: int = 64  # episodes of a check
    patience: int = 12  # once improved on the start, stop after this many checks without improvement; 0 = never

    def __post_init__(self) -> None:
        if min(self.generations, self.seeds_per_generation, self.epochs, self.batch_size, self.tune_trials,
               self.validation_trials, self.check_every, self.check_trials) < 1 or self.popsize < 0 \
                or self.sigma <= 0 or self.lr <= 0 or self.patience < 0:
            raise ValueError("tune settings must be positive (popsize and patience may be 0)")


@dataclass
class TuneResult:
    genome: Genome  # the tuned genome (conn_weight set)
    method: str  # "cma-es" or "adam"
    start_weight: float
    validation: dict  # {"start": score, "tuned": score, "kept": "tuned" | "start"}
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"method": self.method, "start_weight": self.start_weight, "validation": self.validation,
                "seconds": round(self.seconds, 3), "history": self.history}


def _with_cw(net: Net, cw: np.ndarray) -> Net:
    return dataclasses.replace(net, cw=np.ascontiguousarray(cw, dtype=np.float64), shared=False)


def tune(genome: Genome, task: Task, make: MakeEvaluator, settings: TuneSettings | None = None, seed: int = 0,
         progress: Callable[[str], None] | None = None, train_task: Task | None = None,
         on_check: Callable[[int, np.ndarray], None] | None = None, bar=None) -> TuneResult:
    """Tune the connection weights of ``genome`` on ``task`` (give it one rollout per seed).

    ``bar``: a progress bar (``wann.progress.bar``) over CMA-ES generations (at most ``generations``:
    the stopping rule usually ends sooner) or Adam epochs.
    ``train_task``: the same task with more rollouts per seed (``wann.tasks.with_rollouts``),
    so that a candidate's training episodes run in one call; default ``task``.
    ``on_check(generation, weights)``: called with the CMA-ES mean (Net edge order) at each
    check, for monitoring (``bench/tune_budget.py`` scores it on test seeds); -1 is the start.
    """
    settings = settings or TuneSettings()
    say = progress or (lambda text: None)
    tick = bar.update if bar is not None else (lambda n=1: None)
    if compile_genome(topology(genome)).cw.size == 0:
        raise UserError("the champion has no connections that reach an output: nothing to tune")
    rng = seed_streams(seed)
    t0 = time.perf_counter()
    with Evaluators(make) as evs:
        tune_seeds = draw_seeds(rng["tune"], settings.tune_trials)
        sweep = shared_sweep(evs, task, genome, weight_grid(settings.grid), tune_seeds)
        start_w = sweep.best
        base = compile_genome(topology(genome))
        x0 = base.cw * start_w
        say(f"start: best shared weight w = {start_w:+.2f} (sweep mean {sweep.mean.max():.4g}), "
            f"{x0.size} connection weights")
        if isinstance(task, TrainingData):
            if bar is not None:
                bar.reset(total=settings.epochs)
            method, x, history = "adam", *_adam(base, x0, task, settings, rng["train"], say, tick)
        else:
            if bar is not None:
                bar.reset(total=settings.generations)
            method, x, history = "cma-es", *_cma(base, x0, evs, train_task or task, settings, rng, say, task,
                                                 on_check or (lambda generation, weights: None), tick)
        val_seeds = draw_seeds(rng["validation"], settings.validation_trials)
        start_v, tuned_v = evs.trial_scores(task, [_with_cw(base, x0), _with_cw(base, x)] * val_seeds.size,
                                            np.repeat(val_seeds, 2))[:, 0].reshape(-1, 2).mean(axis=0)
    kept = "tuned" if tuned_v > start_v else "start"  # the result must beat the start
    final = x if kept == "tuned" else x0
    say(f"validation on {val_seeds.size} seeds: start {start_v:.4g}, tuned {tuned_v:.4g} -> keep {kept}")
    tuned_genome = with_edge_weights(topology(genome), final, start_w)
    validation = {"start": float(start_v), "tuned": float(tuned_v), "kept": kept, "n_seeds": int(val_seeds.size)}
    return TuneResult(tuned_genome, method, start_w, validation, history, time.perf_counter() - t0)


def _cma(base: Net, x0: np.ndarray, evs: Evaluators, task: Task, s: TuneSettings, rng: dict, say,
         check_task: Task, on_check: Callable[[int, np.ndarray], None], tick) -> tuple[np.ndarray, list]:
    """CMA-ES from ``x0`` (module docstring); returns (the best checked mean, history rows)."""
    import cma

    normal = rng["cma"]
    opts = {"randn": lambda lam, n: normal.standard_normal((lam, n)), "seed": np.nan, "verbose": -9,
            "tolflatfitness": s.generations + 1}
    if s.popsize:
        opts["popsize"] = s.popsize
    es = cma.CMAEvolutionStrategy(x0, s.sigma, opts)
    check_seeds = draw_seeds(rng["check"], s.check_trials)

    def check(x: np.ndarray) -> float:
        return float(evs.trial_scores(check_task, [_with_cw(base, x)] * check_seeds.size, check_seeds)[:, 0].mean())

    best_x, best = x0.copy(), check(x0)
    on_check(-1, x0)
    history, stale, improved = [{"generation": -1, "check": best}], 0, False
    for gen in range(s.generations):
        t0 = time.perf_counter()
        cands = es.ask()
        seeds = draw_seeds(rng["train"], -(-s.seeds_per_generation // task.n_rollouts))  # same for all (CRN)
        nets = [_with_cw(base, c) for c in cands for _ in seeds]
        scores = evs.trial_scores(task, nets, np.tile(seeds, len(cands)))[:, 0].reshape(len(cands), -1).mean(axis=1)
        es.tell(cands, (-scores).tolist())
        row = {"generation": gen, "mean": float(scores.mean()), "best": float(scores.max()),
               "sigma": float(es.sigma)}
        if (gen + 1) % s.check_every == 0 or gen == s.generations - 1:
            mean_x = np.asarray(es.mean, dtype=np.float64).copy()
            row["check"] = check(mean_x)
            on_check(gen, mean_x)
            if row["check"] > best:
                best_x, best, stale, improved = mean_x, row["check"], 0, True
            elif improved:  # a run that has not yet beaten its start is never stopped early
                stale += 1
            say(f"gen {gen + 1:4d}/{s.generations}  candidates mean {scores.mean():9.4g}  best {scores.max():9.4g}  "
                f"sigma {es.sigma:.3g}  check {row['check']:9.4g} (best {best:.4g})")
        row["seconds"] = round(time.perf_counter() - t0, 4)
        history.append(row)
        tick(1)
        if s.patience and stale >= s.patience:
            say(f"stopped at generation {gen + 1}: {stale} checks without improvement")
            break
    return best_x, history


def _adam(base: Net, x0: np.ndarray, task, s: TuneSettings, rng: np.random.Generator, say,
          tick) -> tuple[np.ndarray, list]:
    """Adam (``torch.optim``) on the cross-entropy of the training data through the torch export."""
    import torch

    from wann.export import WannModule

    x, y = task.training_data()
    x_t = torch.tensor(np.asarray(x, dtype=np.float64))
    y_t = torch.tensor(np.asarray(y, dtype=np.int64))
    module = WannModule(_with_cw(base, x0), 1.0)
    optimiser = torch.optim.Adam([module.weight], lr=s.lr)  # the first Adam loads torch._dynamo: ~1.5 s, once
    history = []
    for epoch in range(s.epochs):
        t0 = time.perf_counter()
        order = torch.tensor(rng.permutation(y_t.shape[0]))
        total = 0.0
        for k in range(0, order.numel(), s.batch_size):
            idx = order[k : k + s.batch_size]
            loss = torch.nn.functional.cross_entropy(module(x_t[idx]), y_t[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * idx.numel()
        history.append({"epoch": epoch, "loss": total / order.numel(), "seconds": round(time.perf_counter() - t0, 4)})
        tick(1)
        say(f"epoch {epoch + 1:3d}/{s.epochs}  training cross-entropy {history[-1]['loss']:.4f}")
    return module.edge_weights(), history


@dataclass
class TestReport:
    """A tuned genome on fresh test seeds (the ``wann eval`` test seeds of the same ``--seed``), never seen in tuning."""

    seeds: np.ndarray  # [trials]
    start: np.ndarray  # [trials] scores of the start: the best shared weight on every connection
    tuned: np.ndarray  # [trials] scores of the tuned weights
    fitness: float  # the champion-file figures of the tuned genome with the task's own rollouts
    per_weight: list[float]

    def to_dict(self) -> dict:
        return {"trials": int(self.seeds.size), "start": float(self.start.mean()), "start_std": float(self.start.std()),
                "tuned": float(self.tuned.mean()), "tuned_std": float(self.tuned.std())}


def test_report(genome: Genome, result: TuneResult, trial_task: Task, full_task: Task, make: MakeEvaluator,
                trials: int, seed: int) -> TestReport:
    """Score the start and the result of ``tune(genome, ...)`` on ``trials`` fresh test seeds.

    ``trial_task``: one rollout per seed; ``full_task``: the task's own rollouts (champion-file figures).
    """
    from wann import champion as champ

    seeds = draw_seeds(seed_streams(seed)["test"], trials)
    start = compile_genome(topology(genome))
    tuned_net = compile_genome(result.genome)
    with Evaluators(make) as evs:
        start_scores = evs.trial_scores(trial_task, [start] * trials, seeds, [result.start_weight])[:, 0]
        tuned_scores = evs.trial_scores(trial_task, [tuned_net] * trials, seeds)[:, 0]
        full = evs.get(full_task, [1.0]).evaluate([tuned_net] * trials, seeds.tolist())
    fitness, per_weight = champ.rescore(full)
    return TestReport(seeds, start_scores, tuned_scores, fitness, per_weight)
