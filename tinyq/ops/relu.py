"""RELU, RELU_N1_TO_1 and RELU6 as standalone int8 or int16 ops (fused ones are a clamp in the
producer)."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import DTYPE_RANGE
from tinyq.ops._unary import LUT_SOURCES, UnaryData, lower_lut, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant
from tinyq.quant import quantize_multiplier, round_half_away, tflm_requantize


def _q(value: float, scale: float, zero_point: int) -> int:
    """zero_point + round(value / scale) with float32 division, as TFLM does."""
    return zero_point + round_half_away(float(np.float32(value) / np.float32(scale)))


@register_op("RELU", "RELU_N1_TO_1")
def prepare_relu(op: Op, g: Graph) -> UnaryData:
    # TFLM's ReluQuantized<int16_t> subtracts and adds zero points like int8's
    dtype = unary_check(op, g, ("int8", "int16"), int16_zero=False)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    lo, hi = DTYPE_RANGE[dtype]
    mult, shift = quantize_multiplier(inp.qscale / out.qscale)
    lo_f, hi_f = (-1.0, 1.0) if op.opcode == "RELU_N1_TO_1" else (0.0, None)
    act_min = max(lo, _q(lo_f, out.qscale, out.qzero))
    act_max = hi if hi_f is None else min(hi, _q(hi_f, out.qscale, out.qzero))
    return unary_data(op, {
        "count": out.num_elements, "input_offset": inp.qzero, "output_offset": out.qzero,
        "mult": mult, "shift": shift, "act_min": act_min, "act_max": act_max,
    }, dtype=dtype)


@register_op("RELU6")
def prepare_relu6(op: Op, g: Graph) -> UnaryData:
    dtype = unary_check(op, g, ("int8", "int16"), int16_zero=False)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    # TFLM's Relu6 clamps in the input's quantization without requantizing.
    hi = int(np.clip(_q(6.0, inp.qscale, inp.qzero), *DTYPE_RANGE[dtype]))
    return unary_data(op, {"count": out.num_elements, "lo": inp.qzero, "hi": hi}, dtype=dtype)


SUFFIX = {"int8": "s8", "int16": "s16"}

for _name in ("RELU", "RELU_N1_TO_1", "RELU6"):
    for _dtype, _suffix in SUFFIX.items():
        _func, _ctype = ("tq_clamp", "tq_clamp_params") if _name == "RELU6" else ("tq_relu", "tq_relu_params")

        @variant(_name, "portable", ["relu.c", "relu.h"], applies=lambda d, t=_dtype: d.dtype == t,
                 name=f"{_name.lower()}_portable" + ("" if _dtype == "int8" else "_s16"), rows="count")
        def lower_relu(d: UnaryData, em: Emitter, func: str = f"{_func}_{_suffix}", ctype: str = _ctype) -> None:
            lower_unary(d, em, "relu.h", ctype, func)


def relu_s8(p: dict, x: int) -> int:
    """tq_relu_s8 on one value: requantize, then clamp."""
    v = p["output_offset"] + tflm_requantize(x - p["input_offset"], p["mult"], p["shift"])
    return max(p["act_min"], min(p["act_max"], v))


for _name in ("RELU", "RELU_N1_TO_1", "RELU6"):
    @variant(_name, "dsp", LUT_SOURCES, applies=lambda d: d.dtype == "int8", name=f"{_name.lower()}_lut", rows="count")
    def lower_relu_lut(d: UnaryData, em: Emitter, clamp: bool = _name == "RELU6") -> None:
        p = d.params
        lower_lut(d, em, (lambda x: max(p["lo"], min(p["hi"], x))) if clamp else (lambda x: relu_s8(p, x)))
