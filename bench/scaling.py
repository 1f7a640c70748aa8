"""Scaling beyond one machine: the paper's swing-up run projected to 32 and 96 cores from measured parts.

1. The paper's run (``configs/swingup.toml``: 192 individuals x 1024 generations, seed 0), serially, with the
   evaluation timed apart from the rest of each generation: per generation, ``E`` = evaluation seconds (the
   work Ray spreads over workers) and ``D`` = everything else (breeding, compiling, ranking, the champion
   check, the log and checkpoint files: the driver's serial part as built).
2. Ray's cost per call ``a`` and per batch ``o``: a population of 192 one-edge networks (almost no
   evaluation) scored on Ray cut into 2, 8 and 24 batches, the time beyond the serial evaluation divided over
   the workers fitted as a + o k; (a) two local workers, (b) a two-node cluster on loopback
   (``ray.cluster_utils.Cluster``: a head and a second node, one CPU each; actors land on both nodes).
3. The model: a generation on n workers takes ``D + E / min(n, k) + a + o * k``, k = k(n) the evaluator's
   batch count (``BATCHES_PER_WORKER`` per worker, at least ``MIN_BATCH`` nets each: 2 batches at n = 2, 48 from
   n = 48 on, so no more than 48 workers are ever busy with a population of 192).
   Assumptions: the driver's work does not overlap evaluation (true as built, but for the breeding, which
   overlaps the champion check); evaluation divides evenly over the workers (batches are strided over the
   population; the largest batch bounds it from below, which the model ignores); the driver pays o per batch
   one after another; a and o on loopback (a real network adds its latency); every core as fast as this
   one. The model's n = 2 is checked against a measured Ray run of the same search (``--check-ray``).

    python bench/scaling.py [--generations N] [--check-ray]
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
from unittest import mock

import numpy as np
import ray

sys.path.insert(0, os.path.dirname(__file__))
from common import grown_genome, print_table, result_line  # noqa: E402

from wann.config import load_config  # noqa: E402
from wann.evaluation import SerialEvaluator  # noqa: E402
from wann.network import compile_genome  # noqa: E402
from wann import ray_evaluation  # noqa: E402
from wann.ray_evaluation import RayEvaluator, _batches  # noqa: E402
from wann.run import Run  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "swingup.toml"
CORES = (1, 2, 8, 32, 96)


class TimedEvaluator:
    """Wraps an evaluator; keeps the seconds of each ``evaluate`` call (a submission: its submit and result)."""

    def __init__(self, inner) -> None:
        self.inner, self.seconds = inner, []

    def evaluate(self, nets, seeds, stop=None):
        return self.submit(nets, seeds)(stop)

    def submit(self, nets, seeds):
        t0 = time.perf_counter()
        result = self.inner.submit(nets, seeds)
        spent = time.perf_counter() - t0

        def timed(stop=None):
            t1 = time.perf_counter()
            out = result(stop)
            self.seconds.append(spent + time.perf_counter() - t1)
            return out
        return timed

    def close(self) -> None:
        self.inner.close()


def run_parts(generations: int, evaluator_factory) -> tuple[np.ndarray, np.ndarray]:
    """(E, D) per generation, seconds: evaluation calls, and the rest of ``Run.step``."""
    cfg = load_config(CONFIG, [f"run.generations={generations}"])
    with tempfile.TemporaryDirectory() as tmp:
        run = Run.create(cfg, Path(tmp) / "run", {})
        ev = TimedEvaluator(evaluator_factory(run))
        e, d = [], []
        for _ in range(generations):
            n0 = len(ev.seconds)
            t0 = time.perf_counter()
            run.step(ev)
            total = time.perf_counter() - t0
            spent = sum(ev.seconds[n0:])
            e.append(spent)
            d.append(total - spent)
        ev.close()
    return np.array(e), np.array(d)


def call_costs(evaluator: RayEvaluator, workers: int, repeats: int = 9) -> tuple[float, float]:
    """(a, o): Ray's seconds per call and per batch, beyond the evaluation spread evenly over ``workers``,
    fitted (least squares, t = a + o k) over calls on 192 one-edge networks cut into 1, 4 and 12 batches per
    worker (the evaluator cuts one per worker; ``BATCHES_PER_WORKER`` is patched for the fit)."""
    nets = [compile_genome(grown_genome(5, 1, 0, 1, s)) for s in range(192)]
    seeds = [1] * len(nets)
    serial = SerialEvaluator(evaluator.task, evaluator.weights)
    serial.evaluate(nets, seeds)
    t_serial = statistics.median(_timed(lambda: serial.evaluate(nets, seeds)) for _ in range(repeats))
    ks, beyond = [], []
    for per_worker in (1, 4, 12):
        with mock.patch.object(ray_evaluation, "BATCHES_PER_WORKER", per_worker):
            evaluator.evaluate(nets, seeds)
            t_ray = statistics.median(_timed(lambda: evaluator.evaluate(nets, seeds)) for _ in range(repeats))
            ks.append(len(_batches(len(nets), workers)))
        beyond.append(t_ray - t_serial / workers)
    o, a = np.polyfit(ks, beyond, 1)
    return max(0.0, float(a)), max(0.0, float(o))


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generations", type=int, default=1024, help="generations of the paper's run (default 1024)")
    ap.add_argument("--check-ray", action="store_true", help="also run the search on 2 local Ray workers")
    args = ap.parse_args()

    e, d = run_parts(args.generations, lambda run: SerialEvaluator(run.task, run.weights))
    print(f"paper's run, {args.generations} generations, serial: evaluation {e.sum():.1f} s, rest of the "
          f"generation (driver) {d.sum():.1f} s ({100 * d.sum() / (e.sum() + d.sum()):.1f} %)")

    from wann.tasks.swingup import SwingUpOptions, SwingUpTask
    task, weights = SwingUpTask(SwingUpOptions(rollouts=3)), [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
    ev = RayEvaluator(task, weights, workers=2)
    a_local, o_local = call_costs(ev, 2)
    ev.close()
    ray.shutdown()

    from ray.cluster_utils import Cluster
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, logging_level=logging.ERROR)
    nodes = len([n for n in ray.nodes() if n["Alive"]])
    ev = RayEvaluator(task, weights, workers=2)
    a_nodes, o_nodes = call_costs(ev, 2)
    ev.close()
    ray.shutdown()
    cluster.shutdown()
    print(f"Ray per call + per batch: {1e3 * a_local:.2f} ms + {1e3 * o_local:.3f} ms on 2 local workers, "
          f"{1e3 * a_nodes:.2f} ms + {1e3 * o_nodes:.3f} ms on {nodes} nodes (loopback)")

    pop = 192
    rows = []
    for n in CORES:
        k = len(_batches(pop, n))
        ray_s = 0.0 if n == 1 else (a_nodes + o_nodes * k) * args.generations
        total = d.sum() + e.sum() / min(n, k) + ray_s  # k batches keep at most k workers busy
        rows.append([n, k if n > 1 else "-", total, total / 60, (e.sum() + d.sum()) / total])
    print_table(["cores", "batches/gen", "projected s", "min", "speed-up over serial"], rows)
    result = {"eval_s": e.sum(), "driver_s": d.sum(), "call_ms_local": 1e3 * a_local, "batch_ms_local": 1e3 * o_local,
              "call_ms_nodes": 1e3 * a_nodes, "batch_ms_nodes": 1e3 * o_nodes, "projected_s_32": rows[3][2],
              "projected_s_96": rows[4][2]}
    if args.check_ray:
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
        e2, d2 = run_parts(args.generations, lambda run: RayEvaluator(run.task, run.weights, workers=2))
        ray.shutdown()
        model = d.sum() + e.sum() / 2 + (a_local + o_local * len(_batches(pop, 2))) * args.generations
        print(f"check, 2 local Ray workers: measured {e2.sum() + d2.sum():.1f} s, the model says {model:.1f} s")
        result["measured_ray2_s"], result["model_ray2_s"] = e2.sum() + d2.sum(), model
    print(result_line(**result))


if __name__ == "__main__":
    main()
