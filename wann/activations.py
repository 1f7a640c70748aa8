"""The activation table of the reference WANN: one record per id, everything else derives from it.

Ids follow the reference code (``ann/applyAct``): 1 linear, 2 step, 3 sin(pi x),
4 gaussian, 5 tanh, 6 sigmoid, 7 inverse, 8 abs, 9 relu, 10 cos(pi x).
Each ``Activation`` holds the name, the formula text, the numpy form (the reference's
formula, used by tests and Python code), the torch form (written with tensor methods, so
this module never imports torch), the plot marker and colour, and the symmetry that the
classification kernel uses to get act(-x) from act(x).

The numba kernels (``wann.activation_kernels``) are if-chains over the same ids, kept
beside this table; ``tests/test_activations.py`` checks that their ids equal ``ALL``.

Unknown ids: ``get``, ``apply`` and ``apply_torch`` raise ValueError naming the valid ids;
the numba kernels return NaN. Genomes and configs are validated, so kernels never see one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

# act(-x) = sign * act(x) + offset for each symmetry the classification kernel uses
MIRRORS: dict[str, tuple[float, float]] = {"odd": (-1.0, 0.0), "even": (1.0, 0.0), "one_minus": (-1.0, 1.0)}


@dataclass(frozen=True)
class Activation:
    """One activation: id, name, formula text, numpy and torch forms, plot style, symmetry."""

    id: int
    name: str
    formula: str
    numpy: Callable[[np.ndarray], np.ndarray]
    torch: Callable[[Any], Any]  # a torch tensor in, a tensor out (tensor methods only)
    marker: str  # matplotlib marker of hidden nodes in network plots
    color: str  # matplotlib colour of the same
    mirror: str | None  # a key of MIRRORS, or None: classify evaluates act(-x) itself (cheap forms)


TABLE: tuple[Activation, ...] = (
    Activation(1, "linear", "x", lambda v: v, lambda s: s, "o", "tab:blue", None),
    Activation(2, "step", "1[x > 0]", lambda v: 1.0 * (v > 0.0), lambda s: (s > 0.0).to(s.dtype),
               "s", "tab:orange", None),
    Activation(3, "sin", "sin(pi x)", lambda v: np.sin(np.pi * v), lambda s: (math.pi * s).sin(),
               "^", "tab:green", "odd"),
    Activation(4, "gauss", "exp(-x^2 / 2)", lambda v: np.exp(-np.multiply(v, v) / 2.0),
               lambda s: (-(s * s) / 2.0).exp(), "D", "tab:red", "even"),
    Activation(5, "tanh", "tanh(x)", np.tanh, lambda s: s.tanh(), "v", "tab:purple", "odd"),
    Activation(6, "sigmoid", "(tanh(x/2) + 1) / 2", lambda v: (np.tanh(v / 2.0) + 1.0) / 2.0,
               lambda s: ((s / 2.0).tanh() + 1.0) / 2.0, "p", "tab:brown", "one_minus"),
    Activation(7, "inverse", "-x", lambda v: -v, lambda s: -s, "<", "tab:pink", None),
    Activation(8, "abs", "|x|", np.abs, lambda s: s.abs(), "h", "tab:gray", None),
    Activation(9, "relu", "max(0, x)", lambda v: np.maximum(0.0, v), lambda s: s.relu(), ">", "tab:olive", None),
    Activation(10, "cos", "cos(pi x)", lambda v: np.cos(np.pi * v), lambda s: (math.pi * s).cos(),
               "*", "tab:cyan", "even"),
)
BY_ID: dict[int, Activation] = {a.id: a for a in TABLE}
NAMES: dict[int, str] = {a.id: a.name for a in TABLE}
FORMULAS: dict[int, str] = {a.id: a.formula for a in TABLE}
ALL: tuple[int, ...] = tuple(BY_ID)
ID: dict[str, int] = {a.name: a.id for a in TABLE}
LINEAR, RELU = ID["linear"], ID["relu"]


def get(aid: int) -> Activation:
    """The record of activation ``aid``; ValueError naming the valid ids when there is none."""
    try:
        return BY_ID[aid]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation id {aid}; valid ids: {sorted(BY_ID)}") from None


def apply(aid: int, x: np.ndarray) -> np.ndarray:
    """Vectorised numpy activation ``aid`` (the reference's formulas)."""
    return get(aid).numpy(np.asarray(x, dtype=np.float64))


def apply_torch(aid: int, s):
    """Activation ``aid`` of a torch tensor ``s`` (same formulas as ``apply``)."""
    return get(aid).torch(s)


def mirror_table() -> tuple[np.ndarray, np.ndarray]:
    """(sign, offset) arrays indexed by id with act(-x) = sign * act(x) + offset; sign 0: not mirrored."""
    sign, offset = np.zeros(max(ALL) + 1), np.zeros(max(ALL) + 1)
    for a in TABLE:
        if a.mirror is not None:
            sign[a.id], offset[a.id] = MIRRORS[a.mirror]
    return sign, offset


def validate(ids: list[int] | tuple[int, ...], where: str) -> tuple[int, ...]:
    """Check a list of activation ids from a config; return it as a tuple."""
    bad = [a for a in ids if a not in NAMES]
    if bad or not ids:
        raise ValueError(
            f"{where}: invalid activation ids {bad or ids}; valid: "
            + ", ".join(f"{k}={v}" for k, v in NAMES.items())
        )
    return tuple(int(a) for a in ids)
