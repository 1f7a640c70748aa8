"""Gymnasium task throughput on BipedalWalker-v3, and the tuned shared weight of a biped champion.

Throughput (default): a random grown genome of ~100 nodes (24 inputs + bias + 4 outputs + ~71
hidden), one individual = 6 shared weights x R rollouts in the reference search setting (no fall
penalty, 401 steps). The adapter (one compiled forward per step for all running episodes, a fresh
env per episode) is timed against a plain gymnasium loop with the reference's numpy per-node
forward (``forward_numpy``), on the same episodes, in the same run, one process (one core). A
separate instrumented run of each splits the time into env construction + reset, env step,
network forward and the rest.

Champion (``--champion RUN_DIR_OR_CHAMPION_JSON``): in the standard env (gymnasium's reward with
the -100 fall penalty, 1600 steps), sweep the shared weight over 20 values in [-2, 2] on selection
seeds, then report the best ("tuned") weight on fresh test seeds, beside the mean over the six
search weights.

    python bench/gym.py [--quick]
    python bench/gym.py --champion runs/biped [--select-reps 4 --test-reps 16]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections import defaultdict

import gymnasium as gym
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import grown_genome, median_time, print_table, result_line  # noqa: E402

import wann.tasks.gym as gym_task  # noqa: E402
from wann.champion import load  # noqa: E402
from wann.genome import Genome  # noqa: E402
from wann.network import compile_genome, forward_numpy  # noqa: E402
from wann.tasks.gym import GymOptions, GymTask, NoFallPenalty  # noqa: E402

WEIGHTS = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
SELECT_SEED, TEST_SEED = 10_000_000, 20_000_000  # evaluation seeds; a search draws its seeds at random


class TimedTask(GymTask):
    """The adapter with its env construction, resets and steps timed (forward timed by patching)."""

    def __init__(self, options: GymOptions, clock: dict) -> None:
        self.clock = clock
        super().__init__(options)

    def make_env(self) -> gym.Env:
        t0 = time.perf_counter()
        env = _TimedEnv(super().make_env(), self.clock)
        self.clock["make+reset"] += time.perf_counter() - t0
        return env


class _TimedEnv(gym.Wrapper):
    def __init__(self, env, clock):
        super().__init__(env)
        self.clock = clock

    def reset(self, **kw):
        t0 = time.perf_counter()
        out = self.env.reset(**kw)
        self.clock["make+reset"] += time.perf_counter() - t0
        return out

    def step(self, action):
        t0 = time.perf_counter()
        out = self.env.step(action)
        self.clock["env step"] += time.perf_counter() - t0
        return out


def adapter_split(options: GymOptions, net, seed: int) -> tuple[dict, int]:
    """Seconds per part of one instrumented adapter run, and the steps taken."""
    clock: dict = defaultdict(float)
    task = TimedTask(options, clock)
    plain_forward = gym_task.forward_rows

    def timed_forward(*args):
        t0 = time.perf_counter()
        out = plain_forward(*args)
        clock["forward"] += time.perf_counter() - t0
        return out

    gym_task.forward_rows = timed_forward
    try:
        t0 = time.perf_counter()
        _, steps = task.rollouts(net, WEIGHTS, seed)
        total = time.perf_counter() - t0
    finally:
        gym_task.forward_rows = plain_forward
    clock["other"] = total - sum(clock.values())
    clock["total"] = total
    return dict(clock), int(steps.sum())


def plain_loop(task: GymTask, genome: Genome, seed: int, clock: dict | None = None) -> int:
    """The baseline: per episode gym.make + reset, per step numpy per-node forward, clip, env.step."""
    clock = defaultdict(float) if clock is None else clock
    n = 0
    for w in WEIGHTS:
        for r in range(task.n_rollouts):
            t0 = time.perf_counter()
            env = gym.make(task.options.env_id, max_episode_steps=task.max_steps)
            if task.no_fall_penalty:
                env = NoFallPenalty(env)
            obs, _ = env.reset(seed=seed + r)
            t1 = time.perf_counter()
            clock["make+reset"] += t1 - t0
            while True:
                t0 = time.perf_counter()
                out = forward_numpy(genome, np.asarray(obs, dtype=np.float64), w)[0]
                action = np.clip(out, -1.0, 1.0)
                t1 = time.perf_counter()
                obs, _, terminated, truncated, _ = env.step(action)
                t2 = time.perf_counter()
                clock["forward"] += t1 - t0
                clock["env step"] += t2 - t1
                n += 1
                if terminated or truncated:
                    break
            env.close()
    return n


def throughput(args) -> None:
    options = GymOptions(rollouts=args.rollouts)
    task = GymTask(options)
    genome = grown_genome(24, 4, 71, 180, seed=3, p_init=0.25)
    net = compile_genome(genome)
    seed = 7
    _, steps = task.rollouts(net, WEIGHTS, seed)  # warm-up (numba)
    n_steps = int(steps.sum())
    t_adapter = median_time(lambda: task.rollouts(net, WEIGHTS, seed), args.repeats)
    n_base = plain_loop(task, genome, seed)
    t_base = median_time(lambda: plain_loop(task, genome, seed), max(1, args.repeats // 2))
    split, _ = adapter_split(options, net, seed)
    base_clock: dict = defaultdict(float)
    t0 = time.perf_counter()
    plain_loop(task, genome, seed, base_clock)
    base_clock["total"] = time.perf_counter() - t0
    base_clock["other"] = base_clock["total"] - base_clock["make+reset"] - base_clock["forward"] - base_clock["env step"]

    sps, base_sps = n_steps / t_adapter, n_base / t_base
    print(f"BipedalWalker-v3, reference search episodes (<= 401 steps, no fall penalty); network "
          f"{genome.node_id.size} nodes, {genome.n_connections} connections ({net.n_nodes} used); "
          f"one individual = 6 weights x {args.rollouts} rollouts; one process, median of {args.repeats}")
    print_table(["loop", "steps", "s/individual", "steps/s", "speed-up"],
                [["adapter (numba forward_rows, fresh env per episode)", n_steps, t_adapter, sps, sps / base_sps],
                 ["plain gymnasium loop, numpy per-node forward", n_base, t_base, base_sps, 1.0]])
    print()
    print("where the time goes (one instrumented run each; % of its total)")
    parts = ["env step", "make+reset", "forward", "other"]
    print_table(["loop", *parts, "us/step (step only)", "us/step (forward)"],
                [[name, *(f"{100 * c[p] / c['total']:.1f}%" for p in parts),
                  1e6 * c["env step"] / n, 1e6 * c["forward"] / n]
                 for name, c, n in [("adapter", split, n_steps), ("plain loop", base_clock, n_base)]])
    print(result_line(steps_per_s=sps, baseline_steps_per_s=base_sps, speedup=sps / base_sps,
                      env_step_frac=split["env step"] / split["total"],
                      reset_frac=split["make+reset"] / split["total"],
                      forward_frac=split["forward"] / split["total"],
                      s_per_individual=t_adapter, nodes=int(genome.node_id.size)))


def champion_score(args) -> None:
    path = args.champion if args.champion.endswith(".json") else os.path.join(args.champion, "champion.json")
    champ, data = load(path)
    options = GymOptions(**data["task"])
    net = compile_genome(champ.genome)
    sweep = np.round(np.linspace(-2.0, 2.0, 21), 6)
    sweep = sweep[sweep != 0.0]
    select = GymTask(dataclasses.replace(options.standard(), rollouts=args.select_reps))
    test = GymTask(dataclasses.replace(options.standard(), rollouts=args.test_reps))
    t0 = time.perf_counter()
    per_weight = select.score(net, sweep, SELECT_SEED).mean(axis=1)
    best = float(sweep[int(np.argmax(per_weight))])
    tuned = test.score(net, np.array([best]), TEST_SEED)[0]
    six = test.score(net, WEIGHTS, TEST_SEED)
    seconds = time.perf_counter() - t0
    print(f"champion {path}: generation {champ.generation}, {champ.genome.n_connections} connections, "
          f"search fitness {champ.fitness:.1f} (reference search episodes)")
    print(f"standard env {select.env_id}: gymnasium reward (fall = -100), {select.max_steps} steps")
    print_table(["shared weight", f"mean return ({args.select_reps} selection seeds)"],
                [[float(w), float(s)] for w, s in zip(sweep, per_weight)])
    print(f"tuned shared weight {best:+.2f} on {args.test_reps} fresh test seeds: "
          f"{tuned.mean():.1f} +- {tuned.std():.1f}  (paper: 261 +- 58 with 210 connections)")
    print(f"mean over the six search weights on the same test seeds: {six.mean():.1f} "
          f"(per weight: {', '.join(f'{w:+.1f}: {s:.1f}' for w, s in zip(WEIGHTS, six.mean(axis=1)))})")
    print(result_line(tuned_weight=best, tuned_score=float(tuned.mean()), tuned_sd=float(tuned.std()),
                      six_weight_score=float(six.mean()), connections=int(champ.genome.n_connections),
                      seconds=seconds))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and rollouts (under a minute)")
    ap.add_argument("--champion", help="run folder or champion.json of a gym task: tuned shared weight score")
    ap.add_argument("--select-reps", type=int, default=4, help="episodes per weight when choosing the weight")
    ap.add_argument("--test-reps", type=int, default=16, help="fresh episodes for the chosen weight")
    args = ap.parse_args()
    if args.champion:
        champion_score(args)
        return
    args.repeats = 2 if args.quick else 5
    args.rollouts = 1 if args.quick else 4
    throughput(args)


if __name__ == "__main__":
    main()
