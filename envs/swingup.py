"""CartPole swing-up as in the reference WANN code (``cartpole_swingup.py``).

Physics: g 9.82, cart mass 0.5, pole mass 0.5, pole length 0.6, friction 0.1,
force 10 * clip(a, -1, 1), dt 0.01, explicit Euler in the reference's order
(positions updated from the old velocities, then velocities). Reward per step
((cos th + 1) / 2) * cos(x / 2.4 * pi / 2); the episode ends when |x| > 2.4
(terminated) or after 1000 steps (truncated). Reset draws the state
[x, x_dot, th, th_dot] ~ Normal([0, 0, pi, 0], 0.2) from the seeded generator;
the observation is [x, x_dot, cos th, sin th, th_dot].

``step`` (through ``step_sc``, which carries sin and cos of the angle) is one numba function used by both
the ``gymnasium.Env`` below (registered as ``CartPoleSwingUp-v0``) and compiled rollout kernels.
"""
from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
from numba import njit

from envs import trig

G = 9.82
M_CART = 0.5
M_POLE = 0.5
TOTAL_M = M_CART + M_POLE
LENGTH = 0.6
M_P_L = M_POLE * LENGTH
FORCE_MAG = 10.0
DT = 0.01
FRICTION = 0.1
X_THRESHOLD = 2.4
T_LIMIT = 1000
RESET_MEAN = np.array([0.0, 0.0, np.pi, 0.0])
RESET_SD = 0.2
OBS_NAMES = ("x", "x_dot", "cos th", "sin th", "th_dot")
ENV_ID = "CartPoleSwingUp-v0"


@njit(cache=True, inline="always", error_model="numpy")
def euler(x, x_dot, theta, theta_dot, s, c, action):
    """The state (x, x_dot, theta, theta_dot) after one Euler step, given ``s = sin(theta)``, ``c = cos(theta)``."""
    a = min(max(action, -1.0), 1.0) * FORCE_MAG
    xdot_update = (-2.0 * M_P_L * (theta_dot * theta_dot) * s + 3.0 * M_POLE * G * s * c
                   + 4.0 * a - 4.0 * FRICTION * x_dot) / (4.0 * TOTAL_M - 3.0 * M_POLE * c * c)
    thetadot_update = (-3.0 * M_P_L * (theta_dot * theta_dot) * s * c + 6.0 * TOTAL_M * G * s
                       + 6.0 * (a - FRICTION * x_dot) * c) / (4.0 * LENGTH * TOTAL_M - 3.0 * M_P_L * c * c)
    return x + x_dot * DT, x_dot + xdot_update * DT, theta + theta_dot * DT, theta_dot + thetadot_update * DT


@njit(cache=True, inline="always")
def reward_angle(x):
    """The argument of the reward's cart term, cos(x / 2.4 * pi / 2)."""
    return (x / X_THRESHOLD) * (math.pi / 2.0)


@njit(cache=True, inline="always")
def reward_of(c, cx):
    """The step's reward given c = cos(theta) and cx = cos(reward_angle(x)) of the new state."""
    return ((c + 1.0) / 2.0) * cx


@njit(cache=True, inline="always", error_model="numpy")
def step_sc(x, x_dot, theta, theta_dot, s, c, action):
    """:func:`step` given ``s = sin(theta)`` and ``c = cos(theta)``; returns (x, x_dot, theta, theta_dot,
    sin theta', cos theta', reward, out_of_bounds). The reward and the next observation and step all take the
    new angle's sine and cosine, so a rollout that carries them computes each once per step.

    sin and cos are ``envs.trig``'s (branch-free polynomials, libm beyond 2^21 rad), so a rollout kernel
    can compute them for many lanes at once with the same bits (since version 0.2.0; before, libm's)."""
    x, x_dot, theta, theta_dot = euler(x, x_dot, theta, theta_dot, s, c, action)
    out = x < -X_THRESHOLD or x > X_THRESHOLD
    s = trig.sin(theta)
    c = trig.cos(theta)
    return x, x_dot, theta, theta_dot, s, c, reward_of(c, trig.cos(reward_angle(x))), out


@njit(cache=True, inline="always", error_model="numpy")
def step(x, x_dot, theta, theta_dot, action):
    """One Euler step; returns (x, x_dot, theta, theta_dot, reward, out_of_bounds)."""
    x, x_dot, theta, theta_dot, _, _, reward, out = step_sc(x, x_dot, theta, theta_dot, trig.sin(theta),
                                                            trig.cos(theta), action)
    return x, x_dot, theta, theta_dot, reward, out


def initial_state(seed: int) -> np.ndarray:
    """The reset state for ``seed``: what ``CartPoleSwingUpEnv.reset(seed=seed)`` draws."""
    return np.random.default_rng(seed).normal(RESET_MEAN, RESET_SD)


def observe(state: np.ndarray) -> np.ndarray:
    """Observation [x, x_dot, cos th, sin th, th_dot] of a state [x, x_dot, th, th_dot]."""
    x, x_dot, theta, theta_dot = state
    return np.array([x, x_dot, trig.cos(theta), trig.sin(theta), theta_dot])


class CartPoleSwingUpEnv(gym.Env):
    """Gymnasium wrapper around the numba ``step`` (one action in [-1, 1])."""

    metadata = {"render_modes": []}

    def __init__(self) -> None:
        high = np.full(5, np.finfo(np.float64).max)
        self.observation_space = gym.spaces.Box(-high, high, dtype=np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float64)
        self.state = RESET_MEAN.copy()
        self.t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.state = self.np_random.normal(RESET_MEAN, RESET_SD)
        self.t = 0
        return observe(self.state), {}

    def step(self, action):
        a = float(np.asarray(action, dtype=np.float64).reshape(-1)[0])
        *state, reward, out = step(*(float(v) for v in self.state), a)
        self.state = np.array(state)
        self.t += 1
        return observe(self.state), float(reward), bool(out), self.t >= T_LIMIT, {}


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="envs.swingup:CartPoleSwingUpEnv")
