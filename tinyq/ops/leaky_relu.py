"""LEAKY_RELU, int8."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._unary import unary_check, unary_inplace
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier


@register("LEAKY_RELU", sources=["leaky_relu.c", "leaky_relu.h"], check=unary_check, inplace=unary_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    f = np.float32
    alpha = f(op.options.get("alpha", 0.2))
    # TFLM evaluates both ratios in float, then widens to double.
    ma, sa = quantize_multiplier(float(f(f(inp.qscale) * alpha) / f(out.qscale)))
    mi, si = quantize_multiplier(float(f(inp.qscale) / f(out.qscale)))
    em.include("leaky_relu.h")
    p = em.params("tq_leaky_relu_params", {
        "count": out.num_elements, "input_offset": inp.qzero, "output_offset": out.qzero,
        "mult_identity": mi, "shift_identity": si, "mult_alpha": ma, "shift_alpha": sa,
    })
    em.call(f"tq_leaky_relu_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
