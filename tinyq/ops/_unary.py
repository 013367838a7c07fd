"""What the element-wise unary ops share: int8 checks, in-place pairs, TFLM's frexp multipliers."""
from __future__ import annotations

import math

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8
from tinyq.quant import round_half_away


def unary_check(op: Op, g: Graph) -> str | None:
    return need_int8(op, g, [0, -1])


def unary_inplace(op: Op, g: Graph) -> list[tuple[int, int]]:
    return [(0, 0)]


def frexp_multiplier(real: float) -> tuple[int, int]:
    """The (multiplier, exponent) LOGISTIC and TANH compute with frexp and round, without
    QuantizeMultiplier's renormalisation."""
    q, exponent = math.frexp(real)
    return round_half_away(q * (1 << 31)), exponent


def input_radius(integer_bits: int, left_shift: int, total_bits: int = 31) -> int:
    """TFLite's CalculateInputRadius."""
    max_rescaled = 1.0 * ((1 << integer_bits) - 1) * (1 << (total_bits - integer_bits)) / (1 << left_shift)
    return int(math.floor(max_rescaled))
