"""MUL, int8 or int16, with broadcasting."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range_of
from tinyq.ops._elementwise import BinaryData, binary_check, binary_data, broadcast_init, register_binary_variants
from tinyq.ops.registry import register_op
from tinyq.quant import quantize_multiplier


@register_op("MUL")
def prepare(op: Op, g: Graph) -> BinaryData:
    dtype = binary_check(op, g, ("int8", "int16"))
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    mult, shift = quantize_multiplier(a.qscale * b.qscale / out.qscale)
    act_min, act_max = fused_range_of(op, out)
    return binary_data(op, g, {
        "shape": broadcast_init(op, g), "in1_offset": -a.qzero, "in2_offset": -b.qzero,
        "out_mult": mult, "out_shift": shift, "out_offset": out.qzero, "act_min": act_min, "act_max": act_max,
    }, mac_count=out.num_elements, dtype=dtype)


register_binary_variants("MUL", "mul")
