"""Ray-parallel evaluation: seconds per generation, serial against Ray with 1 and 2 workers.

Swing-up, pop 192, 6 shared weights x 3 rollouts per individual.

1. Fixed populations of 192 different random grown genomes at two sizes:
   champion-size (8 hidden nodes, 20 connections) and grown (24 hidden, 50
   connections); a generation is one ``evaluate`` call on the population.
2. The real search (``configs/swingup.toml`` settings): three runs with the same
   seed, one per evaluator, stepped in lockstep; a generation is ``Run.step``
   (breed, compile, evaluate, champion check, rank). The runs stay identical, so
   they time the same work; the bench checks that their logs agree.

The evaluators are timed in turn within each repeat/generation, so machine load
drifts hit them alike. Ray start-up (``ray.init`` plus the actors' first readiness:
process start, imports, numba cache load) is timed once, separately.

Wall-time speed-ups need an otherwise idle machine. So the bench also counts CPU
seconds (Linux /proc) of the driver, of each worker and of Ray's own processes
(raylet, GCS, agents). "Ray CPU overhead" is the CPU a Ray generation burns beyond
the serial one; "projected" is the wall time the CPU counts imply on 2 idle cores,
taking the pessimistic view that driver and Ray daemons never overlap the busiest
worker: projected = driver + busiest worker + daemons (serial: its own CPU time).

    python bench/parallel.py [--quick]
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import ray

sys.path.insert(0, os.path.dirname(__file__))
from common import print_table, result_line  # noqa: E402
from common import grown_genome  # noqa: E402
from swingup import WEIGHTS  # noqa: E402

from wann.config import load_config  # noqa: E402
from wann.evaluation import SerialEvaluator  # noqa: E402
from wann.network import compile_genome  # noqa: E402
from wann.ray_evaluation import RayEvaluator  # noqa: E402
from wann.run import TIME_KEYS, Run  # noqa: E402
from wann.tasks.swingup import SwingUpOptions, SwingUpTask  # noqa: E402

POP = 192
SEED = 12345
TICK = os.sysconf("SC_CLK_TCK")


def cpu_times() -> dict[int, float]:
    """CPU seconds (user + system) of this process and all its descendants, by pid."""
    parent, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / TICK
    mine, grew = {os.getpid()}, True
    while grew:
        new = {p for p, pp in parent.items() if pp in mine} - mine
        mine |= new
        grew = bool(new)
    return {p: cpu[p] for p in mine}


class Meter:
    """Wall seconds and CPU seconds (driver, each worker, Ray daemons) of one evaluator's timed calls."""

    def __init__(self, workers: list[int], all_workers: set[int]) -> None:
        self.workers, self.all_workers = workers, all_workers
        self.wall: list[float] = []
        self.driver = self.daemons = 0.0
        self.per_worker = {p: 0.0 for p in workers}

    def __call__(self, fn: Callable[[], object]) -> None:
        before = cpu_times()
        t0 = time.perf_counter()
        fn()
        self.wall.append(time.perf_counter() - t0)
        for pid, t in cpu_times().items():
            spent = t - before.get(pid, 0.0)
            if pid == os.getpid():
                self.driver += spent
            elif pid in self.per_worker:
                self.per_worker[pid] += spent
            elif pid not in self.all_workers:
                self.daemons += spent

    def cpu_row(self) -> list[float]:
        """Per call: driver, workers (sum), busiest worker, daemons, projected idle-machine seconds."""
        n = len(self.wall)
        busiest = max(self.per_worker.values(), default=0.0)
        return [self.driver / n, sum(self.per_worker.values()) / n, busiest / n, self.daemons / n,
                (self.driver + busiest + self.daemons) / n]


def population(n_hidden: int, n_conns: int, size: int) -> list:
    return [compile_genome(grown_genome(5, 1, n_hidden, n_conns, 1000 * n_hidden + s)) for s in range(size)]


def meters(evaluators: dict) -> dict[str, Meter]:
    pids = {k: (ev.pids() if isinstance(ev, RayEvaluator) else []) for k, ev in evaluators.items()}
    everyone = {p for v in pids.values() for p in v}
    return {k: Meter(pids[k], everyone) for k in evaluators}


def fixed_population(evaluators: dict, nets: list, repeats: int) -> dict[str, Meter]:
    seeds = [SEED] * len(nets)
    reference = evaluators["serial"].evaluate(nets, seeds)
    for name, ev in evaluators.items():  # warm-up, and the scores must agree
        assert np.array_equal(ev.evaluate(nets, seeds), reference), name
    m = meters(evaluators)
    for _ in range(repeats):
        for name, ev in evaluators.items():
            m[name](lambda: ev.evaluate(nets, seeds))
    return m


