"""LEAKY_RELU, int8 or int16 (TFLM's QuantizeLeakyRelu<T>: the same constants, the type's clamp)."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_quantized
from tinyq.ops._unary import LUT_SOURCES, UnaryData, lower_lut, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier, tflm_requantize


@register_op("LEAKY_RELU")
def prepare(op: Op, g: Graph) -> UnaryData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype == "int16" or out.dtype == "int16":
        # TFLM's int16 LeakyRelu subtracts/adds the zero points like int8's: any zero point works.
        reason, dtype = need_quantized(op, g, [0, -1], ("int16",), int16_zero=False)
        if reason:
            raise Refusal(reason)
    else:
        unary_check(op, g)
        dtype = "int8"
    f = np.float32
    alpha = f(op.options.get("alpha", 0.2))
    # TFLM (commit 90b983c2, the SEANet suite's goldens) evaluates both ratios in float, then
    # widens to double. The newer tflite_micro interpreter `verify` runs divides in double:
    # measured on int16, 1 off on a few near-ties (leaky_relu1: 13 of all 65536 inputs).
    ma, sa = quantize_multiplier(float(f(f(inp.qscale) * alpha) / f(out.qscale)))
    mi, si = quantize_multiplier(float(f(inp.qscale) / f(out.qscale)))
    return unary_data(op, {
        "count": out.num_elements, "input_offset": inp.qzero, "output_offset": out.qzero,
        "mult_identity": mi, "shift_identity": si, "mult_alpha": ma, "shift_alpha": sa,
    }, dtype=dtype)


@variant("LEAKY_RELU", "portable", ["leaky_relu.c", "leaky_relu.h"], applies=lambda d: d.dtype == "int8",
         rows="count")
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "leaky_relu.h", "tq_leaky_relu_params", "tq_leaky_relu_s8")


def leaky_relu_s8(p: dict, x: int) -> int:
    """tq_leaky_relu_s8 on one value (TFLM's int8 LeakyRelu)."""
    v = x - p["input_offset"]
    r = tflm_requantize(v, p["mult_identity"], p["shift_identity"]) if v >= 0 else \
        tflm_requantize(v, p["mult_alpha"], p["shift_alpha"])
    return max(-128, min(127, p["output_offset"] + r))


@variant("LEAKY_RELU", "dsp", LUT_SOURCES, applies=lambda d: d.dtype == "int8", name="leaky_relu_lut", rows="count")
def lower_lut_s8(d: UnaryData, em: Emitter) -> None:
    lower_lut(d, em, lambda x: leaky_relu_s8(d.params, x))


@variant("LEAKY_RELU", "portable", ["leaky_relu.c", "leaky_relu.h"], applies=lambda d: d.dtype == "int16",
         name="leaky_relu_portable_s16", rows="count")
def lower_s16(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "leaky_relu.h", "tq_leaky_relu_params", "tq_leaky_relu_s16")
