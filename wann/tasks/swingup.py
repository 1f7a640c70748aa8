"""CartPole swing-up task: whole episodes for all (weight, rollout) pairs in one numba call."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from envs import swingup as env
from wann.activations import ALL
from wann.network import Net, forward_lanes


@dataclass
class SwingUpOptions:
    name: str = "swingup"
    rollouts: int = 3
    max_steps: int = env.T_LIMIT

    def __post_init__(self) -> None:
        if self.rollouts < 1 or self.max_steps < 1:
            raise ValueError("rollouts and max_steps must be >= 1")


@njit(cache=True, error_model="numpy")
def rollout_returns(first, indptr, src, cw, act, weights, init_states, max_steps):
    """Total reward and steps taken, each [n_weights, n_rollouts]: one episode per (weight, initial state).

    All episodes advance together as lanes (network rows vectorise over lanes);
    a finished episode's lane is filled by the last running one, so finished
    episodes cost nothing. Each lane carries sin and cos of its angle (``env.step_sc``).
    """
    n_w, n_r = weights.size, init_states.shape[0]
    n = n_w * n_r
    out_node = act.size - 1
    vals = np.empty((act.size, n))
    x, x_dot, theta, theta_dot = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    sn, cs = np.empty(n), np.empty(n)
    total, w, lane = np.zeros(n), np.empty(n), np.arange(n)
    done = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        w[j] = weights[j // n_r]
        x[j], x_dot[j], theta[j], theta_dot[j] = init_states[j % n_r]
        sn[j], cs[j] = math.sin(theta[j]), math.cos(theta[j])
    returns = np.zeros((n_w, n_r))
    steps = np.zeros((n_w, n_r), dtype=np.int64)
    active, t = n, 0
    while active > 0 and t < max_steps:
        for j in range(active):
            vals[0, j] = 1.0
            vals[1, j] = x[j]
            vals[2, j] = x_dot[j]
            vals[3, j] = cs[j]
            vals[4, j] = sn[j]
            vals[5, j] = theta_dot[j]
        forward_lanes(vals, first, indptr, src, cw, act, w, active)
        for j in range(active):
            action = vals[out_node, j]
            x[j], x_dot[j], theta[j], theta_dot[j], sn[j], cs[j], reward, done[j] = env.step_sc(
                x[j], x_dot[j], theta[j], theta_dot[j], sn[j], cs[j], action)
            total[j] += reward
            if not np.isfinite(action):  # the evaluation rule: a non-finite output ends the episode at -inf
                total[j], done[j] = -np.inf, True
        t += 1
        j = 0
        while j < active:
            if done[j]:
                returns[lane[j] // n_r, lane[j] % n_r] = total[j]
                steps[lane[j] // n_r, lane[j] % n_r] = t
                active -= 1
                x[j], x_dot[j], theta[j], theta_dot[j] = x[active], x_dot[active], theta[active], theta_dot[active]
                sn[j], cs[j] = sn[active], cs[active]
                total[j], w[j], lane[j], done[j] = total[active], w[active], lane[active], done[active]
            else:
                j += 1
    for j in range(active):
        returns[lane[j] // n_r, lane[j] % n_r] = total[j]
        steps[lane[j] // n_r, lane[j] % n_r] = t
    return returns, steps


class SwingUpTask:
    """Score = total episode reward; rollout r of seed s starts from ``env.initial_state(s + r)``."""

    name = "swingup"
    n_inputs = 5
    n_outputs = 1
    input_names = env.OBS_NAMES
    output_names = ("force",)
    activations = ALL

    def __init__(self, options: SwingUpOptions) -> None:
        self.options = options
        self.n_rollouts = options.rollouts
        self._states_seed: int | None = None
        self._states = np.empty((0, 4))

    def initial_states(self, seed: int) -> np.ndarray:
        if seed != self._states_seed:
            self._states = np.stack([env.initial_state(seed + r) for r in range(self.n_rollouts)])
            self._states_seed = seed
        return self._states

    def score(self, net: Net, weights: np.ndarray, seed: int) -> np.ndarray:
        return self.rollouts(net, weights, seed)[0]

    def rollouts(self, net: Net, weights: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(returns, steps), each [n_weights, n_rollouts]."""
        return rollout_returns(net.first, net.indptr, net.src, net.cw, net.act,
                               np.asarray(weights, dtype=np.float64), self.initial_states(seed),
                               self.options.max_steps)
