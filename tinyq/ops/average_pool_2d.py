"""AVERAGE_POOL_2D, int8."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._pool_common import emit_pool, pool_check
from tinyq.ops.registry import register


@register("AVERAGE_POOL_2D", sources=["pooling.c", "pooling.h", "tq_dsp.h"], check=pool_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    emit_pool(op, g, em, "tq_average_pool_2d_s8")
