"""TANH, int8 (output scale 1/128, zero point 0) or int16 (zero points 0, output scale 2^-15)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._fixedpoint import tanh_s8
from tinyq.ops._unary import (
    LUT_SOURCES,
    UnaryData,
    lower_table,
    lower_unary,
    own_op,
    product_tail,
    unary_check,
    unary_data,
)
from tinyq.ops.emitter import Emitter
from tinyq.ops.logistic import lower_sigmoid_s16, sigmoid_fields, sigmoid_fields_s16
from tinyq.ops.registry import Refusal, register_op, variant


@register_op("TANH")
def prepare(op: Op, g: Graph) -> UnaryData:
    if g.t(op.inputs[0]).dtype == "int16":
        # tanh's power-of-two case also takes input scale 2^-11 (shift 1)
        return unary_data(op, sigmoid_fields_s16(op, g, (0, 1)), dtype="int16")
    own = own_op(op)
    unary_check(own, g)
    if g.t(own.outputs[0]).qzero != 0:
        raise Refusal("int8 tanh output must have zero point 0")
    return unary_data(op, sigmoid_fields(own, g), tail=product_tail(op, g))


@variant("TANH", "portable", ["tanh.c", "tanh.h", "logistic.h", "tq_fixedpoint.h"],
         applies=lambda d: d.dtype == "int8" and d.tail is None)
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "tanh.h", "tq_sigmoid_params", "tq_tanh_s8")


@variant("TANH", "portable", ["tanh.c", "tanh.h", "logistic.h", "tq_fixedpoint.h"], applies=lambda d: d.dtype == "int16",
         name="tanh_portable_s16")
def lower_s16(d: UnaryData, em: Emitter) -> None:
    lower_sigmoid_s16(d, em, "tanh.h", "tq_tanh_s16")


@variant("TANH", "dsp", LUT_SOURCES, name="tanh_lut", applies=lambda d: d.dtype == "int8" and d.tail is None)
def lower_lut(d: UnaryData, em: Emitter) -> None:
    """The int8 kernel's results as a table made at generation time (tinyq/ops/_fixedpoint.py)."""
    lower_table(d, em, lambda x: tanh_s8(d.params, x))


@variant("TANH", "portable", LUT_SOURCES, name="tanh_product_lut", applies=lambda d: d.dtype == "int8" and d.tail is not None)
def lower_product_lut(d: UnaryData, em: Emitter) -> None:
    """x * tanh(x) as one table (tinyq/passes/fuse_tables.py), on every core."""
    lower_table(d, em, lambda x: tanh_s8(d.params, x))
