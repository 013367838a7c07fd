"""QUANTIZE: float32 -> int8 (the model's float input), or int8 -> int8 requantization."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter, _float_literal
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier


@register_op("QUANTIZE")
def prepare(op: Op, g: Graph) -> UnaryData:
    """float32 -> int8 keeps `scale` (a C float literal); int8 -> int8 gets `mult`/`shift` and
    may run in place (one byte in, one byte out at the same offset)."""
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if out.dtype != "int8" or not out.is_quantized or out.per_channel:
        raise Refusal(f"only quantization to int8 is supported, not {out.dtype}")
    if inp.dtype not in ("float32", "int8"):
        raise Refusal(f"input type {inp.dtype} is not supported")
    if inp.dtype == "int8" and (not inp.is_quantized or inp.per_channel):
        raise Refusal("int8 -> int8 requantization needs a per-tensor quantized input")
    if inp.dtype == "float32":
        # TFLM divides in float (val / static_cast<float>(scale)); measured: a double division
        # rounds differently on inputs next to (k + 1/2) * scale.
        return unary_data(op, {"count": out.num_elements, "scale": _float_literal(out.qscale),
                               "zero_point": out.qzero}, in_place=False)
    mult, shift = quantize_multiplier(inp.qscale / out.qscale)
    return unary_data(op, {"count": out.num_elements, "in_zero_point": inp.qzero, "mult": mult,
                           "shift": shift, "out_zero_point": out.qzero}, in_place=True)


@variant("QUANTIZE", "portable", ["quantize.c", "quantize.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    if "scale" in d.params:
        lower_unary(d, em, "quantize.h", "tq_quantize_params", "tq_quantize_f32_s8")
    else:
        lower_unary(d, em, "quantize.h", "tq_requantize_params", "tq_requantize_s8")
