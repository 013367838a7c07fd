"""SOFTMAX, int8 in and out (output scale 1/256, zero point -128, as TFLM requires)."""
from __future__ import annotations

import math

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier

SCALED_DIFF_INT_BITS = 5


def softmax_scaling(beta: float, input_scale: float) -> tuple[int, int, int]:
    """TFLite's PreprocessSoftmaxScaling and CalculateInputRadius: (multiplier, left shift, diff_min)."""
    real = min(beta * input_scale * (1 << (31 - SCALED_DIFF_INT_BITS)), float((1 << 31) - 1))
    mult, shift = quantize_multiplier(real)
    max_rescaled = 1.0 * ((1 << SCALED_DIFF_INT_BITS) - 1) * (1 << (31 - SCALED_DIFF_INT_BITS)) / (1 << shift)
    return mult, shift, -int(math.floor(max_rescaled))


def _check(op: Op, g: Graph) -> str | None:
    reason = need_int8(op, g, [0, -1])
    if reason:
        return reason
    out = g.t(op.outputs[0])
    if out.qzero != -128 or abs(out.qscale - 1 / 256) > 1e-8 * 256:
        return "int8 softmax output must have scale 1/256 and zero point -128"
    return None


@register("SOFTMAX", sources=["softmax.c", "softmax.h", "tq_fixedpoint.h"], check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp = g.t(op.inputs[0])
    beta = float(op.options.get("beta", 1.0))
    mult, shift, diff_min = softmax_scaling(beta, inp.qscale)
    depth = inp.shape[-1]
    em.include("softmax.h")
    p = em.params("tq_softmax_params", {
        "outer": inp.num_elements // depth, "depth": depth, "input_multiplier": mult,
        "input_left_shift": shift, "diff_min": diff_min,
    })
    em.call(f"tq_softmax_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
