"""Gymnasium control tasks: BipedalWalker-v3 and any env with a Box observation space and a Box or
Discrete action space.

One individual is scored on all its (shared weight, rollout) pairs at once: one environment per
pair, one compiled forward call per step for every episode still running (``forward_rows``), the
env step the only Python per step; finished episodes are masked out. Rollout r of generation seed
s resets with ``env.reset(seed=s + r)`` for every weight (common random numbers).

Every episode runs in a freshly constructed environment: Box2D worlds keep state across resets
(a reused BipedalWalker gives slightly different returns for the same seed and actions), and a
score must depend only on (network, seed), never on what a worker evaluated before.

Action mapping: Box action spaces get the outputs clipped to the space's bounds (NaN -> 0), reshaped
to the space's shape; Discrete(n) gets ``start + argmax`` of n outputs (first maximum on ties).

BipedalWalker follows the reference search (prettyNeatWann ``domain/config.py`` ``biped``,
``domain/bipedal_walker.py``, ``domain/task_gym.py``) by default:

- ``reward = "reference"``: the -100 fall penalty is removed; the step that ends in a fall earns
  its ordinary shaping reward minus the torque cost, as in the reference's copy of the env.
  ``reward = "standard"``: gymnasium's reward. For every other env both are the env's reward.
- ``max_steps = 0``: episodes of at most 401 steps for BipedalWalker (the reference takes one step,
  then at most ``max_episode_length`` = 400 more), the env's own time limit for other envs;
  ``max_steps = N`` caps at N steps (like ``gym.make(..., max_episode_steps=N)``).

Evaluations to report use the standard env: ``GymOptions.standard()`` (standard reward, the env's
own time limit, 1600 steps for BipedalWalker-v3).
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec, load_env_creator

from wann.activations import ALL
from wann.errors import UserError
from wann.network import Net, forward_rows

REWARDS = ("reference", "standard")
REFERENCE_BIPED_STEPS = 401  # the reference's first step + max_episode_length 400
SUPPORTED = ("a Box observation space and a Box action space (outputs clipped to its bounds) "
             "or a Discrete one (argmax of the outputs)")
BIPED_INPUTS = ("hull_angle", "hull_vel_angle", "vel_x", "vel_y",
                "hip1_angle", "hip1_speed", "knee1_angle", "knee1_speed", "leg1_contact",
                "hip2_angle", "hip2_speed", "knee2_angle", "knee2_speed", "leg2_contact",
                *(f"lidar_{i}" for i in range(10)))
KNOWN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "BipedalWalker": (BIPED_INPUTS, ("hip_1", "knee_1", "hip_2", "knee_2")),
    "BipedalWalkerHardcore": (BIPED_INPUTS, ("hip_1", "knee_1", "hip_2", "knee_2")),
    "CartPole": (("cart_x", "cart_v", "pole_angle", "pole_v"), ("push_left", "push_right")),
}


def find_spec(env_id: str) -> EnvSpec:
    """The registered spec of ``env_id`` (``module:EnvId`` imports ``module`` first); ValueError if unknown."""
    module, _, name = env_id.rpartition(":")
    if module:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ValueError(f"env_id {env_id!r}: cannot import module {module!r} ({exc}); it must be importable "
                             "(installed, or on PYTHONPATH) and register the env when imported") from None
    try:
        return gym.spec(name)
    except gym.error.Error as exc:
        raise ValueError(f"env_id {env_id!r} is not a registered gymnasium environment: {exc} "
                         "(list them with: python -c 'import gymnasium; gymnasium.pprint_registry()')") from None


def is_biped(spec: EnvSpec) -> bool:
    return spec.name.startswith("BipedalWalker")


@dataclass
class GymOptions:
    name: str = "gym"
    env_id: str = "BipedalWalker-v3"
    env_kwargs: dict = field(default_factory=dict)  # passed to the env's constructor, e.g. {hardcore = true}
    rollouts: int = 4
    max_steps: int = 0  # 0: 401 for BipedalWalker (reference search), the env's time limit otherwise
    reward: str = "reference"  # "reference": BipedalWalker without its -100 fall penalty; "standard"

    def __post_init__(self) -> None:
        if self.rollouts < 1 or self.max_steps < 0:
            raise ValueError("rollouts must be >= 1 and max_steps >= 0 (0: the default episode length)")
        if self.reward not in REWARDS:
            raise ValueError(f"reward = {self.reward!r}; valid: {list(REWARDS)}")
        if not isinstance(self.env_kwargs, dict):
            raise ValueError("env_kwargs must be a table, e.g. env_kwargs = {continuous = true}")
        find_spec(self.env_id)

    def standard(self) -> GymOptions:
        """The same env with gymnasium's own reward and time limit: the setting to report evaluations in."""
        limit = find_spec(self.env_id).max_episode_steps
        return dataclasses.replace(self, reward="standard", max_steps=limit or self.max_steps)


class NoFallPenalty(gym.Wrapper):
    """BipedalWalker as the reference searched on it: the -100 on a fall becomes the step's ordinary
    reward (shaping difference minus torque cost); the episode still ends there."""

    def step(self, action):
        env = self.env.unwrapped
        before = env.prev_shaping
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated and (env.game_over or env.hull.position[0] < 0):
            reward = biped_step_reward(env, before, action)
        return obs, reward, terminated, truncated, info


