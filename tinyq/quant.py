"""Quantization arithmetic done at generation time, replicating TFLM's reference helpers exactly.

Every constant the kernels need (multipliers, shifts, activation bounds) is computed here once, so
the device never touches float on the int8 path.
"""
from __future__ import annotations

import math

import numpy as np

from tinyq.errors import InternalError, ModelError

INT8_MIN, INT8_MAX = -128, 127


def round_half_away(x: float) -> int:
    """C's round()/std::round: halves go away from zero. Exact for any double."""
    f = math.floor(abs(x))
    r = f + 1 if abs(x) - f >= 0.5 else f
    return int(r) if x >= 0 else -int(r)


def quantize_multiplier(m: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: m ~= q * 2^(shift - 31) with q a Q31 int32 (double rounding build)."""
    if not math.isfinite(m) or m < 0.0:
        raise ModelError(f"a quantization scale ratio is {m}, which no int8 kernel can represent",
                         "the model's scales must be finite and positive: re-export it")
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return int(q_fixed), int(shift)


def quantize_multiplier_smaller_than_one_exp(m: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplierSmallerThanOneExp (shift is <= 0)."""
    if not 0.0 < m < 1.0:
        raise ModelError(f"a scale ratio that must lie in (0, 1) is {m}",
                         "the model's input and output scales are inconsistent: re-export it")
    q, shift = quantize_multiplier(m)
    if shift > 0:
        raise InternalError(f"QuantizeMultiplierSmallerThanOneExp({m}) gave shift {shift}", "tinyq.quant")
    return q, shift


def quantize_multiplier_greater_than_one(m: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplierGreaterThanOne: returns (multiplier, left_shift >= 0)."""
    if not m > 1.0:
        raise ModelError(f"a scale ratio that must exceed 1 is {m}",
                         "the model's input and output scales are inconsistent: re-export it")
    q, shift = quantize_multiplier(m)
    if shift < 0:
        raise InternalError(f"QuantizeMultiplierGreaterThanOne({m}) gave shift {shift}", "tinyq.quant")
    return q, shift


def f32(x: float) -> float:
    """Round a Python float to float32, as C++ does when it stores into a float."""
    return float(np.float32(x))


def activation_range(act: str, scale: float, zero_point: int,
                     qmin: int = INT8_MIN, qmax: int = INT8_MAX) -> tuple[int, int]:
    """TFLM's CalculateActivationRangeQuantized: the fused activation as int8 clamp bounds."""
    def q(v: float) -> int:
        # float division in float32, then std::round, as TFLM does
        return zero_point + round_half_away(float(np.float32(v) / np.float32(scale)))

    if act in ("NONE", None):
        return qmin, qmax
    if act == "RELU":
        return max(qmin, q(0.0)), qmax
    if act == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if act == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"fused activation {act} is not supported on a quantized op")


def tflm_requantize(acc: int, mult: int, shift: int) -> int:
    """TFLM's MultiplyByQuantizedMultiplier on Python ints (double rounding)."""
    left, right = max(shift, 0), max(-shift, 0)
    a = ((acc << left) + 2**31) % 2**32 - 2**31          # int32 wrap, as the device
    if a == mult == -2**31:
        x = 2**31 - 1
    else:
        ab = a * mult
        nudge = 2**30 if ab >= 0 else 1 - 2**30
        v = ab + nudge
        x = v // 2**31 if v >= 0 else -((-v) // 2**31)    # C division truncates toward zero
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> right) + (1 if (x & mask) > threshold else 0)
