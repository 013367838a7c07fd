"""SQUARED_DIFFERENCE, int8 and int16 with broadcasting, as TFLM's quantized kernel."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._elementwise import BinaryData, binary_check, binary_data, broadcast_init, register_binary_variants
from tinyq.ops.registry import register_op
from tinyq.quant import f32, quantize_multiplier, quantize_multiplier_smaller_than_one_exp


@register_op("SQUARED_DIFFERENCE")
def prepare(op: Op, g: Graph) -> BinaryData:
    dtype = binary_check(op, g, ("int8", "int16"))
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    ls = 7 if dtype == "int8" else 0
    twice_max = 2.0 * max(a.qscale, b.qscale)
    m1, s1 = quantize_multiplier_smaller_than_one_exp(a.qscale / twice_max)
    m2, s2 = quantize_multiplier_smaller_than_one_exp(b.qscale / twice_max)
    # (1 << 2 ls) * output scale is a float product in TFLM
    mo, so = quantize_multiplier(twice_max * twice_max / f32((1 << (2 * ls)) * out.qscale))
    return binary_data(op, g, {
        "shape": broadcast_init(op, g), "left_shift": ls,
        "in1_offset": -a.qzero, "in1_mult": m1, "in1_shift": s1,
        "in2_offset": -b.qzero, "in2_mult": m2, "in2_shift": s2,
        "out_offset": out.qzero, "out_mult": mo, "out_shift": so,
    }, dtype=dtype)


register_binary_variants("SQUARED_DIFFERENCE", "squared_difference")
