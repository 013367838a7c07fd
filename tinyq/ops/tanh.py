"""TANH, int8 (output scale 1/128, zero point 0)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.logistic import sigmoid_fields
from tinyq.ops.registry import Refusal, register_op, variant


@register_op("TANH")
def prepare(op: Op, g: Graph) -> UnaryData:
    unary_check(op, g)
    if g.t(op.outputs[0]).qzero != 0:
        raise Refusal("int8 tanh output must have zero point 0")
    return unary_data(op, sigmoid_fields(op, g))


@variant("TANH", "portable", ["tanh.c", "tanh.h", "logistic.h", "tq_fixedpoint.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "tanh.h", "tq_sigmoid_params", "tq_tanh_s8")
