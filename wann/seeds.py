"""Seeds: the range of episode seeds, and named random streams of one user seed.

A generation seed (``wann.run``) or a test/tuning seed (``wann eval``, ``wann tune``) is an integer in
``[0, SEED_RANGE)``; a task's rollouts use seed, seed+1, ..., so the range leaves room above it.
"""
from __future__ import annotations

import numpy as np

SEED_RANGE = 2**31 - 2**16  # generation seeds; rollouts use seed, seed+1, ...
STREAMS = ("test", "tune", "shared", "individual", "train", "cma", "validation", "check")


def seed_streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators, one per named use, all from ``seed`` (stable across versions of this list)."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, children)}


def draw_seeds(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` episode seeds [n] (int64) in ``[0, SEED_RANGE)``."""
    return rng.integers(SEED_RANGE, size=n)
