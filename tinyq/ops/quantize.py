"""QUANTIZE: float32 -> int8/int16 (the model's float input), or requantization between int8,
int16 and int32 (TFLM's Requantize: the pairs its quantize_common.cc accepts), and uint8 <-> int8
at the edges of models exported with uint8 I/O (camera models: same scale, zero point +128).
uint8 -> uint8 is TFLite's (TFLM has no kernel for it; `tinyq verify` then checks it against
LiteRT's reference kernels)."""
from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter, _float_literal
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier

SUFFIX = {"int8": "s8", "int16": "s16", "int32": "s32", "uint8": "u8"}
# (input, output) pairs TFLM's PrepareQuantizeReference requantizes, plus TFLite's uint8 -> uint8.
REQUANTIZE = {("int8", "int8"), ("int8", "int16"), ("int8", "int32"), ("int16", "int8"), ("int16", "int16"),
              ("int16", "int32"), ("int32", "int8"), ("int32", "int16"),
              ("uint8", "int8"), ("int8", "uint8"), ("uint8", "uint8")}
BYTES = {"int8": 1, "int16": 2, "int32": 4, "uint8": 1}


@dataclass(frozen=True, eq=False)
class QuantizeData(UnaryData):
    """`dtype` is the input's type (float32, int8, int16, int32), `out_dtype` the output's."""

    out_dtype: str = "int8"


def _data(op: Op, params: dict, in_place: bool, dtype: str, out_dtype: str) -> QuantizeData:
    u = unary_data(op, params, in_place=in_place, dtype=dtype)
    return QuantizeData(**{f: getattr(u, f) for f in u.__dataclass_fields__}, out_dtype=out_dtype)


@register_op("QUANTIZE")
def prepare(op: Op, g: Graph) -> QuantizeData:
    """float32 -> int8/int16 keeps `scale` (a C float literal); requantization gets `mult`/`shift`
    and may run in place when both types have the same size (one element in, one out at the
    same offset)."""
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if out.dtype not in BYTES or not out.is_quantized or out.per_channel:
        raise Refusal(f"only per-tensor quantization to int8, uint8, int16 or int32 is supported, "
                      f"not {out.dtype}")
    if inp.dtype == "float32":
        if out.dtype in ("int32", "uint8"):
            raise Refusal(f"float32 -> {out.dtype} quantization is not supported (TFLM has no kernel for it)")
        # TFLM divides in float (val / static_cast<float>(scale)); measured: a double division
        # rounds differently on inputs next to (k + 1/2) * scale.
        return _data(op, {"count": out.num_elements, "scale": _float_literal(out.qscale),
                          "zero_point": out.qzero}, False, "float32", out.dtype)
    if (inp.dtype, out.dtype) not in REQUANTIZE:
        raise Refusal(f"{inp.dtype} -> {out.dtype} quantization is not supported (TFLM rejects it too)"
                      if inp.dtype in BYTES else f"input type {inp.dtype} is not supported")
    if not inp.is_quantized or inp.per_channel:
        raise Refusal(f"{inp.dtype} -> {out.dtype} requantization needs a per-tensor quantized input")
    mult, shift = quantize_multiplier(inp.qscale / out.qscale)
    return _data(op, {"count": out.num_elements, "in_zero_point": inp.qzero, "mult": mult,
                      "shift": shift, "out_zero_point": out.qzero},
                 BYTES[inp.dtype] == BYTES[out.dtype], inp.dtype, out.dtype)


@variant("QUANTIZE", "portable", ["quantize.c", "quantize.h"], rows="count")
def lower(d: QuantizeData, em: Emitter) -> None:
    if d.dtype == "float32":
        lower_unary(d, em, "quantize.h", "tq_quantize_params", f"tq_quantize_f32_{SUFFIX[d.out_dtype]}")
    elif d.dtype == d.out_dtype == "int8":
        lower_unary(d, em, "quantize.h", "tq_requantize_params", "tq_requantize_s8")
    else:
        lower_unary(d, em, "quantize.h", "tq_requantize_params",
                    f"tq_requantize_{SUFFIX[d.dtype]}_{SUFFIX[d.out_dtype]}")
