"""The activation table of the reference WANN: id -> name, formula.

Ids follow the reference code (``ann/applyAct``): 1 linear, 2 step, 3 sin(pi x),
4 gaussian, 5 tanh, 6 sigmoid, 7 inverse, 8 abs, 9 relu, 10 cos(pi x).
``activate`` is the scalar numba kernel used inside compiled loops (its
transcendental functions come from ``wann.fastmath``, so loops vectorise);
``apply`` is the vectorised numpy reference used by tests and Python code.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from wann import fastmath

NAMES: dict[int, str] = {
    1: "linear",
    2: "step",
    3: "sin",
    4: "gauss",
    5: "tanh",
    6: "sigmoid",
    7: "inverse",
    8: "abs",
    9: "relu",
    10: "cos",
}
FORMULAS: dict[int, str] = {
    1: "x",
    2: "1[x > 0]",
    3: "sin(pi x)",
    4: "exp(-x^2 / 2)",
    5: "tanh(x)",
    6: "(tanh(x/2) + 1) / 2",
    7: "-x",
    8: "|x|",
    9: "max(0, x)",
    10: "cos(pi x)",
}
ALL: tuple[int, ...] = tuple(NAMES)
LINEAR = 1


@njit(cache=True, inline="always")
def activate(aid: int, x: float) -> float:
    """Scalar activation ``aid`` at ``x`` (numba)."""
    if aid == 1:
        return x
    if aid == 2:
        return 1.0 if x > 0.0 else 0.0
    if aid == 3:
        return fastmath.sin_pi(x)
    if aid == 4:
        return fastmath.exp_neg(-(x * x) / 2.0)
    if aid == 5:
        return fastmath.tanh(x)
    if aid == 6:
        return (fastmath.tanh(x / 2.0) + 1.0) / 2.0
    if aid == 7:
        return -x
    if aid == 8:
        return abs(x)
    if aid == 9:
        return x if x > 0.0 else 0.0
    if aid == 10:
        return fastmath.cos_pi(x)
    return np.nan


def apply(aid: int, x: np.ndarray) -> np.ndarray:
    """Vectorised numpy activation ``aid`` (the reference's formulas)."""
    x = np.asarray(x, dtype=np.float64)
    table = {
        1: lambda v: v,
        2: lambda v: 1.0 * (v > 0.0),
        3: lambda v: np.sin(np.pi * v),
        4: lambda v: np.exp(-np.multiply(v, v) / 2.0),
        5: np.tanh,
        6: lambda v: (np.tanh(v / 2.0) + 1.0) / 2.0,
        7: lambda v: -v,
        8: np.abs,
        9: lambda v: np.maximum(0.0, v),
        10: lambda v: np.cos(np.pi * v),
    }
    if aid not in table:
        raise ValueError(f"unknown activation id {aid}; valid ids: {sorted(table)}")
    return table[aid](x)


def validate(ids: list[int] | tuple[int, ...], where: str) -> tuple[int, ...]:
    """Check a list of activation ids from a config; return it as a tuple."""
    bad = [a for a in ids if a not in NAMES]
    if bad or not ids:
        raise ValueError(
            f"{where}: invalid activation ids {bad or ids}; valid: "
            + ", ".join(f"{k}={v}" for k, v in NAMES.items())
        )
    return tuple(int(a) for a in ids)
