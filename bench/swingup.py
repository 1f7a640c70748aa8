"""Swing-up throughput: the compiled rollout kernel against the kernel before issue 19 and a numpy loop.

Networks: the committed evolved champion (docs/swingup_champion.json, full-length episodes), ten random grown
genomes with ~30 nodes and ~50 connections (short episodes: few lanes stay in flight; timed together) and a
one-edge network (the environment alone). One individual = 6 shared weights x 3 rollouts = 18 lanes.
Baselines, measured in the same run: ``bench/swingup_baseline.py`` (the kernel before the speed work; calls
interleaved with the current kernel's) and the reference's style (a numpy per-node forward over a weight
matrix, the environment stepped in Python). Each kernel's ns per step is its time over its own steps, and
the bench says whether the two give the same returns and steps (they do today; a kernel whose numerics
differed would change a chaotic episode's length, not only its last bits).

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
RANDOM_NETS = 10  # random grown nets timed together: their episode lengths vary with the last bits
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


def kernel_case(label: str, genomes: list, task: SwingUpTask, repeats: int) -> dict:
    """Time the current and the baseline rollout kernel on ``genomes`` (one individual each, all in one call).

    Each kernel's ns per step is its own time over its own steps (they are the same steps as long as the two
    kernels' numerics agree, which the returned ``same`` says).
    """
    nets = [compile_genome(g) for g in genomes]
    states = task.initial_states(7)
    calls = [(n.first, n.indptr, n.src, n.cw, n.act, WEIGHTS, states, env.T_LIMIT) for n in nets]
    now = [rollout_returns(*c) for c in calls]
    before = [baseline.rollout_returns(*c) for c in calls]
    steps_now, steps_before = sum(int(r[1].sum()) for r in now), sum(int(r[1].sum()) for r in before)
    same = all(np.array_equal(a, b) for r, q in zip(now, before) for a, b in zip(r, q))
    full = [np.all(r[1] == env.T_LIMIT) & np.all(q[1] == env.T_LIMIT) for r, q in zip(now, before)]
    diff = max((float(np.max(np.abs(r[0] - q[0]) / np.maximum(np.abs(q[0]), 1.0))) for r, q, f in zip(now, before, full)
                if f), default=float("nan"))
    t_now, t_before = paired_times([lambda: [rollout_returns(*c) for c in calls],
                                    lambda: [baseline.rollout_returns(*c) for c in calls]], repeats)
    return {"label": label, "genomes": genomes, "nets": nets, "steps_now": steps_now, "steps_before": steps_before,
            "same": same, "diff": diff, "ns_now": 1e9 * t_now / steps_now, "ns_before": 1e9 * t_before / steps_before}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    ap.add_argument("--champion", default=str(CHAMPION),
                    help="the evolved champion to time (champion.json or run folder; default the committed one)")
    args = ap.parse_args()
    repeats = 5 if args.quick else 15
    task = SwingUpTask(SwingUpOptions(rollouts=3))
    cases = [("environment alone", [grown_genome(5, 1, 0, 1, 3)]),
             ("evolved champion", [load_champion(args.champion)[0].genome]),
             (f"{RANDOM_NETS} random, ~30 nodes/50 conns", [grown_genome(5, 1, 24, 50, s)
                                                            for s in range(2, 2 + RANDOM_NETS)])]
    rows, split_rows, result = [], [], {}
    model, ghz = cpu_model()
    for label, genomes in cases:
        c = kernel_case(label, genomes, task, repeats)
        base_steps = 300 if args.quick else 1000
        state = env.initial_state(7)
        t_np = median_time(lambda: reference_style_steps(genomes[0], 1.0, state, base_steps), max(1, repeats // 5),
                           time.process_time)
        g = genomes[0]
        rows.append([label, g.node_id.size, g.n_connections, c["steps_before"] // len(genomes),
                     c["steps_now"] // len(genomes), c["ns_before"], c["ns_now"], c["ns_before"] / c["ns_now"],
                     1e3 / c["ns_now"], "yes" if c["same"] else f"no (full episodes: {c['diff']:.1g})",
                     (1e9 / c["ns_now"]) / (base_steps / t_np)])
        if label == "environment alone":
            env_ns = c["ns_now"]
        else:  # the network's share of the rollout, split as forward_lanes alone splits it
            edges, acts = np.mean([forward_split(net, 18, max(3, repeats // 3)) for net in c["nets"][:3]], axis=0)
            net_ns = c["ns_now"] - env_ns
            n_act = int(c["nets"][0].act.size - c["nets"][0].first)
            flops = 2 * c["nets"][0].src.size + 30 * n_act + 60 + 75
            split_rows.append([label, c["ns_now"], env_ns, net_ns * edges / (edges + acts),
                               net_ns * acts / (edges + acts), flops, flops / FLOPS_PER_CYCLE / ghz])
        key = "champion" if label == "evolved champion" else ("random30" if "random" in label else None)
        if key:
            result[f"{key}_steps_per_s"] = 1e9 / c["ns_now"]
            result[f"{key}_speedup_vs_before"] = c["ns_before"] / c["ns_now"]
    print(f"swing-up rollouts, 6 weights x 3 rollouts per individual (18 lanes); CPU: {model} at {ghz:.2f} GHz")
    print(f"median CPU time of {repeats} interleaved runs, one core; 'before' = bench/swingup_baseline.py "
          "(the kernel before issue 19); ns per step of each kernel over its own steps")
    print_table(["network", "nodes", "conns", "steps/ind before", "steps/ind now", "ns/step before", "ns/step now",
                 "speed-up", "Msteps/s now", "same results (max rel. return diff)", "x numpy loop"], rows)
    print("(the random nets' row: nodes and conns of the first; steps and times over all of them)")
    print()
    print("where the time goes (ns per lane-step): environment + lane bookkeeping = the one-edge network's rollout; "
          "the rest is the network, split into edge sums and activations as forward_lanes alone at 18 lanes splits "
          "it (every node linear, then the real activations)")
    print_table(["network", "rollout", "env + bookkeeping", "edge sums", "activations", "flops/lane-step",
                 "arithmetic limit ns"], split_rows)
    print(f"arithmetic limit: flops per lane-step at {FLOPS_PER_CYCLE} double flops per cycle (2 AVX2 FMA ports) "
          "and the clock above; an edge = 2 flops, an activation ~30, the environment ~60 + 3 sin/cos polynomials ~75")
    print(result_line(**result))


if __name__ == "__main__":
    main()
