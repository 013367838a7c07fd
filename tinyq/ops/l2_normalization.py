"""L2_NORMALIZATION, int8, over the last axis (output scale 1/128, zero point 0, as TFLM
requires): TFLM's integer L2Normalization."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

MAX_DEPTH = 1 << 16   # the int32 sum of squares is safe for this many elements


@register_op("L2_NORMALIZATION")
def prepare(op: Op, g: Graph) -> UnaryData:
    unary_check(op, g)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if out.qscale != 1.0 / 128 or out.qzero != 0:
        raise Refusal(f"the output must have scale 1/128 and zero point 0 (TFLM requires it), "
                      f"not {out.qscale:.6g} / {out.qzero}")
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise Refusal("a fused activation is not supported (TFLM has none for int8)")
    if not inp.shape or tuple(inp.shape) != tuple(out.shape):
        raise Refusal("input and output must have one shape")
    depth = int(inp.shape[-1])
    if depth > MAX_DEPTH:
        raise Refusal(f"rows of {depth} elements; at most {MAX_DEPTH}")
    return unary_data(op, {"outer": inp.num_elements // max(depth, 1), "depth": depth,
                           "input_zero_point": inp.qzero})


@variant("L2_NORMALIZATION", "portable", ["l2norm.c", "l2norm.h", "tq_fixedpoint.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "l2norm.h", "tq_l2norm_params", "tq_l2norm_s8")
