"""HARD_SWISH, int8, in TFLM's 16-bit fixed-point formulation."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._fixedpoint import rdbpot
from tinyq.ops._unary import LUT_SOURCES, UnaryData, lower_table, lower_unary, unary_check, unary_data
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


def _wrap16(x: int) -> int:
    return (x + 32768) % 65536 - 32768


def _rdhm16(a: int, b: int, rounding: bool = True) -> int:
    """(a * b * 2) >> 16, rounded or truncated toward zero as C divides; the one overflow saturated."""
    if a == b == -32768:
        return 32767
    ab = a * b + ((1 << 14 if a * b >= 0 else 1 - (1 << 14)) if rounding else 0)
    return _wrap16(ab // 32768 if ab >= 0 else -((-ab) // 32768))


def hard_swish_s8(p: dict, x: int) -> int:
    """tq_hard_swish_s8 (hard_swish.c) of one input, step by step."""
    hires = _wrap16((x - p["input_zero_point"]) * 128)
    preshift = _rdhm16(hires, _wrap16(p["output_mult"]))
    e = p["reluish_exponent"]
    reluish = hires
    if e > 0:
        reluish = max(-32768, min(32767, reluish * (1 << (e - 1))))
    reluish = _rdhm16(reluish, _wrap16(p["reluish_mult"]))
    if e > 0:
        reluish = max(-32768, min(32767, reluish * 2))
    if e < 0:
        reluish = _wrap16(rdbpot(reluish, -e))
    reluish = _wrap16((reluish + 32768) >> 1)
    pre = _rdhm16(reluish, preshift, rounding=False)
    y = rdbpot(pre, -p["output_exponent"]) + p["output_zero_point"]
    return max(-128, min(127, _wrap16(y)))


@variant("HARD_SWISH", "dsp", LUT_SOURCES, name="hard_swish_lut", applies=lambda d: d.dtype == "int8")
def lower_lut(d: UnaryData, em: Emitter) -> None:
    lower_table(d, em, lambda x: hard_swish_s8(d.params, x))
