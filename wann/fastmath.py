"""Branch-free sin(pi x), cos(pi x), exp (x <= 0) and tanh that LLVM can vectorise.

numba's math.sin/exp/tanh are scalar libm calls (no SIMD vector library is
available to llvmlite here), so loops over lanes that call them never
vectorise. These versions use exact range reduction and polynomials only, so a
loop over contiguous lanes compiles to SIMD code. sin(pi x) and cos(pi x) are
evaluated as the reference does, sin(fl(pi * x)), with ``envs.trig``'s
reduction and polynomials, so they agree with numpy even at the zeros (sin(pi)
= 1.2e-16, as numpy has it); the reduction is exact for |x| < 2^20
(``PI_X_EXACT``), ``sin_pi``/``cos_pi`` fall back to libm beyond it, and lane
loops use the ``_bounded`` forms and redo the rare lanes beyond it. exp's
polynomial runs in Estrin's order, as ``envs.trig``'s (since version 0.2.0;
the results differ from Horner's in the last bits). Accuracy: a few ulp of the
true value (tests hold them to numpy's functions within 1e-15 relative to the
argument scale).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from envs.trig import cos_bounded, sin_bounded

PI_X_EXACT = 2.0**20  # |x| below which the reduction of fl(pi x) is exact (n = round(2x) stays below 2^21)
# exp(r) Taylor coefficients, |r| <= ln2/2, to r^13 (the r^14 term is below 6e-18 relative: 0.05 ulp)
_EXP = np.array([1.0 / math.factorial(k) for k in range(14)])
_ROUND_MAGIC = 6755399441055744.0  # 1.5 * 2^52: the low bits of (n + this) hold the integer n
_ROUND_MAGIC_BITS = 0x4338000000000000
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


@njit(cache=True, inline="always")
def sin_pi_bounded(x):
    """sin(pi x) as sin(fl(pi * x)), like numpy's ``np.sin(np.pi * x)``, for ``|x| < PI_X_EXACT`` only
    (loops over lanes check the bound and redo such lanes with ``sin_pi``)."""
    return sin_bounded(math.pi * x)


@njit(cache=True, inline="always")
def cos_pi_bounded(x):
    """cos(pi x) as cos(fl(pi * x)), like numpy's ``np.cos(np.pi * x)``, for ``|x| < PI_X_EXACT`` only."""
    return cos_bounded(math.pi * x)


@njit(cache=True, inline="always")
def sin_pi(x):
    """sin(fl(pi * x)) for every x: the branch-free form inside the bound, libm beyond it (or NaN/inf)."""
    return sin_pi_bounded(x) if abs(x) < PI_X_EXACT else math.sin(math.pi * x)


@njit(cache=True, inline="always")
def cos_pi(x):
    """cos(fl(pi * x)) for every x: the branch-free form inside the bound, libm beyond it (or NaN/inf)."""
    return cos_pi_bounded(x) if abs(x) < PI_X_EXACT else math.cos(math.pi * x)


@intrinsic
def _bits_of(typingctx, x):
    """The IEEE bits of a float64 as an int64 (an LLVM bitcast: vectorises, unlike a table gather)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@intrinsic
def _float_of(typingctx, x):
    """The float64 whose IEEE bits are the int64 ``x``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@njit(cache=True, inline="always")
def exp_neg(y):
    """exp(y) for y <= 0 (y > 0 is clamped to 0); 0 below -708 (no subnormals; error < 2.3e-308)."""
    y = min(max(y, -745.0), 0.0)
    v = max(y, -708.0)
    n = np.floor(v * _LOG2E + 0.5)
    r = (v - n * _LN2_HI) - n * _LN2_LO
    r2 = r * r
    r4 = r2 * r2
    p = (((_EXP[0] + _EXP[1] * r) + (_EXP[2] + _EXP[3] * r) * r2)
         + ((_EXP[4] + _EXP[5] * r) + (_EXP[6] + _EXP[7] * r) * r2) * r4) + (
        ((_EXP[8] + _EXP[9] * r) + (_EXP[10] + _EXP[11] * r) * r2)
        + (_EXP[12] + _EXP[13] * r) * r4) * (r4 * r4)
    e = p * _float_of((_bits_of(n + _ROUND_MAGIC) - _ROUND_MAGIC_BITS + 1023) << 52)  # p * 2^n
    return 0.0 if y < -708.0 else e


@njit(cache=True, inline="always")
def tanh(x):
    """tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|)."""
    e = exp_neg(-2.0 * abs(x))
    t = (1.0 - e) / (1.0 + e)
    return t if x >= 0.0 else -t
