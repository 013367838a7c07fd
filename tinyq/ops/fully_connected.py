"""FULLY_CONNECTED, int8, per-tensor or per-channel weights."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range, need_int8, per_channel_multipliers
from tinyq.ops._dsp_layout import DSP_SOURCES, matmul_weights, pad4, requant_for, scaled_int32, want_dsp
from tinyq.ops.registry import register


def _dims(op: Op, g: Graph) -> tuple[int, int, int]:
    w = g.t(op.inputs[1])
    out_depth, in_depth = w.shape
    return g.t(op.inputs[0]).num_elements // in_depth, in_depth, out_depth


def _macs(op: Op, g: Graph) -> int:
    b, i, o = _dims(op, g)
    return b * i * o


def _check(op: Op, g: Graph) -> str | None:
    reason = need_int8(op, g, [0, 1, -1])
    if reason:
        return reason
    w = g.t(op.inputs[1])
    if not w.is_const or len(w.shape) != 2:
        return "weights must be a constant 2-D tensor"
    if np.any(w.zero_point != 0):
        return "weights must be symmetric (zero point 0)"
    return None


@register("FULLY_CONNECTED", sources=["fully_connected.c", "fully_connected.h"], macs=_macs, check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    batches, in_depth, out_depth = _dims(op, g)
    bias = np.zeros(out_depth, np.int64)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bias += g.t(op.inputs[2]).data.astype(np.int64)
    model_bias = bias.copy()
    # Fold the input zero point into the bias: sum(w * (x - zp)) = sum(w * x) - zp * sum(w).
    bias -= inp.qzero * w.data.astype(np.int64).sum(axis=1)
    mult, shift = per_channel_multipliers(inp, w, out, out_depth)
    act_min, act_max = fused_range(op, out)
    if want_dsp(em):
        rq, factor, exact = requant_for(w.data, model_bias, mult, shift, out.qzero)
        words, groups = matmul_weights(w.data.astype(np.int64) * factor[:, None])
        em.source("fully_connected_dsp.c", "fully_connected_dsp.h", *DSP_SOURCES)
        em.include("fully_connected_dsp.h")
        p = em.params("tq_fc_dsp_params", {
            "batches": batches, "in_depth": in_depth, "out_depth": out_depth, "groups": groups,
            "output_offset": out.qzero, "act_min": act_min, "act_max": act_max,
            "rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact,
            "bias": em.const(pad4(scaled_int32(bias, factor)), "bias"),
        })
        em.call(f"tq_fully_connected_dsp_s8({p}, {em.tensor(op.inputs[0])}, {em.const(words, 'w16')}, "
                f"{em.tensor(op.outputs[0])}, {em.scratch(4 * groups) if in_depth % 4 else 0})")
        return
    em.include("fully_connected.h")
    p = em.params("tq_fc_params", {
        "batches": batches, "in_depth": in_depth, "out_depth": out_depth,
        "output_offset": out.qzero, "act_min": act_min, "act_max": act_max,
        "mult": em.const(mult, "mult"), "shift": em.const(shift, "shift"),
    })
    em.call(f"tq_fully_connected_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.inputs[1])}, "
            f"{em.const(bias.astype(np.int32), 'bias')}, {em.tensor(op.outputs[0])})")
