"""DIV, int8 with broadcasting and a fused activation, as TFLM's reference DivElementwise."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range
from tinyq.ops._elementwise import BinaryData, binary_check, binary_data, broadcast_init, lower_binary
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant
from tinyq.quant import f32, quantize_multiplier


@register_op("DIV")
def prepare(op: Op, g: Graph) -> BinaryData:
    binary_check(op, g)
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    # the scale ratio is a float expression in TFLM, widened to double afterwards
    mult, shift = quantize_multiplier(f32(a.qscale / f32(b.qscale * out.qscale)))
    lo, hi = fused_range(op, out)
    return binary_data(op, g, {"shape": broadcast_init(op, g), "in1_offset": -a.qzero, "in2_offset": -b.qzero,
                               "out_offset": out.qzero, "mult": mult, "shift": shift, "act_min": lo, "act_max": hi})


@variant("DIV", "portable", ["div.c", "div.h", "tq_broadcast.h", "tq_fixedpoint.h"])
def lower(d: BinaryData, em: Emitter) -> None:
    lower_binary(d, em, "div.h", "tq_div_params", "tq_div_s8")
