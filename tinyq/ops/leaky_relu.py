"""LEAKY_RELU, int8."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant
from tinyq.quant import quantize_multiplier


@register_op("LEAKY_RELU")
def prepare(op: Op, g: Graph) -> UnaryData:
    unary_check(op, g)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    f = np.float32
    alpha = f(op.options.get("alpha", 0.2))
    # TFLM evaluates both ratios in float, then widens to double.
    ma, sa = quantize_multiplier(float(f(f(inp.qscale) * alpha) / f(out.qscale)))
    mi, si = quantize_multiplier(float(f(inp.qscale) / f(out.qscale)))
    return unary_data(op, {
        "count": out.num_elements, "input_offset": inp.qzero, "output_offset": out.qzero,
        "mult_identity": mi, "shift_identity": si, "mult_alpha": ma, "shift_alpha": sa,
    })


@variant("LEAKY_RELU", "portable", ["leaky_relu.c", "leaky_relu.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "leaky_relu.h", "tq_leaky_relu_params", "tq_leaky_relu_s8")
