"""LOGISTIC, int8 (output scale 1/256, zero point -128)."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._unary import frexp_multiplier, input_radius, unary_check, unary_inplace
from tinyq.ops.registry import register

INPUT_INTEGER_BITS = 4


def sigmoid_fields(op: Op, g: Graph) -> dict[str, int]:
    """TFLM's Logistic/Tanh preparation: input scaled to Q4.27 via frexp."""
    inp = g.t(op.inputs[0])
    mult, shift = frexp_multiplier(inp.qscale * float(1 << (31 - INPUT_INTEGER_BITS)))
    return {"count": inp.num_elements, "input_zero_point": inp.qzero,
            "input_range_radius": input_radius(INPUT_INTEGER_BITS, shift),
            "input_multiplier": mult, "input_left_shift": shift}


def _check(op: Op, g: Graph) -> str | None:
    reason = unary_check(op, g)
    if not reason and g.t(op.outputs[0]).qzero != -128:
        return "int8 logistic output must have zero point -128"
    return reason


@register("LOGISTIC", sources=["logistic.c", "logistic.h", "tq_fixedpoint.h"], check=_check, inplace=unary_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    em.include("logistic.h")
    p = em.params("tq_sigmoid_params", sigmoid_fields(op, g))
    em.call(f"tq_logistic_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
