"""Branch-free sin and cos (radians) that LLVM vectorises, and their libm fallback beyond 2^21 rad.

numba's math.sin/cos are scalar libm calls (no SIMD vector library is available to llvmlite here), so a
loop over lanes that calls them never vectorises. These use an exact three-part Cody-Waite reduction by
pi/2 (exact for |y| < 2^21, ``Y_EXACT``) and Taylor polynomials on |r| <= pi/4 evaluated in Estrin's order
(pairs of terms, then pairs of pairs with z^2, z^4: a dependency chain 4-5 multiply-adds deep instead of
Horner's 9-10, which is what a loop over few lanes waits on). ``sin``/``cos`` take any argument (libm
beyond the bound, and for NaN/inf); lane loops use the ``_bounded`` forms and redo the rare lanes beyond
it with ``sin``/``cos``: either way every lane gets the same bits as a scalar call. Accuracy: a few ulp
(tests hold them to numpy's within 1e-15 relative to the argument scale).

Used by the swing-up environment (``envs.swingup``: the gymnasium env and the compiled rollouts compute the
same bits) and by ``wann.fastmath``'s sin(pi x). Since version 0.2.0; before it the environment used libm
and the polynomials ran in Horner's order.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

# Taylor coefficients of sin(r)/r and cos(r) in powers of r^2, |r| <= pi/4
_SIN = np.array([(-1) ** k / math.factorial(2 * k + 1) for k in range(9)])
_COS = np.array([(-1) ** k / math.factorial(2 * k) for k in range(9)])  # the r^18 term: below 3e-18 relative
# pi/2 in three parts (32 + 32 bits + rest): n * _PIO2_1 and n * _PIO2_2 are exact for |n| < 2^21
_PIO2_1 = 1.5707963267341256
_PIO2_2 = 6.077100506303966e-11
_PIO2_3 = 2.0222662487959506e-21
_TWO_OVER_PI = 0.6366197723675814
Y_EXACT = 2.0**21  # |y| (radians) below which the reduction of y is exact (n = round(2y / pi) < 2^21)


@njit(cache=True, inline="always")
def _reduce(y):
    """y = n pi/2 + r, |r| <= pi/4 (Cody-Waite); returns (r, n mod 4)."""
    n = np.floor(y * _TWO_OVER_PI + 0.5)
    r = ((y - n * _PIO2_1) - n * _PIO2_2) - n * _PIO2_3
    return r, n - 4.0 * np.floor(n * 0.25)


@njit(cache=True, inline="always")
def _sin_poly(r):
    """sin(r) for |r| <= pi/4: r times the Taylor polynomial in z = r^2, in Estrin's order (short dependency chains)."""
    z = r * r
    z2 = z * z
    z4 = z2 * z2
    return r * ((((_SIN[0] + _SIN[1] * z) + (_SIN[2] + _SIN[3] * z) * z2)
                 + ((_SIN[4] + _SIN[5] * z) + (_SIN[6] + _SIN[7] * z) * z2) * z4) + _SIN[8] * (z4 * z4))


@njit(cache=True, inline="always")
def _cos_poly(r):
    """cos(r) for |r| <= pi/4: the Taylor polynomial in z = r^2, in Estrin's order."""
    z = r * r
    z2 = z * z
    z4 = z2 * z2
    return ((_COS[0] + _COS[1] * z) + (_COS[2] + _COS[3] * z) * z2) + (
        ((_COS[4] + _COS[5] * z) + (_COS[6] + _COS[7] * z) * z2) + _COS[8] * z4) * z4


@njit(cache=True, inline="always")
def sin_bounded(y):
    """sin(y), y in radians, for ``|y| < Y_EXACT`` only.

    Branch-free (vectorises); beyond the bound the reduction is not exact and the result is wrong
    (even outside [-1, 1]): loops over lanes check the bound and redo such lanes with ``sin``.
    """
    r, q = _reduce(y)
    v = _sin_poly(r) if (q == 0.0 or q == 2.0) else _cos_poly(r)
    return -v if q >= 2.0 else v


@njit(cache=True, inline="always")
def cos_bounded(y):
    """cos(y), y in radians, for ``|y| < Y_EXACT`` only (as ``sin_bounded``)."""
    r, q = _reduce(y)
    v = _cos_poly(r) if (q == 0.0 or q == 2.0) else _sin_poly(r)
    return -v if (q == 1.0 or q == 2.0) else v


@njit(cache=True, inline="always")
def sin(y):
    """sin(y) for every y: the branch-free form inside the bound, libm beyond it (or NaN/inf)."""
    return sin_bounded(y) if abs(y) < Y_EXACT else math.sin(y)


@njit(cache=True, inline="always")
def cos(y):
    """cos(y) for every y: the branch-free form inside the bound, libm beyond it (or NaN/inf)."""
    return cos_bounded(y) if abs(y) < Y_EXACT else math.cos(y)
