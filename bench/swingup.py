"""Swing-up throughput: the compiled rollout kernel against a plain numpy/Python loop.

Network: a random grown genome with ~30 nodes and ~50 enabled connections, mixed
activations. One individual = 6 shared weights x 3 rollouts. The baseline is the
reference's style: a numpy per-node forward over a weight matrix and the
environment stepped in Python, measured in the same run.

    python bench/swingup.py [--quick]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import grown_genome, median_time, print_table, result_line  # noqa: E402

from envs import swingup as env  # noqa: E402
from wann.activations import apply as apply_act  # noqa: E402
from wann.genome import Genome  # noqa: E402
from wann.network import compile_genome  # noqa: E402
from wann.tasks.swingup import SwingUpOptions, SwingUpTask  # noqa: E402

WEIGHTS = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])


def reference_style_steps(genome: Genome, w: float, state: np.ndarray, n_steps: int) -> int:
    """The reference's loop: weight matrix, numpy per-node forward, Python env step."""
    order = genome.topological_order()
    ids = genome.node_id[order]
    pos = {int(n): i for i, n in enumerate(ids)}
    n = ids.size
    wmat = np.zeros((n, n))
    for s, d, e in zip(genome.conn_src, genome.conn_dst, genome.conn_enabled):
        if e:
            wmat[pos[int(s)], pos[int(d)]] = w
    acts = genome.node_act[order]
    n_in = genome.n_inputs
    out = pos[int(genome.node_id[genome.node_kind == 2][0])]
    x, x_dot, th, th_dot = state
    for t in range(n_steps):
        node_act = np.zeros((1, n))
        node_act[:, 0] = 1.0
        node_act[:, 1 : n_in + 1] = [x, x_dot, math.cos(th), math.sin(th), th_dot]
        for i in range(n_in + 1, n):
            raw = np.dot(node_act, wmat[:, i]).squeeze()
            node_act[:, i] = apply_act(int(acts[i]), raw)
        a = float(np.clip(node_act[0, out], -1.0, 1.0)) * env.FORCE_MAG
        s, c = math.sin(th), math.cos(th)
        xdd = (-2 * env.M_P_L * th_dot**2 * s + 3 * env.M_POLE * env.G * s * c + 4 * a - 4 * env.FRICTION * x_dot) / (
            4 * env.TOTAL_M - 3 * env.M_POLE * c**2)
        tdd = (-3 * env.M_P_L * th_dot**2 * s * c + 6 * env.TOTAL_M * env.G * s + 6 * (a - env.FRICTION * x_dot) * c) / (
            4 * env.LENGTH * env.TOTAL_M - 3 * env.M_P_L * c**2)
        x, th = x + x_dot * env.DT, th + th_dot * env.DT
        x_dot, th_dot = x_dot + xdd * env.DT, th_dot + tdd * env.DT
        _ = ((math.cos(th) + 1) / 2) * math.cos(x / env.X_THRESHOLD * math.pi / 2)
        if abs(x) > env.X_THRESHOLD:
            x = 0.0  # keep stepping: the baseline is timed per step
    return n_steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    ap.add_argument("--champion", help="also time an evolved champion (champion.json or run folder)")
    args = ap.parse_args()
    repeats = 3 if args.quick else 7
    task = SwingUpTask(SwingUpOptions(rollouts=3))
    rows, result = [], {}
    cases = [("champion-size", grown_genome(5, 1, 8, 20, 1)), ("~30 nodes/50 conns", grown_genome(5, 1, 24, 50, 2))]
    if args.champion:
        from wann.cli import load_champion_path

        cases.append(("evolved champion", load_champion_path(args.champion)[0].genome))
    for label, g in cases:
        net = compile_genome(g)
        _, steps = task.rollouts(net, WEIGHTS, 7)
        n_steps = int(steps.sum())
        t_ind = median_time(lambda: task.rollouts(net, WEIGHTS, 7), repeats, time.process_time)
        base_steps = 300 if args.quick else 1000
        state = env.initial_state(7)
        t_base = median_time(lambda: reference_style_steps(g, 1.0, state, base_steps), max(1, repeats // 2),
                             time.process_time)
        sps, base_sps = n_steps / t_ind, base_steps / t_base
        rows.append([label, g.node_id.size, g.n_connections, n_steps, t_ind * 1e3, sps / 1e6, base_sps, sps / base_sps])
        if label.startswith("~30"):
            result = {"steps_per_s": sps, "speedup_vs_numpy": sps / base_sps, "ms_per_individual": t_ind * 1e3}
    print(f"swing-up rollouts, 6 weights x 3 rollouts per individual; median CPU time of {repeats} runs, one core")
    print_table(["network", "nodes", "conns", "steps/ind", "ms/ind", "Msteps/s", "numpy steps/s", "speed-up"], rows)
    print(result_line(**result))


if __name__ == "__main__":
    main()
