"""DEQUANTIZE: int8, uint8 or int16 -> float32 (the model's float output), as TFLM's dequantize."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

SUFFIX = {"int8": "s8", "uint8": "u8", "int16": "s16"}


@register_op("DEQUANTIZE")
def prepare(op: Op, g: Graph) -> UnaryData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype not in SUFFIX or out.dtype != "float32" or not inp.is_quantized or inp.per_channel:
        raise Refusal(f"only per-tensor int8, uint8 or int16 -> float32 is supported ({inp.dtype} -> {out.dtype})")
    # The output is wider than the input: never in place.
    return unary_data(op, {"count": out.num_elements, "scale": float(inp.qscale).hex(),
                           "zero_point": inp.qzero}, in_place=False, dtype=inp.dtype)


@variant("DEQUANTIZE", "portable", ["dequantize.c", "dequantize.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "dequantize.h", "tq_dequantize_params", f"tq_dequantize_{SUFFIX[d.dtype]}_f32")
