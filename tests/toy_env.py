"""A gymnasium env of one's own, as the README's "Use your own gymnasium env" section shows:
reach a target on a line. Importing this module registers ``ReachTarget-v0``; a config names it as
``env_id = "tests.toy_env:ReachTarget-v0"`` (module, colon, id) so every process imports it first."""
from __future__ import annotations

import gymnasium as gym
import numpy as np


class ReachTarget(gym.Env):
    """Observation (position, target); action: a velocity in [-1, 1]; reward: minus the distance; 50 steps."""

    observation_space = gym.spaces.Box(-2.0, 2.0, (2,), dtype=np.float64)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), dtype=np.float64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.pos, self.target = 0.0, float(self.np_random.uniform(-1, 1))
        return np.array([self.pos, self.target]), {}

    def step(self, action):
        self.pos = float(np.clip(self.pos + 0.1 * float(action[0]), -2, 2))
        return np.array([self.pos, self.target]), -abs(self.pos - self.target), False, False, {}


gym.register("ReachTarget-v0", entry_point=ReachTarget, max_episode_steps=50)
