"""DEPTHWISE_CONV_2D, int8, any depth multiplier and dilation, per-tensor or per-channel weights."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range, need_int8, per_channel_multipliers
from tinyq.ops._conv_common import conv_check, geometry
from tinyq.ops._dsp_layout import DSP_SOURCES, depthwise_weights, pad4, requant_for, scaled_int32, want_dsp
from tinyq.ops.conv_2d import bias_terms
from tinyq.ops.registry import register


def _macs(op: Op, g: Graph) -> int:
    out, w = g.t(op.outputs[0]), g.t(op.inputs[1])
    n, oh, ow, oc = out.shape
    return n * oh * ow * oc * w.shape[1] * w.shape[2]


def _check(op: Op, g: Graph) -> str | None:
    reason = need_int8(op, g, [0, 1, -1])
    if reason:
        return reason
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if not w.is_const or len(w.shape) != 4 or w.shape[0] != 1 or len(inp.shape) != 4:
        return "needs 4-D NHWC input and constant [1,kh,kw,C] weights"
    if out.shape[3] % inp.shape[3]:
        return "output channels must be a multiple of the input channels"
    return conv_check(op, g, channel_axis=3)


@register("DEPTHWISE_CONV_2D", sources=["depthwise_conv_2d.c", "depthwise_conv_2d.h"], macs=_macs, check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    n, in_h, in_w, in_c = inp.shape
    _, k_h, k_w, oc = w.shape
    geo = geometry(op.options, in_h, in_w, k_h, k_w)
    assert (geo["out_h"], geo["out_w"]) == out.shape[1:3], "output shape disagrees with padding"
    mult, shift = per_channel_multipliers(inp, w, out, oc)
    bias, bias_full = bias_terms(op, g, oc, w.data.astype(np.int64).reshape(-1, oc).sum(axis=0))
    act_min, act_max = fused_range(op, out)
    if want_dsp(em) and oc == in_c:
        taps = w.data.reshape(-1, oc)
        rq, factor, exact = requant_for(taps.T, bias, mult, shift, out.qzero)
        w16 = em.const(depthwise_weights(taps.astype(np.int64) * factor[None, :]), "w16")
        em.source("depthwise_conv_2d_dsp.c", "depthwise_conv_2d_dsp.h", *DSP_SOURCES)
        em.include("depthwise_conv_2d_dsp.h")
        p = em.params("tq_dw_dsp_params", {
            "batches": n, "in_h": in_h, "in_w": in_w, "channels": oc,
            "out_h": geo["out_h"], "out_w": geo["out_w"],
            "k_h": k_h, "k_w": k_w, "stride_h": geo["stride_h"], "stride_w": geo["stride_w"],
            "dil_h": geo["dil_h"], "dil_w": geo["dil_w"], "pad_h": geo["pad_h"], "pad_w": geo["pad_w"],
            "input_offset": -inp.qzero, "output_offset": out.qzero, "act_min": act_min, "act_max": act_max,
            "rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact,
            "bias_full": em.const(pad4(scaled_int32(bias_full, factor)), "bias"),
        })
        em.call(f"tq_depthwise_conv_2d_dsp_s8({p}, {em.tensor(op.inputs[0])}, {w16}, {em.tensor(op.outputs[0])}, "
                f"{em.scratch(oc + 4)})")
        return
    em.include("depthwise_conv_2d.h")
    p = em.params("tq_dw_params", {
        "batches": n, "in_h": in_h, "in_w": in_w, "in_c": in_c,
        "out_h": geo["out_h"], "out_w": geo["out_w"], "out_c": oc, "depth_mult": oc // in_c,
        "k_h": k_h, "k_w": k_w, "stride_h": geo["stride_h"], "stride_w": geo["stride_w"],
        "dil_h": geo["dil_h"], "dil_w": geo["dil_w"], "pad_h": geo["pad_h"], "pad_w": geo["pad_w"],
        "input_offset": -inp.qzero, "output_offset": out.qzero, "act_min": act_min, "act_max": act_max,
        "mult": em.const(mult, "mult"), "shift": em.const(shift, "shift"),
        "bias": em.const(bias, "bias"), "bias_full": em.const(bias_full, "bias"),
    })
    em.call(f"tq_depthwise_conv_2d_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.inputs[1])}, "
            f"{em.tensor(op.outputs[0])})")