def biped_step_reward(env, shaping_before: float, action) -> float:
    """BipedalWalker's reward for the step just taken, without the fall penalty (same arithmetic as the env)."""
    from gymnasium.envs.box2d.bipedal_walker import MOTORS_TORQUE

    reward = env.prev_shaping - shaping_before
    for a in action:
        reward -= 0.00035 * MOTORS_TORQUE * np.clip(np.abs(a), 0, 1)
    return reward


class GymTask:
    """Score = total episode reward per (shared weight, rollout) pair."""

    name = "gym"
    activations = ALL

    def __init__(self, options: GymOptions) -> None:
        self.options = options
        self.n_rollouts = options.rollouts
        spec = find_spec(options.env_id)
        self.env_id = spec.id
        self._kwargs = {**spec.kwargs, **options.env_kwargs}
        self._entry_point = spec.entry_point
        biped = is_biped(spec)
        self.no_fall_penalty = biped and options.reward == "reference"
        probe = self._probe()
        obs_space, act_space = probe.observation_space, probe.action_space
        probe.close()
        where = f"task.env_id = {options.env_id!r}"
        if not isinstance(obs_space, gym.spaces.Box):
            raise UserError(f"{where} has observation space {obs_space}; the gym task needs {SUPPORTED}")
        self.n_inputs = int(np.prod(obs_space.shape))
        if isinstance(act_space, gym.spaces.Box):
            self.discrete = False
            self.n_outputs = int(np.prod(act_space.shape))
            self.action_shape = tuple(act_space.shape)
            self._low = np.broadcast_to(act_space.low, act_space.shape).astype(np.float64).ravel()
            self._high = np.broadcast_to(act_space.high, act_space.shape).astype(np.float64).ravel()
        elif isinstance(act_space, gym.spaces.Discrete):
            self.discrete = True
            self.n_outputs = int(act_space.n)
            self._start = int(act_space.start)
        else:
            raise UserError(f"{where} has action space {act_space}; the gym task needs {SUPPORTED}")
        if self.n_inputs < 1 or self.n_outputs < 1:
            raise UserError(f"{where}: empty observation or action space ({obs_space}, {act_space})")
        self.max_steps = options.max_steps or (REFERENCE_BIPED_STEPS if biped else spec.max_episode_steps or 0)
        if self.max_steps < 1:
            raise UserError(f"{where} has no time limit; set task.max_steps to the episode length to use")
        names = KNOWN_NAMES.get(spec.name)
        if names and (len(names[0]), len(names[1])) == (self.n_inputs, self.n_outputs):
            self.input_names, self.output_names = names
        else:
            self.input_names = tuple(f"obs_{i}" for i in range(self.n_inputs))
            self.output_names = (tuple(f"action={self._start + i}" for i in range(self.n_outputs)) if self.discrete
                                 else tuple(f"action_{i}" for i in range(self.n_outputs)))

    def _probe(self) -> gym.Env:
        where = f"task.env_id = {self.options.env_id!r}"
        try:
            return self.make_env()
        except gym.error.DependencyNotInstalled as exc:
            raise UserError(f"{where} needs a package that is not installed: {exc}") from None
        except TypeError as exc:
            raise UserError(f"{where}: task.env_kwargs = {self.options.env_kwargs} rejected: {exc}") from None

    def make_env(self) -> gym.Env:
        """A fresh bare environment (no wrappers, no time limit) with the task's reward."""
        creator = self._entry_point if callable(self._entry_point) else load_env_creator(self._entry_point)
        env = creator(**self._kwargs)
        return NoFallPenalty(env) if self.no_fall_penalty else env

    def actions(self, outputs: np.ndarray) -> list:
        """Network outputs [S, n_out] -> one env action per row (clip for Box, argmax for Discrete)."""
        if self.discrete:
            return [self._start + int(i) for i in np.argmax(outputs, axis=1)]
        acts = np.clip(outputs, self._low, self._high)
        return list(acts.reshape(-1, *self.action_shape))

    def score(self, net: Net, weights: np.ndarray, seed: int) -> np.ndarray:
        return self.rollouts(net, weights, seed)[0]

    def rollouts(self, net: Net, weights: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(returns, steps), each [n_weights, n_rollouts]: one episode per (weight, rollout) pair."""
        weights = np.asarray(weights, dtype=np.float64)
        n_w, n_r = weights.size, self.n_rollouts
        n = n_w * n_r
        w_row = np.repeat(weights, n_r)
        envs = [self.make_env() for _ in range(n)]
        obs = np.empty((n, self.n_inputs))
        for k, env in enumerate(envs):
            obs[k] = np.ravel(env.reset(seed=int(seed) + k % n_r)[0])
        returns = np.zeros(n)
        steps = np.zeros(n, dtype=np.int64)
        alive = np.arange(n)
        while alive.size:
            outputs = forward_rows(net, obs[alive], w_row[alive])
            finite = np.isfinite(outputs).all(axis=1)
            acts = self.actions(np.where(finite[:, None], outputs, 0.0))
            running = []
            for k, action, ok in zip(alive.tolist(), acts, finite.tolist()):
                if not ok:  # the evaluation rule: a non-finite output ends the episode at -inf
                    returns[k] = -np.inf
                    envs[k].close()
                    continue
                o, reward, terminated, truncated, _ = envs[k].step(action)
                returns[k] += reward
                steps[k] += 1
                if terminated or truncated or steps[k] >= self.max_steps:
                    envs[k].close()
                else:
                    obs[k] = np.ravel(o)
                    running.append(k)
            alive = np.asarray(running, dtype=np.int64)
        return returns.reshape(n_w, n_r), steps.reshape(n_w, n_r)
