"""The pruning methods: ``METHODS`` maps each ``--method`` name to its :class:`~.base.Method`.

A method is one module here with a runner ``run(ctx, seed)`` (:data:`~.base.Runner`: compute or resume the
points of one seed through the :class:`~.base.Context` it is handed) and ``METHOD = Method(run, ...)``
(its default scope, whether it takes IMP's controls, rules of its own on the settings), plus one line in
``METHODS``. The shared prune-and-train loops are in :mod:`.loops`; the command line's ``--method``
choices and the settings' check of ``method`` read ``METHODS``.
"""
from __future__ import annotations

from . import early_bird, imp, magnitude, obd, random, supermask, synflow
from .base import Context, Method, Runner

METHODS: dict[str, Method] = {
    "imp": imp.METHOD,
    "synflow": synflow.METHOD,
    "obd": obd.METHOD,
    "magnitude": magnitude.METHOD,
    "random": random.METHOD,
    "supermask": supermask.METHOD,
    "supermask_signed": supermask.SIGNED,
    "early_bird": early_bird.METHOD,
}

__all__ = ["METHODS", "Context", "Method", "Runner"]
