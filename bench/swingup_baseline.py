"""Today's swing-up kernel before the speed work of issue 19, kept as the baseline of ``bench/swingup.py``.

A verbatim copy of ``rollout_returns`` (wann/tasks/swingup.py), ``forward_lanes`` (wann/network.py),
``activate_row`` (wann/activation_kernels.py) and the environment's ``step`` (envs/swingup.py) as they were at
commit 1417016: numba's default error model (a zero check before every division, which keeps the tanh and
sigmoid lane loops from vectorising) and six libm sin/cos calls per step and lane, with the polynomials of that
time (Horner's order: ``bench/fastmath_baseline.py``). The bench runs it beside the current kernel in the same
process; since 0.2.0 (Estrin's order, the environment's sin/cos from ``envs.trig``) their results differ in the
last bits, and on chaotic episodes beyond.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from envs.swingup import DT, FORCE_MAG, FRICTION, G, LENGTH, M_P_L, M_POLE, TOTAL_M, X_THRESHOLD
from fastmath_baseline import PI_X_EXACT, cos_pi, cos_pi_bounded, exp_neg, sin_pi, sin_pi_bounded, tanh


@njit(cache=False, inline="always")
def step(x, x_dot, theta, theta_dot, action):
    """One Euler step; returns (x, x_dot, theta, theta_dot, reward, out_of_bounds)."""
    a = min(max(action, -1.0), 1.0) * FORCE_MAG
    s = math.sin(theta)
    c = math.cos(theta)
    xdot_update = (-2.0 * M_P_L * (theta_dot * theta_dot) * s + 3.0 * M_POLE * G * s * c
                   + 4.0 * a - 4.0 * FRICTION * x_dot) / (4.0 * TOTAL_M - 3.0 * M_POLE * c * c)
    thetadot_update = (-3.0 * M_P_L * (theta_dot * theta_dot) * s * c + 6.0 * TOTAL_M * G * s
                       + 6.0 * (a - FRICTION * x_dot) * c) / (4.0 * LENGTH * TOTAL_M - 3.0 * M_P_L * c * c)
    x = x + x_dot * DT
    theta = theta + theta_dot * DT
    x_dot = x_dot + xdot_update * DT
    theta_dot = theta_dot + thetadot_update * DT
    out = x < -X_THRESHOLD or x > X_THRESHOLD
    reward = ((math.cos(theta) + 1.0) / 2.0) * math.cos((x / X_THRESHOLD) * (math.pi / 2.0))
    return x, x_dot, theta, theta_dot, reward, out



@njit(cache=False)
def activate_row(aid, row, w, n):
    """In place: row[l] = act(w[l] * row[l]) for lanes l < n (NaN for an unknown id)."""
    if aid == 1:
        for j in range(n):
            row[j] = w[j] * row[j]
    elif aid == 2:
        for j in range(n):
            row[j] = 1.0 if w[j] * row[j] > 0.0 else 0.0
    elif aid == 3:
        if _widest(row, w, n) < PI_X_EXACT:
            for j in range(n):
                row[j] = sin_pi_bounded(w[j] * row[j])
        else:
            for j in range(n):
                row[j] = sin_pi(w[j] * row[j])
    elif aid == 4:
        for j in range(n):
            v = w[j] * row[j]
            row[j] = exp_neg(-(v * v) / 2.0)
    elif aid == 5:
        for j in range(n):
            row[j] = tanh(w[j] * row[j])
    elif aid == 6:
        for j in range(n):
            row[j] = (tanh(w[j] * row[j] / 2.0) + 1.0) / 2.0
    elif aid == 7:
        for j in range(n):
            row[j] = -(w[j] * row[j])
    elif aid == 8:
        for j in range(n):
            row[j] = abs(w[j] * row[j])
    elif aid == 9:
        for j in range(n):
            v = w[j] * row[j]
            row[j] = v if v > 0.0 else 0.0
    elif aid == 10:
        if _widest(row, w, n) < PI_X_EXACT:
            for j in range(n):
                row[j] = cos_pi_bounded(w[j] * row[j])
        else:
            for j in range(n):
                row[j] = cos_pi(w[j] * row[j])
    else:
        for j in range(n):
            row[j] = np.nan


@njit(cache=False, inline="always")
def _widest(row, w, n):
    """max |w[l] * row[l]| over lanes l < n, or NaN: either way not below the bound means the careful path."""
    m = 0.0
    for j in range(n):
        v = abs(w[j] * row[j])
        m = m if v <= m else v
    return m



@njit(cache=False)
def forward_lanes(vals, first, indptr, src, cw, act, w, n):
    """Lane-parallel forward: ``vals`` is [N, lanes]; fill rows ``first:`` for lanes < n.

    Lane j runs under shared weight ``w[j]``. Each node is a contiguous row, so
    edge sums and activations vectorise over lanes; results equal
    ``forward_values`` lane by lane, bit for bit.
    """
    for i in range(first, act.size):
        row = vals[i]
        for j in range(n):
            row[j] = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            c = cw[k]
            srow = vals[src[k]]
            for j in range(n):
                row[j] += c * srow[j]
        activate_row(act[i], row, w, n)



@njit(cache=False)
def rollout_returns(first, indptr, src, cw, act, weights, init_states, max_steps):
    """Total reward and steps taken, each [n_weights, n_rollouts]: one episode per (weight, initial state).

    All episodes advance together as lanes (network rows vectorise over lanes);
    a finished episode's lane is filled by the last running one, so finished
    episodes cost nothing.
    """
    n_w, n_r = weights.size, init_states.shape[0]
    n = n_w * n_r
    out_node = act.size - 1
    vals = np.empty((act.size, n))
    x, x_dot, theta, theta_dot = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    total, w, lane = np.zeros(n), np.empty(n), np.arange(n)
    done = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        w[j] = weights[j // n_r]
        x[j], x_dot[j], theta[j], theta_dot[j] = init_states[j % n_r]
    returns = np.zeros((n_w, n_r))
    steps = np.zeros((n_w, n_r), dtype=np.int64)
    active, t = n, 0
    while active > 0 and t < max_steps:
        for j in range(active):
            vals[0, j] = 1.0
            vals[1, j] = x[j]
            vals[2, j] = x_dot[j]
            vals[3, j] = np.cos(theta[j])
            vals[4, j] = np.sin(theta[j])
            vals[5, j] = theta_dot[j]
        forward_lanes(vals, first, indptr, src, cw, act, w, active)
        for j in range(active):
            action = vals[out_node, j]
            x[j], x_dot[j], theta[j], theta_dot[j], reward, done[j] = step(
                x[j], x_dot[j], theta[j], theta_dot[j], action)
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
                total[j], w[j], lane[j], done[j] = total[active], w[active], lane[active], done[active]
            else:
                j += 1
    for j in range(active):
        returns[lane[j] // n_r, lane[j] % n_r] = total[j]
        steps[lane[j] // n_r, lane[j] % n_r] = t
    return returns, steps
