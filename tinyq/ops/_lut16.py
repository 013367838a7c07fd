"""The lookup tables TFLM's int16 LOGISTIC, TANH and SOFTMAX read, computed at generation time
(TFLM builds them in Prepare; here they become `static const` arrays in the generated model)."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from tinyq.quant import round_half_away

# TFLite's sigmoid table (sigmoid(i / 24) in 0.16 fixed point, 256 entries) is not a plain
# rounding of the function: its entries are round(65536 * sigmoid(i / 24)) plus 0 or 1, chosen
# by its authors for the linear interpolation between entries. The bit per entry, entry 0 first:
_SIGMOID_PLUS_ONE = (
    "0000100010001011110111100101111101110101110111100110001000000011"
    "1010000000000000001000100000010000001001000000001000100000000000"
    "0000000100000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000001")


def sigmoid_table_u16() -> np.ndarray:
    """uint16[256]: the table both LOGISTIC and TANH (tanh(x) = 2 sigmoid(2x) - 1) interpolate."""
    base = [round_half_away(65536.0 / (1.0 + math.exp(-i / 24.0))) for i in range(256)]
    return np.array([b + int(c) for b, c in zip(base, _SIGMOID_PLUS_ONE)], np.uint16)


F32 = np.float32


def _round(x: np.float32) -> np.float32:
    """std::round on a float: halves away from zero (exact: a float32 is exact as a double)."""
    return F32(round_half_away(float(x)))


def gen_lut_s16(func: Callable[[np.float32], np.float32], lo: float, hi: float) -> np.ndarray:
    """int16[513] as TFLM's gen_lut<float, int16_t, int16_t> builds it for outputs in [-1, 1]:
    512 samples of `func` on [lo, hi] in float32 arithmetic, each lowered by half the error the
    linear interpolation makes at the segment's midpoint, and func(hi) for the last slope."""
    steps = 512
    lo32, hi32 = F32(lo), F32(hi)
    step = F32((hi32 - lo32) / F32(steps))
    half = F32(step / F32(2))
    inv = F32(F32(65536) / F32(F32(1) - F32(-1)))
    out = np.zeros(steps + 1, np.int16)
    for i in range(steps):
        x = F32(lo32 + F32(F32(i) * step))
        val = func(x)
        mid = func(F32(x + half))
        nxt = func(F32(lo32 + F32(F32(i + 1) * step)))
        sample = _round(F32(val * inv))
        interp = _round(F32(F32(F32(nxt * inv) + _round(F32(val * inv))) / F32(2)))
        bias = _round(F32(F32(interp - _round(F32(mid * inv))) / F32(2)))
        out[i] = int(min(max(float(sample - bias), -32768.0), 32767.0))
    out[steps] = int(min(max(float(_round(F32(func(hi32) * inv))), -32768.0), 32767.0))
    return out


def exp_f32(x: np.float32) -> np.float32:
    """expf, correctly rounded (glibc's expf is, to within its documented 0.5 ulp)."""
    return F32(math.exp(float(x)))


def one_over_one_plus_x_f32(x: np.float32) -> np.float32:
    return F32(F32(1) / F32(F32(1) + x))


def softmax_luts() -> tuple[np.ndarray, np.ndarray]:
    """(exp on [-10, 0], 1 / (1 + x) on [0, 1]): TFLM's int16 SOFTMAX tables."""
    return gen_lut_s16(exp_f32, -10.0, 0.0), gen_lut_s16(one_over_one_plus_x_f32, 0.0, 1.0)
