"""TANH, int8 (output scale 1/128, zero point 0)."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._unary import unary_check, unary_inplace
from tinyq.ops.logistic import sigmoid_fields
from tinyq.ops.registry import register


def _check(op: Op, g: Graph) -> str | None:
    reason = unary_check(op, g)
    if not reason and g.t(op.outputs[0]).qzero != 0:
        return "int8 tanh output must have zero point 0"
    return reason


@register("TANH", sources=["tanh.c", "tanh.h", "logistic.h", "tq_fixedpoint.h"], check=_check, inplace=unary_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    em.include("tanh.h")
    p = em.params("tq_sigmoid_params", sigmoid_fields(op, g))
    em.call(f"tq_tanh_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
