"""LOGISTIC, int8 (output scale 1/256, zero point -128) or int16 (zero points 0, output scale 2^-15)."""
from __future__ import annotations

import math

from tinyq.ir import Graph, Op
from tinyq.ops._fixedpoint import logistic_s8
from tinyq.ops._lut16 import sigmoid_table_u16
from tinyq.ops._unary import (
    LUT_SOURCES,
    UnaryData,
    frexp_multiplier,
    input_radius,
    lower_table,
    lower_unary,
    own_op,
    product_tail,
    unary_check,
    unary_data,
)
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

INPUT_INTEGER_BITS = 4


def sigmoid_fields(op: Op, g: Graph) -> dict[str, int]:
    """TFLM's Logistic/Tanh preparation: input scaled to Q4.27 via frexp."""
    inp = g.t(op.inputs[0])
    mult, shift = frexp_multiplier(inp.qscale * float(1 << (31 - INPUT_INTEGER_BITS)))
    if shift < 0:
        # TFLM's input radius needs a non-negative left shift: an input scale below ~2^-28
        raise Refusal(f"input scale {inp.qscale:.3g} is too small for {op.opcode} (TFLM's Q4.27 input needs >= 2^-28)")
    return {"count": inp.num_elements, "input_zero_point": inp.qzero,
            "input_range_radius": input_radius(INPUT_INTEGER_BITS, shift),
            "input_multiplier": mult, "input_left_shift": shift}


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLite's CheckedLog2: (x is a power of two to within 1e-3 in log2, the rounded log2)."""
    lg = math.log(x) / math.log(2.0)
    r = math.floor(lg + 0.5) if lg >= 0 else -math.floor(-lg + 0.5)
    return abs(lg - r) < 1e-3, int(r)


def sigmoid_fields_s16(op: Op, g: Graph, pot_shifts: tuple[int, ...]) -> dict[str, object]:
    """TFLM's int16 LOGISTIC/TANH Prepare (3 integer input bits, 15 fractional output bits): a
    power-of-two input scale whose shift is one of `pot_shifts` multiplies by 3 << shift (the
    kernel's own "power of two case"); any other scale by the integer part of scale * 3 * 4096
    doubled until it exceeds 32767 / 2, with as many rounding right shifts."""
    unary_check(op, g, ("int16",))
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    pot, log2_in = checked_log2(inp.qscale)
    shift = 12 + log2_in
    if pot and shift in pot_shifts:
        mult, shift = 3 << shift, 0
    else:
        m, shift = inp.qscale * 4096.0 * 3.0, 0
        while m <= 32767.0 / 2.0 and shift <= 30:
            shift += 1
            m *= 2.0
        mult = int(m)
        if mult > 32767:
            raise Refusal(f"input scale {inp.qscale:.3g} is too large for the int16 {op.opcode} "
                          "(TFLM's multiplier must stay below 32768)")
    pot_out, log2_out = checked_log2(out.qscale)
    if not pot_out or log2_out != -15:
        raise Refusal(f"int16 {op.opcode} output scale must be 2^-15 (TFLM requires it), got {out.qscale:.6g}")
    return {"count": inp.num_elements, "input_multiplier": mult, "input_left_shift": shift}


def lower_sigmoid_s16(d: UnaryData, em: Emitter, header: str, func: str) -> None:
    """The int16 call: the parameters plus TFLite's sigmoid table (one copy per model)."""
    em.include(header)
    p = em.params("tq_sigmoid_s16_params", {**d.params, "table": em.const(sigmoid_table_u16(), "sigmoid")})
    em.call(f"{func}({p}, {em.tensor(d.input)}, {em.tensor(d.output)})")


@register_op("LOGISTIC")
def prepare(op: Op, g: Graph) -> UnaryData:
    if g.t(op.inputs[0]).dtype == "int16":
        return unary_data(op, sigmoid_fields_s16(op, g, (0,)), dtype="int16")
    own = own_op(op)
    unary_check(own, g)
    if g.t(own.outputs[0]).qzero != -128:
        raise Refusal("int8 logistic output must have zero point -128")
    return unary_data(op, sigmoid_fields(own, g), tail=product_tail(op, g))


@variant("LOGISTIC", "portable", ["logistic.c", "logistic.h", "tq_fixedpoint.h"],
         applies=lambda d: d.dtype == "int8" and d.tail is None)
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "logistic.h", "tq_sigmoid_params", "tq_logistic_s8")


@variant("LOGISTIC", "portable", ["logistic.c", "logistic.h", "tq_fixedpoint.h"], applies=lambda d: d.dtype == "int16",
         name="logistic_portable_s16")
def lower_s16(d: UnaryData, em: Emitter) -> None:
    lower_sigmoid_s16(d, em, "logistic.h", "tq_logistic_s16")


@variant("LOGISTIC", "dsp", LUT_SOURCES, name="logistic_lut", applies=lambda d: d.dtype == "int8" and d.tail is None)
def lower_lut(d: UnaryData, em: Emitter) -> None:
    """The int8 kernel's results as a table made at generation time (tinyq/ops/_fixedpoint.py)."""
    lower_table(d, em, lambda x: logistic_s8(d.params, x))


@variant("LOGISTIC", "portable", LUT_SOURCES, name="logistic_product_lut",
         applies=lambda d: d.dtype == "int8" and d.tail is not None)
def lower_product_lut(d: UnaryData, em: Emitter) -> None:
    """x * sigmoid(x) as one table (tinyq/passes/fuse_tables.py), on every core."""
    lower_table(d, em, lambda x: logistic_s8(d.params, x))
