"""Weight agnostic neural network search (Gaier & Ha, NeurIPS 2019).

The public API (``wann.api``), imported when first used so that ``import wann`` stays cheap::

    from wann import load_config, evolve, resume, load_champion, evaluate, tune, plot
"""
from __future__ import annotations

from pathlib import Path

import envs
from envs.kernel_cache import purge_if_changed

# numba knows a cached kernel by its own file only; wann's kernels inline wann.fastmath and envs.trig
purge_if_changed(Path(__file__).parent, Path(envs.__file__).parent)

__all__ = ["LoadedChampion", "load_config", "evolve", "resume", "load_champion", "evaluate", "tune", "plot"]


def __getattr__(name: str):
    if name in __all__:
        from wann import api

        return getattr(api, name)
    raise AttributeError(f"module 'wann' has no attribute {name!r}")
