"""PRELU, int8, alpha broadcast against the input (TFLM's BroadcastPrelu4DSlow): x >= 0 is
rescaled by in/out, x < 0 by in * alpha / out, each with its own QuantizeMultiplier."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._elementwise import BinaryData, binary_check, binary_data, broadcast_init, lower_binary
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier


@register_op("PRELU")
def prepare(op: Op, g: Graph) -> BinaryData:
    binary_check(op, g)
    inp, alpha, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if alpha.per_channel:
        raise Refusal("per-channel quantized alpha is not supported (TFLM reads one scale)")
    m1, s1 = quantize_multiplier(inp.qscale / out.qscale)
    m2, s2 = quantize_multiplier(inp.qscale * alpha.qscale / out.qscale)
    return binary_data(op, g, {
        "shape": broadcast_init(op, g), "input_offset": -inp.qzero, "alpha_offset": -alpha.qzero,
        "output_offset": out.qzero, "mult_pos": m1, "shift_pos": s1, "mult_neg": m2, "shift_neg": s2,
    })


@variant("PRELU", "portable", ["prelu.c", "prelu.h", "tq_broadcast.h"], rows="bcast")
def lower(d: BinaryData, em: Emitter) -> None:
    lower_binary(d, em, "prelu.h", "tq_prelu_params", "tq_prelu_s8")
