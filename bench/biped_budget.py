"""The paper's BipedalWalker budget as wall time, from the measured cost of one evaluation.

An evaluation is one individual in the reference search setting (configs/biped.toml: 6 shared
weights x 4 rollouts = 24 episodes of at most 401 steps, no fall penalty). Its CPU time (one
process, one core, median of ``--repeats``) is measured for two kinds of network:

- "paper's champion": the biped network released with the paper (tests/fixtures/reference/biped.out,
  210 connections), a walker whose episodes mostly run to the step limit, as late generations' do;
- "generation 0": random minimal genomes (configs/biped.toml's p_init), whose walkers fall early.

The third row scales the champion's steps per second to every episode running 401 steps (the most an
evaluation can cost). The paper's budget is 480 individuals x 2048 generations. Wall time on N cores is
budget x seconds per evaluation / N: ideal scaling, a lower bound (Ray's overhead and the driver's
serial share come on top; bench/parallel.py measures them on 2 workers).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import cpu_model, print_table, result_line  # noqa: E402

from wann.config import load_config  # noqa: E402
from wann.genome import Genome  # noqa: E402
from wann.network import compile_genome  # noqa: E402
from wann.reference_files import read_network  # noqa: E402
from wann.tasks import make_task  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = 480 * 2048  # evaluations (pop x generations)
CHAMPION = "paper's champion (210 conns)"


def cpu_per_evaluation(task, nets, weights, repeats: int) -> tuple[float, float]:
    """(median CPU seconds per evaluation, mean env steps per evaluation)."""
    times, steps = [], []
    for k in range(repeats):
        net = nets[k % len(nets)]
        t0 = time.process_time()
        _, s = task.rollouts(net, weights, seed=1000 + k)
        times.append(time.process_time() - t0)
        steps.append(int(s.sum()))
    return statistics.median(times), float(np.mean(steps))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 repeats")
    a = ap.parse_args()
    repeats = 2 if a.quick else a.repeats
    cfg = load_config(os.path.join(REPO, "configs", "biped.toml"))
    task = make_task(cfg.task)
    weights = np.asarray(cfg.search.weights)
    rng = np.random.default_rng(0)
    walker = read_network(os.path.join(REPO, "tests", "fixtures", "reference", "biped.out"), task.n_inputs,
                          task.n_outputs)
    random0 = [Genome.minimal(task.n_inputs, task.n_outputs, cfg.search.p_init, rng) for _ in range(repeats)]
    rows, per = [], {}
    for label, nets in ((CHAMPION, [compile_genome(walker)]),
                        ("generation 0 (random minimal)", [compile_genome(g) for g in random0])):
        sec, steps = cpu_per_evaluation(task, nets, weights, repeats)
        per[label] = sec
        hours = PAPER * sec / 3600
        rows.append([label, f"{steps:.0f}", f"{sec:.2f}", f"{steps / sec:.0f}", f"{hours:.0f}",
                     f"{hours / 32:.1f}", f"{hours / 96:.1f}"])
    cap = task.n_rollouts * weights.size * task.max_steps  # every episode to the step limit
    sec = cap / (float(rows[0][1]) / per[CHAMPION])
    hours = PAPER * sec / 3600
    rows.append(["upper bound: every episode 401 steps", f"{cap}", f"{sec:.2f}", rows[0][3], f"{hours:.0f}",
                 f"{hours / 32:.1f}", f"{hours / 96:.1f}"])
    print(f"BipedalWalker-v3, {task.n_rollouts} rollouts x {weights.size} weights per evaluation, "
          f"at most {task.max_steps} steps; paper budget {PAPER:,} evaluations; CPU model: {cpu_model()[0]}")
    print_table(["network", "env steps / evaluation", "CPU s / evaluation", "steps / s", "core-hours (paper)",
                 "wall h, 32 cores (ideal)", "wall h, 96 cores (ideal)"], rows)
    full = per[CHAMPION]
    print(result_line(seconds_champion=full, core_hours=PAPER * full / 3600,
                      wall_h_32=PAPER * full / 3600 / 32, wall_h_96=PAPER * full / 3600 / 96))


if __name__ == "__main__":
    main()
