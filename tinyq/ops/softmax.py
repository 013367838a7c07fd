"""SOFTMAX, int8 in and out (output scale 1/256, zero point -128, as TFLM requires)."""
from __future__ import annotations

import math

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier

SCALED_DIFF_INT_BITS = 5


def softmax_scaling(beta: float, input_scale: float) -> tuple[int, int, int]:
    """TFLite's PreprocessSoftmaxScaling and CalculateInputRadius: (multiplier, left shift, diff_min)."""
    real = min(beta * input_scale * (1 << (31 - SCALED_DIFF_INT_BITS)), float((1 << 31) - 1))
    mult, shift = quantize_multiplier(real)
    max_rescaled = 1.0 * ((1 << SCALED_DIFF_INT_BITS) - 1) * (1 << (31 - SCALED_DIFF_INT_BITS)) / (1 << shift)
    return mult, shift, -int(math.floor(max_rescaled))


@register_op("SOFTMAX")
def prepare(op: Op, g: Graph) -> UnaryData:
    """Not declared in place (the kernel was never checked for it)."""
    unary_check(op, g)
    out = g.t(op.outputs[0])
    if out.qzero != -128 or abs(out.qscale - 1 / 256) > 1e-8 * 256:
        raise Refusal("int8 softmax output must have scale 1/256 and zero point -128")
    inp = g.t(op.inputs[0])
    beta = float(op.options.get("beta", 1.0))
    if not beta * inp.qscale * (1 << (31 - SCALED_DIFF_INT_BITS)) >= 0.5:
        # below that TFLM's input multiplier needs a negative left shift, which its kernel cannot do
        raise Refusal(f"beta {beta:.3g} x input scale {inp.qscale:.3g} is too small for the int8 softmax")
    mult, shift, diff_min = softmax_scaling(beta, inp.qscale)
    depth = inp.shape[-1]
    return unary_data(op, {
        "outer": inp.num_elements // depth, "depth": depth, "input_multiplier": mult,
        "input_left_shift": shift, "diff_min": diff_min,
    }, in_place=False)


@variant("SOFTMAX", "portable", ["softmax.c", "softmax.h", "tq_fixedpoint.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "softmax.h", "tq_softmax_params", "tq_softmax_s8")
