"""SOFTMAX: int8 in and out (output scale 1/256, zero point -128), int8 in and int16 out (scale
1/65536, zero point -32768), or int16 in and out (scale 1/32768, zero point 0), as TFLM requires."""
from __future__ import annotations

import math

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_quantized
from tinyq.ops._lut16 import softmax_luts
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


def prepare_s16(op: Op, g: Graph) -> UnaryData:
    """TFLM's int16 SOFTMAX: the input difference rescaled so [-65535, 0] spans [-10, 0], two
    513-entry tables (exp, 1/(1+x)) built in Prepare, output scale 1/32768 zero point 0."""
    unary_check(op, g, ("int16",), int16_zero=False)   # the row maximum cancels any input zero point
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if out.qzero != 0 or abs(out.qscale - 1 / 32768) > 0.001 / 32768:
        raise Refusal("int16 softmax output must have scale 1/32768 and zero point 0 (TFLM requires it)")
    mult, shift = quantize_multiplier(inp.qscale * float(op.options.get("beta", 1.0)) / (10.0 / 65535.0))
    depth = inp.shape[-1]
    return unary_data(op, {"outer": inp.num_elements // depth, "depth": depth,
                           "input_multiplier": mult, "input_left_shift": shift},
                      in_place=False, dtype="int16")


@register_op("SOFTMAX")
def prepare(op: Op, g: Graph) -> UnaryData:
    """Not declared in place (the kernels write the output before they are done reading a row)."""
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype == "int16":
        return prepare_s16(op, g)
    if out.dtype == "int16":
        reason, _ = need_quantized(op, g, [0], ("int8",))
        if reason or not out.is_quantized:
            raise Refusal(reason or "the int16 output must be quantized")
        if out.qzero != -32768 or abs(out.qscale - 1 / 65536) > 0.001 / 65536:
            raise Refusal("int8 -> int16 softmax output must have scale 1/65536 and zero point -32768 "
                          "(TFLM requires it)")
        dtype = "int8_int16"
    else:
        unary_check(op, g)
        if out.qzero != -128 or abs(out.qscale - 1 / 256) > 1e-8 * 256:
            raise Refusal("int8 softmax output must have scale 1/256 and zero point -128")
        dtype = "int8"
    beta = float(op.options.get("beta", 1.0))
    if not beta * inp.qscale * (1 << (31 - SCALED_DIFF_INT_BITS)) >= 0.5:
        # below that TFLM's input multiplier needs a negative left shift, which its kernel cannot do
        raise Refusal(f"beta {beta:.3g} x input scale {inp.qscale:.3g} is too small for the int8 softmax")
    mult, shift, diff_min = softmax_scaling(beta, inp.qscale)
    depth = inp.shape[-1]
    return unary_data(op, {
        "outer": inp.num_elements // depth, "depth": depth, "input_multiplier": mult,
        "input_left_shift": shift, "diff_min": diff_min,
    }, in_place=False, dtype=dtype)


SOURCES = ["softmax.c", "softmax.h", "tq_fixedpoint.h"]


@variant("SOFTMAX", "portable", SOURCES, applies=lambda d: d.dtype == "int8")
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "softmax.h", "tq_softmax_params", "tq_softmax_s8")


@variant("SOFTMAX", "portable", SOURCES, applies=lambda d: d.dtype == "int8_int16", name="softmax_portable_s8_s16")
def lower_s8_s16(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "softmax.h", "tq_softmax_params", "tq_softmax_s8_s16")


@variant("SOFTMAX", "portable", SOURCES, applies=lambda d: d.dtype == "int16", name="softmax_portable_s16")
def lower_s16(d: UnaryData, em: Emitter) -> None:
    exp_lut, recip_lut = softmax_luts()
    em.include("softmax.h")
    p = em.params("tq_softmax_s16_params", {
        **d.params, "exp_lut": em.const(exp_lut, "exp_lut"), "one_over_one_plus_x_lut": em.const(recip_lut, "recip_lut"),
    })
    em.call(f"tq_softmax_s16({p}, {em.tensor(d.input)}, {em.tensor(d.output)})")
