"""MUL, int8, with broadcasting."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range
from tinyq.ops._elementwise import BinaryData, binary_check, binary_data, broadcast_init, lower_binary
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant
from tinyq.quant import quantize_multiplier


@register_op("MUL")
def prepare(op: Op, g: Graph) -> BinaryData:
    binary_check(op, g)
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    mult, shift = quantize_multiplier(a.qscale * b.qscale / out.qscale)
    act_min, act_max = fused_range(op, out)
    return binary_data(op, g, {
        "shape": broadcast_init(op, g), "in1_offset": -a.qzero, "in2_offset": -b.qzero,
        "out_mult": mult, "out_shift": shift, "out_offset": out.qzero, "act_min": act_min, "act_max": act_max,
    }, mac_count=out.num_elements)


@variant("MUL", "portable", ["mul.c", "mul.h", "tq_broadcast.h"])
def lower(d: BinaryData, em: Emitter) -> None:
    lower_binary(d, em, "mul.h", "tq_mul_params", "tq_mul_s8")
