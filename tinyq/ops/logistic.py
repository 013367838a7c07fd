"""LOGISTIC, int8 (output scale 1/256, zero point -128)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, frexp_multiplier, input_radius, lower_unary, unary_check, unary_data
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


@register_op("LOGISTIC")
def prepare(op: Op, g: Graph) -> UnaryData:
    unary_check(op, g)
    if g.t(op.outputs[0]).qzero != -128:
        raise Refusal("int8 logistic output must have zero point -128")
    return unary_data(op, sigmoid_fields(op, g))


@variant("LOGISTIC", "portable", ["logistic.c", "logistic.h", "tq_fixedpoint.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "logistic.h", "tq_sigmoid_params", "tq_logistic_s8")
