"""ARG_MAX and ARG_MIN along a constant axis: int8 / int16 / int32 input (the raw values; the
quantization is monotonic), an int32 or int64 index (the first of equal extremes, as TFLM)."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._copy import const_ints
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

IN = {"int8": "s8", "int16": "s16", "int32": "s32"}
OUT = {"int32": "i32", "int64": "i64"}


@register_op("ARG_MAX", "ARG_MIN")
def prepare(op: Op, g: Graph) -> UnaryData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype not in IN or out.dtype not in OUT:
        raise Refusal(f"{inp.dtype} -> {out.dtype} is not supported (int8/int16/int32 in, int32/int64 out)")
    if inp.is_quantized and float(np.min(inp.scale)) <= 0:
        raise Refusal("the input scale must be positive (the order of the raw values is then the real one)")
    axis = const_ints(g, op.inputs[1], "axis")
    shape = [int(v) for v in inp.shape]
    if len(axis) != 1 or not -len(shape) <= axis[0] < len(shape):
        raise Refusal(f"axis {axis} must be one dimension of the {len(shape)}-D input")
    a = axis[0] % len(shape)
    if shape[a] < 1:
        raise Refusal("the axis is empty")
    outer, inner = int(np.prod(shape[:a], dtype=np.int64)), int(np.prod(shape[a + 1:], dtype=np.int64))
    if out.num_elements != outer * inner:
        raise Refusal(f"output {list(out.shape)} is not the input {shape} without axis {a}")
    return unary_data(op, {"outer": outer, "axis": shape[a], "inner": inner, "is_min": int(op.opcode == "ARG_MIN")},
                      in_place=False, dtype=f"{IN[inp.dtype]}_{OUT[out.dtype]}")


for _name in ("ARG_MAX", "ARG_MIN"):
    @variant(_name, "portable", ["arg_min_max.c", "arg_min_max.h"])
    def lower(d: UnaryData, em: Emitter) -> None:
        lower_unary(d, em, "arg_min_max.h", "tq_arg_params", f"tq_arg_{d.dtype}")
