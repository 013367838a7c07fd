"""MUL, int8, with broadcasting."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range
from tinyq.ops._elementwise import binary_check, binary_inplace, broadcast_init
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier


def _macs(op: Op, g: Graph) -> int:
    return g.t(op.outputs[0]).num_elements


@register("MUL", sources=["mul.c", "mul.h", "tq_broadcast.h"], macs=_macs, check=binary_check,
          inplace=binary_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    mult, shift = quantize_multiplier(a.qscale * b.qscale / out.qscale)
    act_min, act_max = fused_range(op, out)
    em.include("mul.h")
    p = em.params("tq_mul_params", {
        "shape": broadcast_init(op, g), "in1_offset": -a.qzero, "in2_offset": -b.qzero,
        "out_mult": mult, "out_shift": shift, "out_offset": out.qzero, "act_min": act_min, "act_max": act_max,
    })
    em.call(f"tq_mul_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])})")
