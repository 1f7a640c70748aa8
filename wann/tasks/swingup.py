"""CartPole swing-up task: whole episodes for all (weight, rollout) pairs in one numba call."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, uint64

from envs import swingup as env
from envs import trig
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


# rows of a rollout's lane state (one flat array, a row of ``n`` lanes each, so the step loop reads and writes
# one array at known row offsets: with an array per row LLVM needed too many runtime alias checks to vectorise)
X, X_DOT, THETA, THETA_DOT, SIN, COS, REWARD, RETURN = range(8)
N_ROWS = 8


@njit(cache=True, error_model="numpy")
def rollout_returns(first, indptr, src, cw, act, weights, init_states, max_steps):
    """Total reward and steps taken, each [n_weights, n_rollouts]: one episode per (weight, initial state).

    All episodes advance together as lanes: network rows and the environment's step vectorise over lanes
    (the step's sin and cos are ``envs.trig``'s branch-free forms; a lane beyond their bound is redone with
    the libm fallback, as the scalar ``env.step`` does, so every lane equals the gymnasium env's loop bit for
    bit). A finished episode's lane is filled by the last running one, so finished episodes cost nothing.
    """
    n_w, n_r = weights.size, init_states.shape[0]
    n = n_w * n_r
    un = uint64(n)
    out = uint64(act.size - 1) * un
    vals = np.empty((act.size, n))
    v = vals.reshape(vals.size)
    st = np.empty(N_ROWS * n)
    x_, xd_, th_, thd_ = uint64(X) * un, uint64(X_DOT) * un, uint64(THETA) * un, uint64(THETA_DOT) * un
    sn_, cs_, rw_, ret_ = uint64(SIN) * un, uint64(COS) * un, uint64(REWARD) * un, uint64(RETURN) * un
    w, lane = np.empty(n), np.arange(n)
    done = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        w[j] = weights[j // n_r]
        st[x_ + j], st[xd_ + j], st[th_ + j], st[thd_ + j] = init_states[j % n_r]
        st[sn_ + j], st[cs_ + j], st[ret_ + j] = trig.sin(st[th_ + j]), trig.cos(st[th_ + j]), 0.0
    returns = np.zeros((n_w, n_r))
    steps = np.zeros((n_w, n_r), dtype=np.int64)
    active, t = n, 0
    while active > 0 and t < max_steps:
        na = uint64(active)
        for j in range(na):
            v[j] = 1.0
            v[un + j] = st[x_ + j]
            v[2 * un + j] = st[xd_ + j]
            v[3 * un + j] = st[cs_ + j]
            v[4 * un + j] = st[sn_ + j]
            v[5 * un + j] = st[thd_ + j]
        forward_lanes(vals, first, indptr, src, cw, act, w, active)
        wide = 0
        for j in range(na):
            x, x_dot, theta, theta_dot = env.euler(st[x_ + j], st[xd_ + j], st[th_ + j], st[thd_ + j], st[sn_ + j],
                                                   st[cs_ + j], v[out + j])
            angle = env.reward_angle(x)
            c = trig.cos_bounded(theta)
            st[x_ + j], st[xd_ + j], st[th_ + j], st[thd_ + j] = x, x_dot, theta, theta_dot
            st[sn_ + j], st[cs_ + j] = trig.sin_bounded(theta), c
            st[rw_ + j] = env.reward_of(c, trig.cos_bounded(angle))
            wide += 0 if (abs(theta) < trig.Y_EXACT and abs(angle) < trig.Y_EXACT) else 1
        if wide:  # beyond the bounded forms' range (or NaN): redo as the scalar step does
            for j in range(na):
                theta, angle = st[th_ + j], env.reward_angle(st[x_ + j])
                if not (abs(theta) < trig.Y_EXACT and abs(angle) < trig.Y_EXACT):
                    st[sn_ + j], st[cs_ + j] = trig.sin(theta), trig.cos(theta)
                    st[rw_ + j] = env.reward_of(st[cs_ + j], trig.cos(angle))
        t += 1
        for j in range(na):
            st[ret_ + j] += st[rw_ + j]
            x = st[x_ + j]
            done[j] = x < -env.X_THRESHOLD or x > env.X_THRESHOLD
            if not np.isfinite(v[out + j]):  # the evaluation rule: a non-finite output ends the episode at -inf
                st[ret_ + j], done[j] = -np.inf, True
        j = 0
        while j < active:
            if done[j]:
                returns[lane[j] // n_r, lane[j] % n_r] = st[ret_ + j]
                steps[lane[j] // n_r, lane[j] % n_r] = t
                active -= 1
                for r in range(N_ROWS):
                    st[uint64(r) * un + j] = st[uint64(r) * un + active]
                w[j], lane[j], done[j] = w[active], lane[active], done[active]
            else:
                j += 1
    for j in range(active):
        returns[lane[j] // n_r, lane[j] % n_r] = st[ret_ + j]
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
