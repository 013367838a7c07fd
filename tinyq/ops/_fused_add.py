"""The residual ADD fused into the DSP convolutions (firmware/kernels/conv_2d_dsp_window.h), as two
tables whose sum is TFLM's Add.

TFLM's int8 Add of a and b is a function of the two bytes alone: 65,536 cases, all computed here
(`add_outputs`). The kernel wants one table entry per operand byte and as little arithmetic as
possible after them: out = SSAT8((A[a] + B[b]) >> shift). Tables that give TFLM's output in every
one of the 65,536 cases are the solution of a system of difference constraints (each case bounds
A[a] + B[b] to one interval; `sum_tables` solves it by Bellman-Ford). TFLM's output is a rounding
of a linear function of the operands' rescaled sum, so a real solution exists, and with a shift of
at least 8 an integer one too (a cycle of the constraint graph has at most 256 bounds rounded by 1
each, against a slack of 2^shift). int16 entries with shift 7 are tried first (half the flash),
int32 with shift 8 next (SUM_FORMS). Each solution is checked over all 65,536 cases; should none
be found the kernel keeps TFLM's arithmetic (TQ_ADD_FORM_EXACT). The tables are indexed by the
operand's byte read unsigned (value & 255), so the kernel adds no offset to its index."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from tinyq.ops.constants import (
    TQ_ADD_FORM_EXACT,
    TQ_ADD_FORM_SUM16,
    TQ_ADD_FORM_SUM32,
    TQ_ADD_LUT_SIZE,
    TQ_ADD_SUM16_SHIFT,
    TQ_ADD_SUM32_SHIFT,
)

_BYTES = np.arange(TQ_ADD_LUT_SIZE, dtype=np.int64)
SIGNED = np.where(_BYTES < 128, _BYTES, _BYTES - 256)     # the int8 value of each table index


def tflm_requantize_np(acc: np.ndarray, mult: int, shift: int) -> np.ndarray:
    """quant.tflm_requantize (TFLM's MultiplyByQuantizedMultiplier) over an int64 array."""
    left, right = max(shift, 0), max(-shift, 0)
    a = ((np.asarray(acc, np.int64) << left) + 2**31) % 2**32 - 2**31      # int32 wrap, as the device
    ab = a * mult
    v = ab + np.where(ab >= 0, 2**30, 1 - 2**30)
    x = np.where(v >= 0, v // 2**31, -((-v) // 2**31))                   # C division truncates
    if mult == -2**31:
        x = np.where(a == -2**31, 2**31 - 1, x)
    mask = (1 << right) - 1
    return (x >> right) + ((x & mask) > (mask >> 1) + (x < 0))


def rescaled(f: dict, k: int) -> np.ndarray:
    """TFLM Add's rescaled operand k (1 or 2), ((x + offset) << left_shift) times its multiplier,
    per table index."""
    return tflm_requantize_np((SIGNED + f[f"in{k}_offset"]) << f["left_shift"], f[f"in{k}_mult"], f[f"in{k}_shift"])


def add_outputs(f: dict, conv_first: bool) -> np.ndarray:
    """[conv byte, residual byte] -> TFLM's Add output saturated to int8 (before the activation
    clamp, which lies within int8), both indexed by the byte read unsigned."""
    conv, res = (rescaled(f, 1), rescaled(f, 2)) if conv_first else (rescaled(f, 2), rescaled(f, 1))
    y = tflm_requantize_np(conv[:, None] + res[None, :], f["out_mult"], f["out_shift"]) + f["out_offset"]
    return np.clip(y, -128, 127)


def sum_tables(t: np.ndarray, shift: int, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer tables A, B in [-limit, limit) with clip((A[i] + B[j]) >> shift, -128, 127) ==
    t[i, j] for every i, j, or None where none exist.

    Each case bounds A[i] + B[j] to [t 2^shift, (t + 1) 2^shift) (a saturated t on one side
    only). With C = -B these are difference constraints A[i] - C[j] <= hi, C[j] - A[i] <= -lo,
    and the range ones against a zero node z; Bellman-Ford from all zeros relaxes them to the
    greatest solution below 0, or keeps going (a negative cycle: infeasible)."""
    big = 2**62
    lo = np.where(t > -128, t << shift, -big)
    hi = np.where(t < 127, ((t + 1) << shift) - 1, big)
    n, m = t.shape
    a, c, z = np.zeros(n, np.int64), np.zeros(m, np.int64), 0
    for _ in range(n + m + 2):
        a2 = np.minimum(np.minimum(a, (c[None, :] + hi).min(axis=1)), z + limit - 1)
        c2 = np.minimum(np.minimum(c, (a2[:, None] - lo).min(axis=0)), z + limit)
        z2 = min(z, int(a2.min()) + limit, int(c2.min()) + limit - 1)
        if z2 == z and np.array_equal(a2, a) and np.array_equal(c2, c):
            break
        a, c, z = a2, c2, z2
    else:
        return None
    a, b = a - z, z - c
    if not np.array_equal(np.clip((a[:, None] + b[None, :]) >> shift, -128, 127), t):
        return None
    if min(a.min(), b.min()) < -limit or max(a.max(), b.max()) >= limit:
        return None
    return a, b


# The sum forms, smallest entries first: (form, entry type, shift, entries' bound). int16 entries
# with shift 7 hold 256 output steps of 128 each: enough while the output's scale is at most about
# twice as fine as the inputs' (a fused RELU's sum); int32 with shift 8, any.
SUM_FORMS: tuple[tuple[int, type, int, int], ...] = (
    (TQ_ADD_FORM_SUM16, np.int16, TQ_ADD_SUM16_SHIFT, 2**15),
    (TQ_ADD_FORM_SUM32, np.int32, TQ_ADD_SUM32_SHIFT, 2**30),
)


@lru_cache(maxsize=64)
def _solve(key: tuple[tuple[str, int], ...], conv_first: bool,
           forms: tuple[tuple[int, type, int, int], ...]) -> tuple[int, np.ndarray, np.ndarray]:
    t = add_outputs(dict(key), conv_first)
    for form, dtype, shift, limit in forms:
        ab = sum_tables(t, shift, limit)
        if ab is not None:
            return form, ab[0].astype(dtype), ab[1].astype(dtype)
    return TQ_ADD_FORM_EXACT, np.zeros(0, np.int32), np.zeros(0, np.int32)


def fused_add_tables(f: dict, conv_first: bool) -> tuple[int, np.ndarray, np.ndarray]:
    """(form, conv operand's table, residual's table) for the DSP convolution's fused ADD: the
    first of SUM_FORMS whose tables reproduce TFLM; else (TQ_ADD_FORM_EXACT) TFLM's own rescaled
    operands (int32), which the kernel sums and requantizes with TFLM's arithmetic."""
    keys = ("in1_offset", "in2_offset", "in1_mult", "in1_shift", "in2_mult", "in2_shift", "left_shift",
            "out_mult", "out_shift", "out_offset")
    form, conv, res = _solve(tuple((k, int(f[k])) for k in keys), conv_first, SUM_FORMS)
    if form == TQ_ADD_FORM_EXACT:
        conv, res = (rescaled(f, 1), rescaled(f, 2)) if conv_first else (rescaled(f, 2), rescaled(f, 1))
        return form, conv.astype(np.int32), res.astype(np.int32)
    return form, conv, res
