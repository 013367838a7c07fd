"""LOG_SOFTMAX, int8 (output scale 16/256, zero point 127, as TFLM requires), over the last axis:
TFLM's LogSoftmaxQuantized in gemmlowp fixed point (Q5.26 differences, a Q12 sum of exps, a
fixed-point log)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.ops.softmax import SCALED_DIFF_INT_BITS, softmax_scaling
from tinyq.quant import quantize_multiplier_smaller_than_one_exp

OUTPUT_SCALE, OUTPUT_ZERO_POINT = 16.0 / 256, 127


@register_op("LOG_SOFTMAX")
def prepare(op: Op, g: Graph) -> UnaryData:
    unary_check(op, g)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if out.qscale != OUTPUT_SCALE or out.qzero != OUTPUT_ZERO_POINT:
        raise Refusal(f"int8 log_softmax output must have scale 16/256 and zero point 127 (TFLM requires it), "
                      f"not {out.qscale:.6g} / {out.qzero}")
    if tuple(inp.shape) != tuple(out.shape) or not inp.shape:
        raise Refusal("input and output must have one shape")
    if not inp.qscale * (1 << (31 - SCALED_DIFF_INT_BITS)) > 1.0:
        raise Refusal(f"input scale {inp.qscale:.3g} is too small for TFLM's int8 log_softmax")
    mult, shift, diff_min = softmax_scaling(1.0, inp.qscale)   # PreprocessLogSoftmaxScalingExp, beta 1
    rev_mult, rev_shift = quantize_multiplier_smaller_than_one_exp((1 << (31 - shift)) / mult)
    depth = int(inp.shape[-1])
    return unary_data(op, {
        "outer": inp.num_elements // max(depth, 1), "depth": depth, "input_multiplier": mult,
        "input_left_shift": shift, "reverse_multiplier": rev_mult, "reverse_shift": rev_shift,
        "diff_min": diff_min,
    }, in_place=False)


@variant("LOG_SOFTMAX", "portable", ["log_softmax.c", "log_softmax.h", "tq_fixedpoint.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "log_softmax.h", "tq_log_softmax_params", "tq_log_softmax_s8")
