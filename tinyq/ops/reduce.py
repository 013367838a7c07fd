"""REDUCE_MAX, REDUCE_MIN (int8), SUM (int8, int16) and REDUCE_ALL (bool) over any set of constant
axes, with or without keep_dims, as TFLM's reduce kernels."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_quantized
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.mean import reduction_groups
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier

MAX_DIMS = 6                # TQ_REDUCE_MAX_DIMS in reduce.h
MAX_SUM_TERMS = 1 << 16     # the int32 sum of int16 values stays exact below this


def _arr(v: list[int]) -> str:
    return "{ " + ", ".join(str(int(x)) for x in v + [0] * (MAX_DIMS - len(v))) + " }"


@register_op("REDUCE_MAX", "REDUCE_MIN", "SUM", "REDUCE_ALL")
def prepare(op: Op, g: Graph) -> UnaryData:
    if op.opcode == "REDUCE_ALL":
        reason, dtype = None, "bool"
        if g.t(op.inputs[0]).dtype != "bool" or g.t(op.outputs[0]).dtype != "bool":
            reason = "REDUCE_ALL needs bool tensors"
    else:
        reason, dtype = need_quantized(op, g, [0, -1], ("int8", "int16") if op.opcode == "SUM" else ("int8",))
    if reason:
        raise Refusal(reason + ("" if op.opcode in ("SUM", "REDUCE_ALL") else " (TFLM has int8 only)"))
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    keep, red, out_count, reduce = reduction_groups(op, g, MAX_DIMS)
    mult = shift = 0
    if op.opcode == "SUM":
        if reduce > MAX_SUM_TERMS:
            raise Refusal(f"a sum of {reduce} elements could overflow int32; at most {MAX_SUM_TERMS}")
        mult, shift = quantize_multiplier(inp.qscale / out.qscale)
    elif op.opcode != "REDUCE_ALL" and (inp.qscale, inp.qzero) != (out.qscale, out.qzero):
        raise Refusal(f"{op.opcode} needs equal input and output quantization (TFLM requires it)")
    return unary_data(op, {
        "out_count": out_count, "keep_rank": len(keep),
        "keep_dims": _arr([s for s, _ in keep]), "keep_strides": _arr([t for _, t in keep]),
        "red_rank": len(red), "red_dims": _arr([s for s, _ in red]), "red_strides": _arr([t for _, t in red]),
        "reduce": reduce, "input_zero_point": inp.qzero if inp.is_quantized else 0,
        "output_zero_point": out.qzero if out.is_quantized else 0,
        "mult": mult, "shift": shift,
    }, in_place=False, dtype=dtype)


FUNCS = {"REDUCE_MAX": "tq_reduce_max", "REDUCE_MIN": "tq_reduce_min", "SUM": "tq_reduce_sum",
         "REDUCE_ALL": "tq_reduce_all"}
SUFFIX = {"int8": "s8", "int16": "s16", "bool": "b"}

for _name in FUNCS:
    @variant(_name, "portable", ["reduce.c", "reduce.h"])
    def lower(d: UnaryData, em: Emitter) -> None:
        lower_unary(d, em, "reduce.h", "tq_reduce_params", f"{FUNCS[d.opcode]}_{SUFFIX[d.dtype]}")
