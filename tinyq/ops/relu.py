"""RELU, RELU_N1_TO_1 and RELU6 as standalone int8 ops (fused ones are a clamp in the producer)."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._unary import unary_check, unary_inplace
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier, round_half_away


def _q(value: float, scale: float, zero_point: int) -> int:
    """zero_point + round(value / scale) with float32 division, as TFLM does."""
    return zero_point + round_half_away(float(np.float32(value) / np.float32(scale)))


def _emit_relu(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    mult, shift = quantize_multiplier(inp.qscale / out.qscale)
    lo_f, hi_f = (-1.0, 1.0) if op.opcode == "RELU_N1_TO_1" else (0.0, None)
    act_min = max(-128, _q(lo_f, out.qscale, out.qzero))
    act_max = 127 if hi_f is None else min(127, _q(hi_f, out.qscale, out.qzero))
    em.include("relu.h")
    p = em.params("tq_relu_params", {
        "count": out.num_elements, "input_offset": inp.qzero, "output_offset": out.qzero,
        "mult": mult, "shift": shift, "act_min": act_min, "act_max": act_max,
    })
    em.call(f"tq_relu_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")


def _emit_relu6(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    # TFLM's Relu6 clamps in the input's quantization without requantizing.
    lo = inp.qzero
    hi = int(np.clip(_q(6.0, inp.qscale, inp.qzero), -128, 127))
    em.include("relu.h")
    em.call(f"tq_clamp_s8({out.num_elements}, {lo}, {hi}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")


for _name in ("RELU", "RELU_N1_TO_1"):
    register(_name, sources=["relu.c", "relu.h"], check=unary_check, inplace=unary_inplace)(_emit_relu)
register("RELU6", sources=["relu.c", "relu.h"], check=unary_check, inplace=unary_inplace)(_emit_relu6)
