"""CartPole swing-up task: whole episodes for all (weight, rollout) pairs in one numba call."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from envs import swingup as env
from wann.activations import ALL
from wann.network import Net, forward_values


@dataclass
class SwingUpOptions:
    name: str = "swingup"
    rollouts: int = 3
    max_steps: int = env.T_LIMIT

    def __post_init__(self) -> None:
        if self.rollouts < 1 or self.max_steps < 1:
            raise ValueError("rollouts and max_steps must be >= 1")


@njit(cache=True)
def rollout_returns(first, indptr, src, cw, act, weights, init_states, max_steps):
    """Total reward and steps taken, each [n_weights, n_rollouts]: one episode per (weight, initial state)."""
    n_w, n_r = weights.size, init_states.shape[0]
    out_node = act.size - 1
    returns = np.zeros((n_w, n_r))
    steps = np.zeros((n_w, n_r), dtype=np.int64)
    vals = np.empty(act.size)
    vals[0] = 1.0
    for wi in range(n_w):
        w = weights[wi]
        for r in range(n_r):
            x, x_dot, theta, theta_dot = init_states[r, 0], init_states[r, 1], init_states[r, 2], init_states[r, 3]
            total = 0.0
            t = 0
            while t < max_steps:
                vals[1] = x
                vals[2] = x_dot
                vals[3] = np.cos(theta)
                vals[4] = np.sin(theta)
                vals[5] = theta_dot
                forward_values(vals, first, indptr, src, cw, act, w)
                x, x_dot, theta, theta_dot, reward, out = env.step(x, x_dot, theta, theta_dot, vals[out_node])
                total += reward
                t += 1
                if out:
                    break
            returns[wi, r] = total
            steps[wi, r] = t
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
