"""HARD_SWISH, int8, in TFLM's 16-bit fixed-point formulation."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._unary import LUT_MIN_COUNT, LUT_SOURCES, UnaryData, lower_lut_on_device, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier


def downscale_to_int16(multiplier: int) -> int:
    """TFLite's DownScaleInt32ToInt16Multiplier: Q31 -> Q15, rounded, saturated."""
    if multiplier >= 2**31 - 1 - (1 << 15):
        return 2**15 - 1
    return (multiplier + (1 << 15)) >> 16


def _multipliers(in_scale: float, out_scale: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """((reluish mult, exponent), (output mult, exponent)), float32 as in TFLM."""
    f = np.float32
    hires = f(f(1.0 / 128.0) * f(in_scale))
    reluish_scale = f(3.0 / 32768.0)
    rm, re = quantize_multiplier(float(f(hires / reluish_scale)))
    om, oe = quantize_multiplier(float(f(hires / f(out_scale))))
    return (downscale_to_int16(rm), re), (downscale_to_int16(om), oe)


@register_op("HARD_SWISH")
def prepare(op: Op, g: Graph) -> UnaryData:
    unary_check(op, g)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    (rm, re), (om, oe) = _multipliers(inp.qscale, out.qscale)
    if oe > 0:
        raise Refusal("output scale too small relative to the input scale (TFLM rejects it too)")
    return unary_data(op, {
        "count": out.num_elements, "input_zero_point": inp.qzero, "output_zero_point": out.qzero,
        "reluish_mult": rm, "reluish_exponent": re, "output_mult": om, "output_exponent": oe,
    })


@variant("HARD_SWISH", "portable", ["hard_swish.c", "hard_swish.h"], rows="count")
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "hard_swish.h", "tq_hard_swish_params", "tq_hard_swish_s8")


@variant("HARD_SWISH", "dsp", ["hard_swish.c", "hard_swish.h", *LUT_SOURCES], name="hard_swish_lut",
         applies=lambda d: d.dtype == "int8" and d.params["count"] >= LUT_MIN_COUNT)
def lower_lut(d: UnaryData, em: Emitter) -> None:
    lower_lut_on_device(d, em, "hard_swish.h", "tq_hard_swish_params", "tq_hard_swish_s8")
