"""RELU, RELU_N1_TO_1 and RELU6 as standalone int8 ops (fused ones are a clamp in the producer)."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant
from tinyq.quant import quantize_multiplier, round_half_away


def _q(value: float, scale: float, zero_point: int) -> int:
    """zero_point + round(value / scale) with float32 division, as TFLM does."""
    return zero_point + round_half_away(float(np.float32(value) / np.float32(scale)))


@register_op("RELU", "RELU_N1_TO_1")
def prepare_relu(op: Op, g: Graph) -> UnaryData:
    unary_check(op, g)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    mult, shift = quantize_multiplier(inp.qscale / out.qscale)
    lo_f, hi_f = (-1.0, 1.0) if op.opcode == "RELU_N1_TO_1" else (0.0, None)
    act_min = max(-128, _q(lo_f, out.qscale, out.qzero))
    act_max = 127 if hi_f is None else min(127, _q(hi_f, out.qscale, out.qzero))
    return unary_data(op, {
        "count": out.num_elements, "input_offset": inp.qzero, "output_offset": out.qzero,
        "mult": mult, "shift": shift, "act_min": act_min, "act_max": act_max,
    })


@register_op("RELU6")
def prepare_relu6(op: Op, g: Graph) -> UnaryData:
    unary_check(op, g)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    # TFLM's Relu6 clamps in the input's quantization without requantizing.
    hi = int(np.clip(_q(6.0, inp.qscale, inp.qzero), -128, 127))
    return unary_data(op, {"count": out.num_elements, "lo": inp.qzero, "hi": hi})


for _name in ("RELU", "RELU_N1_TO_1"):
    @variant(_name, "portable", ["relu.c", "relu.h"])
    def lower_relu(d: UnaryData, em: Emitter) -> None:
        lower_unary(d, em, "relu.h", "tq_relu_params", "tq_relu_s8")


@variant("RELU6", "portable", ["relu.c", "relu.h"])
def lower_relu6(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "relu.h", "tq_clamp_params", "tq_clamp_s8")
