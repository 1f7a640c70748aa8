"""A toy task in one file, as the README's "Add a task" section builds it: copy the sign of the input.

Two inputs (x and a distractor), one output; a rollout draws 16 inputs from the seed and scores
minus the mean squared error between the output and sign(x). Registered by one line (the test does
it with ``monkeypatch.setitem``): ``REGISTRY["sign"] = "tests.toy_task:SignOptions:SignTask"``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wann.network import Net, forward


@dataclass
class SignOptions:
    name: str = "sign"
    rollouts: int = 2
    samples: int = 16

    def __post_init__(self) -> None:
        if self.rollouts < 1 or self.samples < 1:
            raise ValueError("rollouts and samples must be >= 1")


class SignTask:
    n_inputs, n_outputs = 2, 1
    input_names, output_names = ("x", "noise"), ("sign",)
    activations = (1, 2, 5, 9)  # linear, step, tanh, relu (wann.activations ids)

    def __init__(self, options: SignOptions) -> None:
        self.name, self.options, self.n_rollouts = options.name, options, options.rollouts

    def score(self, net: Net, weights: np.ndarray, seed: int) -> np.ndarray:
        """Minus the mean squared error [n_weights, n_rollouts]; rollout r uses seed + r."""
        out = np.empty((len(weights), self.n_rollouts))
        for r in range(self.n_rollouts):
            x = np.random.default_rng(seed + r).uniform(-1, 1, (self.options.samples, 2))
            for k, w in enumerate(weights):
                y = forward(net, x, w)[:, 0]
                out[k, r] = -np.mean((y - np.sign(x[:, 0])) ** 2)
        return out
