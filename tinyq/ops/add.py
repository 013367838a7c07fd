"""ADD, int8, with broadcasting; may run in place over an input of the output's shape."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range
from tinyq.ops._elementwise import binary_check, binary_inplace, broadcast_init
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier_smaller_than_one_exp

LEFT_SHIFT = 20  # TFLM's headroom for int8 ADD/SUB


def add_sub_check(op: Op, g: Graph) -> str | None:
    """binary_check, plus what TFLM's CalculateOpDataAdd/Sub require of the scales."""
    reason = binary_check(op, g)
    if reason:
        return reason
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    twice_max = 2.0 * max(a.qscale, b.qscale)
    if not 0.0 < twice_max / ((1 << LEFT_SHIFT) * out.qscale) < 1.0:
        return "output scale is too small for the inputs' scales (TFLM rejects it too)"
    return None


def add_sub_fields(op: Op, g: Graph) -> dict[str, object]:
    """TFLM's CalculateOpDataAdd/Sub: both inputs to twice the larger scale, in double."""
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    twice_max = 2.0 * max(a.qscale, b.qscale)
    m1, s1 = quantize_multiplier_smaller_than_one_exp(a.qscale / twice_max)
    m2, s2 = quantize_multiplier_smaller_than_one_exp(b.qscale / twice_max)
    mo, so = quantize_multiplier_smaller_than_one_exp(twice_max / ((1 << LEFT_SHIFT) * out.qscale))
    act_min, act_max = fused_range(op, out)
    return {
        "shape": broadcast_init(op, g), "in1_offset": -a.qzero, "in2_offset": -b.qzero,
        "in1_mult": m1, "in1_shift": s1, "in2_mult": m2, "in2_shift": s2,
        "out_mult": mo, "out_shift": so, "out_offset": out.qzero, "left_shift": LEFT_SHIFT,
        "act_min": act_min, "act_max": act_max,
    }


@register("ADD", sources=["add.c", "add.h", "tq_broadcast.h"], check=add_sub_check, inplace=binary_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    em.include("add.h")
    p = em.params("tq_add_params", add_sub_fields(op, g))
    em.call(f"tq_add_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])})")
