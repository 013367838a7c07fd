"""MINIMUM, int8, with broadcasting: TFLM's MaximumMinimumBroadcastSlow on the raw int8 values."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._elementwise import binary_check, binary_inplace, broadcast_init
from tinyq.ops.registry import register


@register("MINIMUM", sources=["minimum.c", "minimum.h", "tq_broadcast.h"], check=binary_check, inplace=binary_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    em.include("minimum.h")
    p = em.params("tq_minimum_params", {"shape": broadcast_init(op, g)})
    em.call(f"tq_minimum_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])})")
