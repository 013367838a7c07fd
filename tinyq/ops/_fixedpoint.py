"""TFLM's int8 LOGISTIC and TANH arithmetic (gemmlowp fixed point) on Python ints, for tables made
at generation time. Each function follows firmware/kernels/tq_fixedpoint.h, logistic.c and
tanh.c step by step, int32 wrap and C's truncating division included, so a table of it holds
what the device kernel would compute for each of the 256 inputs."""
from __future__ import annotations

from tinyq.quant import tflm_requantize

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INPUT_INT_BITS = 4       # the Q4.27 input of both ops


def wrap32(x: int) -> int:
    return (x + 2**31) % 2**32 - 2**31


def _cdiv(a: int, b: int) -> int:
    """C's integer division (toward zero), b > 0."""
    return a // b if a >= 0 else -((-a) // b)


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    return _cdiv(ab + (1 << 30 if ab >= 0 else 1 - (1 << 30)), 1 << 31)


def rdbpot(x: int, exponent: int) -> int:
    """RoundingDivideByPOT: ties away from zero."""
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if (x & mask) > threshold else 0)


def sat_shl(x: int, e: int) -> int:
    threshold = (1 << (31 - e)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return wrap32(x << e)


def exp_quarter(a: int) -> int:
    """exp(a) for a in [-1/4, 0), 0 integer bits in and out."""
    constant_term, one_third = 1895147668, 715827883
    x = wrap32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    poly = rdbpot(wrap32(srdhm(wrap32(rdbpot(x4, 2) + x3), one_third) + x2), 1)
    return wrap32(constant_term + srdhm(constant_term, wrap32(x + poly)))


_EXP_MULTIPLIERS = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_neg(a: int, int_bits: int) -> int:
    """exp(a) for a <= 0 with `int_bits` integer bits; the result has 0."""
    frac_bits = 31 - int_bits
    one_quarter = 1 << (frac_bits - 2)
    a_mod = wrap32((a & (one_quarter - 1)) - one_quarter)
    result = exp_quarter(sat_shl(a_mod, int_bits))
    remainder = wrap32(a_mod - a)
    for k in range(-2, 5):
        if int_bits > k and remainder & (1 << (frac_bits + k)):
            result = srdhm(result, _EXP_MULTIPLIERS[k + 2])
    return INT32_MAX if a == 0 else result


def _half_sum(a: int, b: int) -> int:
    s = a + b
    return _cdiv(s + (1 if s >= 0 else -1), 2)


def _newton(a: int) -> tuple[int, int]:
    """(half denominator, x ~ 1/(1 + a) with 2 integer bits) after gemmlowp's three steps."""
    half_denominator = _half_sum(a, INT32_MAX)
    x = wrap32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        one_minus = wrap32((1 << 29) - srdhm(half_denominator, x))
        x = wrap32(x + sat_shl(srdhm(x, one_minus), 2))
    return half_denominator, x


def one_over_one_plus_x(a: int) -> int:
    return sat_shl(_newton(a)[1], 1)


def one_minus_x_over_one_plus_x(a: int) -> int:
    return sat_shl(wrap32(_newton(a)[1] - (1 << 29)), 2)


def _sat8(x: int) -> int:
    return max(-128, min(127, x))


def _q4(p: dict, x: int) -> int | None:
    """The input in Q4.27, or None where TFLM saturates it (the sign says which end)."""
    v = x - p["input_zero_point"]
    if abs(v) >= p["input_range_radius"]:
        return None
    return tflm_requantize(v, p["input_multiplier"], p["input_left_shift"])


def logistic_s8(p: dict, x: int) -> int:
    """tq_logistic_s8 of one input (`p`: sigmoid_fields)."""
    q4 = _q4(p, x)
    if q4 is None:
        return -128 if x - p["input_zero_point"] < 0 else 127
    if q4 == 0:
        r = 1 << 30
    else:
        pos = one_over_one_plus_x(exp_neg(-abs(q4), INPUT_INT_BITS))
        r = pos if q4 > 0 else INT32_MAX - pos
    return _sat8(rdbpot(r, 23) - 128)


def tanh_s8(p: dict, x: int) -> int:
    """tq_tanh_s8 of one input: exp(2 |x|) is the same raw value read with 5 integer bits."""
    q4 = _q4(p, x)
    if q4 is None:
        return -128 if x - p["input_zero_point"] < 0 else 127
    r = 0
    if q4 != 0:
        t = one_minus_x_over_one_plus_x(exp_neg(-abs(q4), 5))
        r = -t if q4 < 0 else t
    return _sat8(rdbpot(r, 24))
