"""What the element-wise unary ops share: int8 checks, the prepared record, TFLM's frexp multipliers."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8, need_quantized
from tinyq.ops.registry import Overlap, Prepared, Refusal, Rows, elementwise_rows
from tinyq.quant import round_half_away, tflm_requantize


@dataclass(frozen=True, eq=False)
class UnaryData(Prepared):
    """One input, one output, a C parameter struct. `in_place`: the kernel reads each element
    before it writes the same element of the output, so the two may share memory."""

    input: int
    output: int
    params: dict[str, Any]
    in_place: bool = True
    mac_count: int = 0
    dtype: str = "int8"     # the kernel's element type (the input's; QUANTIZE names the pair in its params)
    # a fused MUL of the input by this op's result (tinyq/passes/fuse_tables.py): its tq_mul_params
    # over 256 elements, and whether the input is its first operand
    tail: dict[str, Any] | None = None
    tail_x_first: bool = True

    def macs(self) -> int:
        return self.mac_count

    def overlaps(self) -> list[Overlap]:
        return [Overlap(self.input, self.output)] if self.in_place else []

    def row_deps(self, g: Graph) -> Rows | None:
        return elementwise_rows(g, (self.input,), self.output)


def unary_check(op: Op, g: Graph, dtypes: tuple[str, ...] = ("int8",), int16_zero: bool = True) -> str:
    """Input and output quantized, of one of `dtypes`; the type."""
    if dtypes == ("int8",):
        reason, dtype = need_int8(op, g, [0, -1]), "int8"
    else:
        reason, dtype = need_quantized(op, g, [0, -1], dtypes, int16_zero)
    if reason:
        raise Refusal(reason)
    return dtype


def unary_data(op: Op, params: dict[str, Any], in_place: bool = True, mac_count: int = 0,
               dtype: str = "int8", tail: tuple[dict[str, Any], bool] | None = None) -> UnaryData:
    t, x_first = tail if tail is not None else (None, True)
    return UnaryData(op.index, op.opcode, op.inputs[0], op.outputs[0], params, in_place, mac_count, dtype, t, x_first)


def own_op(op: Op) -> Op:
    """The op as it stands alone: with a fused epilogue, its own result as its output."""
    return replace(op, outputs=[op.body_output], epilogue=[], body_output=-1) if op.epilogue else op


def product_tail(op: Op, g: Graph) -> tuple[dict[str, Any], bool] | None:
    """For an op with a fused MUL of its input by its result (fuse_tables.py): the MUL's own
    parameters (TFLM's, from its prepare step) over 256 elements, and whether the op's input is
    the MUL's first operand; None without one."""
    if not op.epilogue:
        return None
    from tinyq.ops.mul import prepare as prepare_mul
    mul = op.epilogue[0]
    params = dict(prepare_mul(mul, g).params)
    params["shape"] = "{ .count = 256, .broadcast = 0 }"
    return params, mul.inputs[0] == op.inputs[0]


def lower_unary(d: UnaryData, em: Any, header: str, ctype: str, func: str) -> None:
    """The call the unary kernels share: (params, in, out)."""
    em.include(header)
    p = em.params(ctype, d.params)
    em.call(f"{func}({p}, {em.tensor(d.input)}, {em.tensor(d.output)})")


LUT_SOURCES = ["lut.c", "lut.h"]


def lut_table(f) -> np.ndarray:
    """int8[256] with table[u] = f(x) for x = (int8)u: what tq_lut_s8 indexes with (uint8_t)x."""
    xs = np.arange(256, dtype=np.int64)
    return np.array([f(int(x) - 256 if x >= 128 else int(x)) for x in xs], np.int8)


def lower_lut(d: UnaryData, em: Any, f) -> None:
    """An int8 element-wise op as a table of f (its exact arithmetic on Python ints)."""
    em.include("lut.h")
    p = em.params("tq_lut_params", {"count": d.params["count"], "table": em.const(lut_table(f), "lut")})
    em.call(f"tq_lut_s8({p}, {em.tensor(d.input)}, {em.tensor(d.output)})")


def mul_s8(p: dict[str, Any], a: int, b: int) -> int:
    """TFLM's int8 MUL (mul.c) of one pair, `p` its prepare fields."""
    r = tflm_requantize((a + p["in1_offset"]) * (b + p["in2_offset"]), p["out_mult"], p["out_shift"]) + p["out_offset"]
    return max(p["act_min"], min(p["act_max"], r))


def lower_table(d: UnaryData, em: Any, f) -> None:
    """An int8 element-wise op whose arithmetic `f` follows its device kernel step by step
    (tinyq/ops/_fixedpoint.py, hard_swish.py) as a table made here, in flash: no first-run fill
    (256 evaluations of the kernel, ~100,000 instructions for LOGISTIC) and no RAM. With a fused
    product (`d.tail`), TFLM's MUL of the input by f's result is in the table: x * f(x)."""
    t = d.tail
    if t is None:
        lower_lut(d, em, f)
    elif d.tail_x_first:
        lower_lut(d, em, lambda x: mul_s8(t, x, f(x)))
    else:
        lower_lut(d, em, lambda x: mul_s8(t, f(x), x))


def frexp_multiplier(real: float) -> tuple[int, int]:
    """The (multiplier, exponent) LOGISTIC and TANH compute with frexp and round, without
    QuantizeMultiplier's renormalisation."""
    q, exponent = math.frexp(real)
    return round_half_away(q * (1 << 31)), exponent


def input_radius(integer_bits: int, left_shift: int, total_bits: int = 31) -> int:
    """TFLite's CalculateInputRadius."""
    max_rescaled = 1.0 * ((1 << integer_bits) - 1) * (1 << (total_bits - integer_bits)) / (1 << left_shift)
    return int(math.floor(max_rescaled))
