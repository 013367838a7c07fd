"""SUB, int8, with broadcasting (TFLM computes its constants like ADD's)."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._elementwise import binary_inplace
from tinyq.ops.add import add_sub_check, add_sub_fields
from tinyq.ops.registry import register


@register("SUB", sources=["sub.c", "sub.h", "tq_broadcast.h"], check=add_sub_check, inplace=binary_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    em.include("sub.h")
    p = em.params("tq_sub_params", add_sub_fields(op, g))
    em.call(f"tq_sub_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])})")
