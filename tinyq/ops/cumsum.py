"""CUMSUM, int8, along a constant axis (exclusive, reverse), as TFLM's reference CumSum."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8
from tinyq.ops._copy import const_ints
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier_smaller_than_one_exp

LEFT_SHIFT = 20   # TFLM's kCumSumIntegerShift


@register_op("CUMSUM")
def prepare(op: Op, g: Graph) -> UnaryData:
    reason = need_int8(op, g, [0, -1])
    if reason:
        raise Refusal(reason)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    shape = [int(v) for v in inp.shape]
    axis = const_ints(g, op.inputs[1], "axis")
    if len(axis) != 1 or not shape or not -len(shape) <= axis[0] < len(shape) or out.shape != inp.shape:
        raise Refusal(f"axis {axis} must be one dimension of the {len(shape)}-D input (and the output its shape)")
    a = axis[0] % len(shape)
    twice = 2.0 * inp.qscale
    im, ish = quantize_multiplier_smaller_than_one_exp(inp.qscale / twice)
    om, osh = quantize_multiplier_smaller_than_one_exp(twice / ((1 << LEFT_SHIFT) * out.qscale))
    return unary_data(op, {
        "before": int(np.prod(shape[:a], dtype=np.int64)), "depth": shape[a],
        "after": int(np.prod(shape[a + 1:], dtype=np.int64)),
        "exclusive": int(bool(op.options.get("exclusive", False))), "reverse": int(bool(op.options.get("reverse", False))),
        "input_offset": -inp.qzero, "input_mult": im, "input_shift": ish, "output_mult": om, "output_shift": osh,
        "output_offset": out.qzero, "act_min": -128, "act_max": 127,
    }, in_place=False)


@variant("CUMSUM", "portable", ["cumsum.c", "cumsum.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "cumsum.h", "tq_cumsum_params", "tq_cumsum_s8")
