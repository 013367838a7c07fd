"""HARD_SWISH, int8, in TFLM's 16-bit fixed-point formulation."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._unary import unary_check, unary_inplace
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier


def downscale_to_int16(multiplier: int) -> int:
    """TFLite's DownScaleInt32ToInt16Multiplier: Q31 -> Q15, rounded, saturated."""
    if multiplier >= 2**31 - 1 - (1 << 15):
        return 2**15 - 1
    return (multiplier + (1 << 15)) >> 16


def _check(op: Op, g: Graph) -> str | None:
    reason = unary_check(op, g)
    if reason:
        return reason
    _, exp = _multipliers(op, g)[1]
    return None if exp <= 0 else "output scale too small relative to the input scale (TFLM rejects it too)"


def _multipliers(op: Op, g: Graph) -> tuple[tuple[int, int], tuple[int, int]]:
    f = np.float32
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    hires = f(f(1.0 / 128.0) * f(inp.qscale))
    reluish_scale = f(3.0 / 32768.0)
    rm, re = quantize_multiplier(float(f(hires / reluish_scale)))
    om, oe = quantize_multiplier(float(f(hires / f(out.qscale))))
    return (downscale_to_int16(rm), re), (downscale_to_int16(om), oe)


@register("HARD_SWISH", sources=["hard_swish.c", "hard_swish.h"], check=_check, inplace=unary_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    (rm, re), (om, oe) = _multipliers(op, g)
    em.include("hard_swish.h")
    p = em.params("tq_hard_swish_params", {
        "count": out.num_elements, "input_zero_point": inp.qzero, "output_zero_point": out.qzero,
        "reluish_mult": rm, "reluish_exponent": re, "output_mult": om, "output_exponent": oe,
    })
    em.call(f"tq_hard_swish_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