def lockstep_runs(evaluators: dict, generations: int) -> dict[str, Meter]:
    """Identical swing-up runs, one per evaluator, stepped in turn."""
    cfg_path = Path(__file__).resolve().parents[1] / "configs" / "swingup.toml"
    m = meters(evaluators)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {k: Run.create(load_config(cfg_path), Path(tmp) / k.replace(" ", ""), {}) for k in evaluators}
        for _ in range(generations):
            rows = {}
            for name, ev in evaluators.items():
                m[name](lambda: rows.__setitem__(name, runs[name].step(ev)))
            same = [{k: v for k, v in r.row.items() if k not in TIME_KEYS} for r in rows.values()]
            assert all(r == same[0] for r in same), "runs diverged"
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and generations (under a minute)")
    args = ap.parse_args()
    repeats, generations = (3, 10) if args.quick else (7, 40)
    load_before = os.getloadavg()[0]
    task = SwingUpTask(SwingUpOptions(rollouts=3))
    cases = [("champion-size", population(8, 20, POP)), ("grown 24/50", population(24, 50, POP))]

    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=3, include_dashboard=False, object_store_memory=128 * 2**20,
             logging_level=logging.WARNING)  # 3 logical CPUs: both pools live side by side, only one works at a time
    t_init = time.perf_counter() - t0
    t0 = time.perf_counter()
    ray2 = RayEvaluator(task, WEIGHTS, workers=2)
    t_actors = time.perf_counter() - t0
    ray1 = RayEvaluator(task, WEIGHTS, workers=1)
    evaluators = {"serial": SerialEvaluator(task, WEIGHTS), "ray 1": ray1, "ray 2": ray2}
    results: dict[str, dict[str, Meter]] = {}
    try:
        for label, nets in cases:
            results[label] = fixed_population(evaluators, nets, repeats)
        results[f"search, {generations} gens"] = lockstep_runs(evaluators, generations)
    finally:
        ray1.close()
        ray2.close()
        ray.shutdown()
    load_after = os.getloadavg()[0]

    wall_rows, cpu_rows, out = [], [], {}
    for label, m in results.items():
        # fixed populations: median of repeats; the search: mean over generations (they differ in cost)
        agg = statistics.median if not label.startswith("search") else statistics.fmean
        s, r1, r2 = (agg(m[k].wall) for k in ("serial", "ray 1", "ray 2"))
        wall_rows.append([label, s, r1, r2, s / r1, s / r2, 100 * (r1 - s) / r1])
        cpu = {k: m[k].cpu_row() for k in m}
        serial_cpu = cpu["serial"][0]
        for k in ("ray 1", "ray 2"):
            total = cpu[k][0] + cpu[k][1] + cpu[k][3]
            cpu_rows.append([label, k, serial_cpu, *cpu[k][:4], 100 * (total - serial_cpu) / serial_cpu,
                             serial_cpu / cpu[k][4]])
        key = label.split()[0].split("-")[0].rstrip(",")
        ray2_total = cpu["ray 2"][0] + cpu["ray 2"][1] + cpu["ray 2"][3]
        out[f"speedup_2_workers_{key}"] = s / r2
        out[f"projected_speedup_2_workers_{key}"] = serial_cpu / cpu["ray 2"][4]
        out[f"cpu_overhead_pct_{key}"] = 100 * (ray2_total - serial_cpu) / serial_cpu
        out[f"s_per_gen_serial_{key}"] = s

    print(f"swing-up, pop {POP}, 6 weights x 3 rollouts. Wall seconds per generation "
          f"(fixed populations: median of {repeats} evaluate calls; search: mean of {generations} Run.step)")
    print_table(["population", "serial", "ray 1", "ray 2", "x ray 1", "x ray 2", "ray1 overhead %"], wall_rows)
    print("\nCPU seconds per generation; projected = driver + busiest worker + daemons (2 idle cores)")
    print_table(["population", "ray", "serial cpu", "driver", "workers", "busiest", "daemons", "overhead %",
                 "projected x"], cpu_rows)
    print(f"\nRay start-up: ray.init {t_init:.2f} s + 2 actors ready {t_actors:.2f} s = {t_init + t_actors:.2f} s")
    print(f"load average (1 min) before {load_before:.2f}, after {load_after:.2f}, on {os.cpu_count()} cores")
    print(result_line(speedup_2_workers=out["speedup_2_workers_grown"], **out, startup_s=t_init + t_actors,
                      load=max(load_before, load_after)))


if __name__ == "__main__":
    main()
