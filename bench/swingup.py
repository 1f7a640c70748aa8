"""Swing-up throughput: the compiled rollout kernel against the kernel before issue 19 and a numpy loop.

Networks: the committed evolved champion (docs/swingup_champion.json, full-length episodes), a random grown
genome with ~30 nodes and ~50 connections (short episodes: few lanes stay in flight) and a one-edge network
(the environment alone). One individual = 6 shared weights x 3 rollouts = 18 lanes. Baselines, measured in
the same run: ``bench/swingup_baseline.py`` (today's kernel before the speed work, calls interleaved with the
current one) and the reference's style (a numpy per-node forward over a weight matrix, the environment
stepped in Python).

    python bench/swingup.py [--quick]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import swingup_baseline as baseline  # noqa: E402
from common import cpu_model, grown_genome, median_time, paired_times, print_table, result_line  # noqa: E402

from envs import swingup as env  # noqa: E402
from wann.activations import apply as apply_act  # noqa: E402
from wann.genome import Genome  # noqa: E402
from wann.network import compile_genome, forward_lanes  # noqa: E402
from wann.rundir import load_champion  # noqa: E402
from wann.tasks.swingup import SwingUpOptions, SwingUpTask, rollout_returns  # noqa: E402

WEIGHTS = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
FLOPS_PER_CYCLE = 16
CHAMPION = Path(__file__).resolve().parent.parent / "docs" / "swingup_champion.json"


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


def forward_split(net, n_lanes: int, repeats: int) -> tuple[float, float]:
    """(ns per lane-step of edge sums with every node linear, ns of the activations on top), from
    ``forward_lanes`` alone on fixed inputs, ``n_lanes`` lanes."""
    w = np.resize(np.repeat(WEIGHTS, 3), n_lanes)
    vals = np.random.default_rng(0).normal(size=(net.act.size, n_lanes))
    linear = np.where(np.arange(net.act.size) >= net.first, 1, net.act).astype(np.int64)
    reps = 2000

    def run(act):
        v = vals.copy()
        return lambda: [forward_lanes(v, net.first, net.indptr, net.src, net.cw, act, w, n_lanes) for _ in range(reps)]

    t_lin, t_all = paired_times([run(linear), run(net.act)], repeats)
    per = 1e9 / (reps * n_lanes)
    return t_lin * per, (t_all - t_lin) * per


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    ap.add_argument("--champion", default=str(CHAMPION),
                    help="the evolved champion to time (champion.json or run folder; default the committed one)")
    args = ap.parse_args()
    repeats = 5 if args.quick else 15
    task = SwingUpTask(SwingUpOptions(rollouts=3))
    cases = [("environment alone", grown_genome(5, 1, 0, 1, 3)),
             ("evolved champion", load_champion(args.champion)[0].genome),
             ("~30 nodes/50 conns", grown_genome(5, 1, 24, 50, 2))]
    rows, split_rows, result = [], [], {}
    model, ghz = cpu_model()
    for label, g in cases:
        net = compile_genome(g)
        states = task.initial_states(7)
        args_k = (net.first, net.indptr, net.src, net.cw, net.act, WEIGHTS, states, env.T_LIMIT)
        now, before = rollout_returns(*args_k), baseline.rollout_returns(*args_k)
        same = all(np.array_equal(a, b) for a, b in zip(now, before))
        n_steps = int(now[1].sum())
        t_now, t_before = paired_times([lambda: rollout_returns(*args_k), lambda: baseline.rollout_returns(*args_k)],
                                       repeats)
        base_steps = 300 if args.quick else 1000
        state = env.initial_state(7)
        t_np = median_time(lambda: reference_style_steps(g, 1.0, state, base_steps), max(1, repeats // 5),
                           time.process_time)
        ns_now, ns_before = 1e9 * t_now / n_steps, 1e9 * t_before / n_steps
        rows.append([label, g.node_id.size, g.n_connections, n_steps, ns_before, ns_now, ns_before / ns_now,
                     n_steps / t_now / 1e6, "yes" if same else "NO", (n_steps / t_now) / (base_steps / t_np)])
        if label == "environment alone":
            env_ns = ns_now
        else:  # the network's share of the rollout, split as forward_lanes alone splits it
            edges, acts = forward_split(net, 18, max(3, repeats // 3))
            net_ns = ns_now - env_ns
            n_act = int(net.act.size - net.first)
            flops = 2 * net.src.size + 30 * n_act + 60 + 75
            split_rows.append([label, ns_now, env_ns, net_ns * edges / (edges + acts), net_ns * acts / (edges + acts),
                               flops, flops / FLOPS_PER_CYCLE / ghz])
        key = {"evolved champion": "champion", "~30 nodes/50 conns": "random30"}.get(label)
        if key:
            result[f"{key}_steps_per_s"] = n_steps / t_now
            result[f"{key}_speedup_vs_before"] = t_before / t_now
    print(f"swing-up rollouts, 6 weights x 3 rollouts per individual (18 lanes); CPU: {model} at {ghz:.2f} GHz")
    print(f"median CPU time of {repeats} interleaved runs, one core; 'before' = bench/swingup_baseline.py")
    print_table(["network", "nodes", "conns", "steps/ind", "ns/step before", "ns/step now", "speed-up",
                 "Msteps/s now", "same results", "x numpy loop"], rows)
    print()
    print("where the time goes (ns per lane-step): environment + lane bookkeeping = the one-edge network's rollout; "
          "the rest is the network, split into edge sums and activations as forward_lanes alone at 18 lanes splits "
          "it (every node linear, then the real activations)")
    print_table(["network", "rollout", "env + bookkeeping", "edge sums", "activations", "flops/lane-step",
                 "arithmetic limit ns"], split_rows)
    print(f"arithmetic limit: flops per lane-step at {FLOPS_PER_CYCLE} double flops per cycle (2 AVX2 FMA ports) "
          "and the clock above; an edge = 2 flops, an activation ~30, the environment ~60 + 3 libm calls ~75")
    print(result_line(**result))


if __name__ == "__main__":
    main()
