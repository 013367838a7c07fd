"""CAST (values converted as C converts them, no quantization) and ZEROS_LIKE (all zero bytes)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

SUFFIX = {"int8": "s8", "uint8": "u8", "int16": "s16", "int32": "s32", "int64": "s64", "float32": "f32", "bool": "b"}


@register_op("CAST")
def prepare_cast(op: Op, g: Graph) -> UnaryData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype not in SUFFIX or out.dtype not in SUFFIX:
        raise Refusal(f"CAST {inp.dtype} -> {out.dtype} is not supported")
    # Backwards, so a wider output may start where its input starts; same-size types in place.
    return unary_data(op, {"count": out.num_elements}, in_place=inp.itemsize == out.itemsize,
                      dtype=f"{SUFFIX[inp.dtype]}_{SUFFIX[out.dtype]}")


@register_op("ZEROS_LIKE")
def prepare_zeros(op: Op, g: Graph) -> UnaryData:
    out = g.t(op.outputs[0])
    if not out.itemsize:
        raise Refusal(f"type {out.dtype} is not supported")
    return unary_data(op, {"bytes": out.nbytes}, in_place=False, dtype=out.dtype)


@variant("CAST", "portable", ["cast.c", "cast.h"])
def lower_cast(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "cast.h", "tq_cast_params", f"tq_cast_{d.dtype}")


@variant("ZEROS_LIKE", "portable")
def lower_zeros(d: UnaryData, em: Emitter) -> None:
    em.call(f"memset({em.tensor(d.output)}, 0, {d.params['bytes']})")
