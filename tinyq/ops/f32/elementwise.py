"""float32 ADD, SUB, MUL (broadcasting), RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, LOGISTIC, TANH
(firmware/kernels/elementwise_f32.c)."""
from __future__ import annotations

import math

from tinyq.ir import Graph, Op
from tinyq.ops._elementwise import _broadcasts_to, broadcast_init
from tinyq.ops.f32._base import ELEMENTWISE_SOURCES, F32Data, act_bounds, need_f32, register_lowering
from tinyq.ops.registry import Refusal, register_op

BINARY = {"ADD": "tq_add_f32", "SUB": "tq_sub_f32", "MUL": "tq_mul_f32"}
CLAMPS = {"RELU": (0.0, math.inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}
UNARY = {"LEAKY_RELU": "tq_leaky_relu_f32", "LOGISTIC": "tq_logistic_f32", "TANH": "tq_tanh_f32",
         **{k: "tq_clamp_f32" for k in CLAMPS}}


def prepare_binary(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0, 1])
    out = g.t(op.outputs[0])
    shapes = [g.t(i).shape for i in op.inputs[:2]]
    for s in shapes:
        if not _broadcasts_to(s, out.shape) or (len(out.shape) > 4 and s != out.shape):
            raise Refusal(f"input shape {list(s)} does not broadcast to the output {list(out.shape)} "
                          "(up to 4-D broadcasting)")
    in_place = tuple(i for i in op.inputs[:2] if g.t(i).shape == out.shape and not g.t(i).is_const)
    return F32Data(op.index, op.opcode, BINARY[op.opcode], "tq_binary_f32_params",
                   (op.inputs[0], op.inputs[1], op.outputs[0]),
                   {"bc": broadcast_init(op, g), **act_bounds(op)}, op.outputs[0], in_place=in_place,
                   mac_count=out.num_elements if op.opcode == "MUL" else 0)


def prepare_unary(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0])
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.num_elements != out.num_elements:
        raise Refusal("input and output sizes differ")
    lo, hi = CLAMPS.get(op.opcode, (0.0, 0.0))
    params = {"count": out.num_elements, "lo": lo, "hi": hi, "alpha": float(op.options.get("alpha", 0.0))}
    return F32Data(op.index, op.opcode, UNARY[op.opcode], "tq_unary_f32_params",
                   (op.inputs[0], op.outputs[0]), params, op.outputs[0], in_place=(op.inputs[0],))


for _name in BINARY:
    register_op(_name, dtype="float32")(prepare_binary)
    register_lowering(_name, ELEMENTWISE_SOURCES, "elementwise_f32.h")
for _name in UNARY:
    register_op(_name, dtype="float32")(prepare_unary)
    register_lowering(_name, ELEMENTWISE_SOURCES, "elementwise_f32.h")
