"""Early-Bird tickets: the mask distance and the emergence rule (You et al., ICLR 2020, "Drawing Early-Bird
Tickets", sec. 3 and Algorithm 1). Pure functions on masks; no training here.

A mask is a dict of bool tensors/arrays (as :class:`~.masks.Masks` or the channel/unit masks of
:mod:`.convnet` and :mod:`.structured`) or a single array. Every epoch the pruning rule draws a mask at the
target ratio; the ticket is drawn once the recent masks stop changing.

Which pairs of masks the rule compares (``pairs``):

* ``"newest"`` (default): the distances from the newest mask to each of the ``window - 1`` masks before it.
  This is the authors' released code (``EarlyBird.cal_dist``, ``epoch_keep = 5``: the last 5 masks kept,
  the newest compared with the 4 others).
* ``"consecutive"``: the ``window - 1`` distances between consecutive masks among the last ``window``. This is
  Algorithm 1's wording (a FIFO queue Q of length l of the distances between the current and the last
  subnetwork; the paper's l = 5 distances is ``window=6`` here).

Either way the rule holds at the newest mask when the largest of those distances is strictly below ``eps``
(paper: "Max(Q) < ε", ε = 0.1; the released code accepts distances equal to 0.1) and needs ``window`` masks.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .errors import PruneError

PAIRS = ("newest", "consecutive")


def _flat(mask, names: list[str] | None) -> np.ndarray:
    """One bool vector of all positions (dict entries in ``names`` order)."""
    if hasattr(mask, "tensors"):
        mask = mask.tensors
    if isinstance(mask, Mapping):
        return np.concatenate([np.asarray(mask[n], dtype=bool).reshape(-1) for n in names])
    return np.asarray(mask, dtype=bool).reshape(-1)


def _shapes(mask) -> dict | tuple:
    if hasattr(mask, "tensors"):
        mask = mask.tensors
    if isinstance(mask, Mapping):
        return {n: tuple(np.shape(np.asarray(t))) for n, t in mask.items()}
    return tuple(np.shape(np.asarray(mask)))


def mask_distance(a, b) -> float:
    """Normalised Hamming distance: the fraction of positions where ``a`` and ``b`` differ, over all positions
    of all tensors (so a big tensor weighs more than a small one). 0 = identical, 1 = complements.

    ``a``, ``b``: dicts of masks with the same names and shapes, or arrays of the same shape. Raises PruneError
    when names or shapes differ, or when the masks are empty."""
    sa, sb = _shapes(a), _shapes(b)
    if sa != sb:
        raise PruneError(f"masks differ in names or shapes: {sa} against {sb}")
    names = list(sa) if isinstance(sa, dict) else None
    fa, fb = _flat(a, names), _flat(b, names)
    if fa.size == 0:
        raise PruneError("masks have no positions")
    return float(np.count_nonzero(fa != fb)) / fa.size


def distance_matrix(masks: Sequence) -> np.ndarray:
    """[E, E] float64: ``mask_distance(masks[i], masks[j])`` (symmetric, zero diagonal)."""
    n = len(masks)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = mask_distance(masks[i], masks[j])
    return out


def emergence_epoch(masks: Sequence, window: int = 5, eps: float = 0.1, pairs: str = "newest") -> int | None:
    """The first index t into ``masks`` (``masks[t]`` = the mask drawn at epoch t, in the caller's numbering)
    at which the rule (module docstring) holds on ``masks[t - window + 1 .. t]``; None if it never does.
    The earliest possible t is ``window - 1``.

    Raises PruneError for ``window < 2``, ``eps`` not > 0, an unknown ``pairs`` or masks of different shapes."""
    if int(window) != window or window < 2:
        raise PruneError(f"window must be an integer >= 2 (masks compared), got {window!r}")
    if not eps > 0:
        raise PruneError(f"eps must be > 0, got {eps!r}")
    if pairs not in PAIRS:
        raise PruneError(f"pairs must be one of {', '.join(PAIRS)}, got {pairs!r}")
    window = int(window)
    consecutive = [mask_distance(masks[i - 1], masks[i]) for i in range(1, len(masks))]
    for t in range(window - 1, len(masks)):
        if pairs == "newest":
            d = [mask_distance(masks[t], masks[i]) for i in range(t - window + 1, t)]
        else:
            d = consecutive[t - window + 1:t]
        if max(d) < eps:
            return t
    return None
