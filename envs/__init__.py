"""Environments usable without wann: the CartPole swing-up (numba), its trig, MNIST loading."""
from pathlib import Path

from envs.kernel_cache import purge_if_changed

purge_if_changed(Path(__file__).parent)  # a kernel here may inline another file's helper (envs.trig)
