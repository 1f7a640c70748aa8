"""The paper's swing-up run phase by phase: where the wall time of its generations goes, serially and on Ray.

The run is ``configs/swingup.toml`` (192 individuals x 1024 generations, seed 0) driven as ``wann evolve`` drives
it (``Run.run``: the folder's reporters, then a checkpoint every ``checkpoint_every`` generations), with each
phase's wall time summed over the generations:

- compile: ``compile_genome`` of the population;
- evaluate: the population's evaluation (the evaluator's first call of a generation), and the champion check
  (its further calls: the generation's best re-scored on fresh seeds; the time the run waits for it, beyond the
  breeding it overlaps on Ray);
- rank: NSGA-II fronts and crowding (``nsga_rank``); breed: the rest of ``Search.tell`` (culling, elites,
  tournaments, mutation);
- log + champion file: the run's reporters; checkpoint: ``Run.checkpoint``; other: the rest of ``Run.run``.

On Ray, "Ray's share" of the evaluation is its wall time minus the serial run's evaluation time divided by the
workers (evaluation perfectly spread, no overhead): per-task costs, shipping, idle workers at the end of a
generation. Ray's start-up and the first JIT compilations are excluded: the pool starts, and the initial
population is evaluated once (serially and on every worker), before the clock. Both runs end with the same
champion (asserted): the phases are of the same search.

    python bench/phases.py [--generations N] [--workers 2]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from common import cpu_model, print_table  # noqa: E402

import wann.run as run_module  # noqa: E402
import wann.search as search_module  # noqa: E402
from wann.config import load_config  # noqa: E402
from wann.evaluation import SerialEvaluator  # noqa: E402
from wann.run import Run  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "swingup.toml"
PHASES = ("compile", "evaluate population", "champion check", "rank", "breed", "log + champion file",
          "checkpoint", "other")


class Clock:
    """Seconds per phase, summed; ``wrap`` times a callable into a phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, fn, phase):
        def timed(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds[phase if isinstance(phase, str) else phase()] += time.perf_counter() - t0
        return timed


class PhasedEvaluator:
    """An evaluator whose first call per generation is the population, further calls the champion check."""

    def __init__(self, inner, clock: Clock) -> None:
        self.inner, self.clock, self.calls, self.generation = inner, clock, 0, -1

    def evaluate(self, nets, seeds, stop=None):
        return self.submit(nets, seeds)(stop)

    def submit(self, nets, seeds):
        """The inner submission, its submit and result timed (the breeding it overlaps is not)."""
        phase = "evaluate population" if self.calls == 0 else "champion check"
        self.calls += 1
        result = self.clock.wrap(self.inner.submit, phase)(nets, seeds)
        return self.clock.wrap(result, phase)


def phases(generations: int, make_evaluator) -> tuple[dict[str, float], float, float]:
    """(seconds per phase, total wall seconds, champion fitness) of the paper's run for ``generations``."""
    cfg = load_config(CONFIG, [f"run.generations={generations}"])
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        run = Run.create(cfg, Path(tmp) / "run", {})
        inner = make_evaluator(run)
        warm = [run_module.compile_genome(g) for g in run.search.ask()]
        inner.evaluate(warm, [0] * len(warm))  # JIT compilation (here and on the workers) before the clock
        ev = PhasedEvaluator(inner, clock)
        ask = run.search.ask

        def ask_and_reset():
            ev.calls = 0  # a new generation starts with the population's evaluation
            return ask()
        run.search.ask = ask_and_reset
        run.search.tell = clock.wrap(run.search.tell, "breed")
        nsga_rank = search_module.nsga_rank
        search_module.nsga_rank = clock.wrap(nsga_rank, "rank")
        run.checkpoint = clock.wrap(run.checkpoint, "checkpoint")
        for r in run.reporters:
            r.generation = clock.wrap(r.generation, "log + champion file")
        compile_genome = run_module.compile_genome
        run_module.compile_genome = clock.wrap(compile_genome, "compile")
        try:
            t0 = time.perf_counter()
            run.run(ev)
            total = time.perf_counter() - t0
        finally:
            run_module.compile_genome = compile_genome
            search_module.nsga_rank = nsga_rank
            inner.close()
        clock.seconds["breed"] -= clock.seconds["rank"]  # tell = rank + breed
        clock.seconds["other"] = total - sum(v for k, v in clock.seconds.items() if k != "other")
        return dict(clock.seconds), total, run.champion.fitness


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generations", type=int, default=1024, help="generations of the paper's run (default 1024)")
    ap.add_argument("--workers", type=int, default=2, help="Ray workers (default 2)")
    args = ap.parse_args()
    print(f"CPU: {cpu_model()[0]}; paper's run, {args.generations} generations")

    serial, t_serial, f_serial = phases(args.generations, lambda run: SerialEvaluator(run.task, run.weights))

    import ray

    from wann.ray_evaluation import RayEvaluator
    ray.init(address="local", num_cpus=args.workers, include_dashboard=False, logging_level=logging.ERROR)
    on_ray, t_ray, f_ray = phases(args.generations, lambda run: RayEvaluator(run.task, run.weights,
                                                                            workers=args.workers))
    ray.shutdown()
    assert f_serial == f_ray, (f_serial, f_ray)

    rows = [[p, serial.get(p, 0.0), 100 * serial.get(p, 0.0) / t_serial, on_ray.get(p, 0.0),
             100 * on_ray.get(p, 0.0) / t_ray] for p in PHASES]
    rows.append(["total", t_serial, 100.0, t_ray, 100.0])
    print_table(["phase", "serial s", "%", f"Ray {args.workers} workers s", "%"], rows)
    evaluation = serial["evaluate population"] + serial["champion check"]
    ray_eval = on_ray["evaluate population"] + on_ray["champion check"]
    share = ray_eval - evaluation / args.workers
    print(f"evaluation: serial {evaluation:.1f} s, Ray {ray_eval:.1f} s = {evaluation / args.workers:.1f} s "
          f"(serial / {args.workers}) + {share:.1f} s Ray's share ({100 * share / t_ray:.1f} % of the Ray run); "
          f"driver (all but evaluation) {t_ray - ray_eval:.1f} s; same champion, fitness {f_ray:.2f}")


if __name__ == "__main__":
    main()
