"""CONV_2D, int8 activations, int8 per-tensor or per-channel weights, int32 bias."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range, need_int8, per_channel_multipliers
from tinyq.ops._conv_common import conv_check, geometry
from tinyq.ops._dsp_layout import (
    DSP_SOURCES, matmul_weights, pad4, requant_for, residual_add_tables, scaled_int32, want_dsp)
from tinyq.ops.registry import register


def _macs(op: Op, g: Graph) -> int:
    out, w = g.t(op.outputs[0]), g.t(op.inputs[1])
    n, oh, ow, oc = out.shape
    return n * oh * ow * oc * w.shape[1] * w.shape[2] * w.shape[3]


def _check(op: Op, g: Graph) -> str | None:
    reason = need_int8(op, g, [0, 1, -1])
    if reason:
        return reason
    inp, w = g.t(op.inputs[0]), g.t(op.inputs[1])
    if not w.is_const or len(w.shape) != 4 or len(inp.shape) != 4:
        return "needs 4-D NHWC input and constant OHWI weights"
    if w.shape[3] != inp.shape[3]:
        return "grouped convolution is not supported"
    return conv_check(op, g, channel_axis=0)


def bias_terms(op: Op, g: Graph, channels: int, wsum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bias, bias + input_offset * wsum) as int32; the second serves pixels without padding."""
    bias = np.zeros(channels, np.int64)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bias += g.t(op.inputs[2]).data.astype(np.int64).reshape(-1)
    full = bias - g.t(op.inputs[0]).qzero * wsum
    return bias.astype(np.int32), full.astype(np.int32)


def _inplace(op: Op, g: Graph) -> list[tuple[int, int]]:
    """With a fused residual ADD, the sum may overwrite the residual (input 3)."""
    return [(3, 0)] if "fused_add" in op.options else []


def _fused_add(op: Op, g: Graph, em: Emitter) -> tuple[str, int, str]:
    """(pointer to the ADD's parameters or 0, conv-result-first flag, residual pointer or 0)."""
    fa = op.options.get("fused_add")
    if not fa:
        return "0", 0, "0"
    from tinyq.ops.add import add_sub_fields
    add = Op(op.index, "ADD", fa["add_inputs"], op.outputs, fa["add_options"])
    return em.params("tq_add_params", add_sub_fields(add, g), suffix="_add"), int(fa["conv_first"]), em.tensor(op.inputs[3])


def row_padding(k_h: int, k_w: int, in_c: int, dil_w: int) -> int:
    """Spare taps after each filter row of the DSP kernel. A row of whole groups of 4 is widened
    straight from the input; otherwise every pixel's window is first copied into scratch. For
    short rows (a first layer's 3x3x3) that copy costs more than the zero taps that pad them."""
    row = k_w * in_c
    if k_h == 1 or dil_w != 1 or row % 4 == 0 or row > 16:
        return 0
    return -row % 4


def _fused_add_dsp(op: Op, g: Graph, em: Emitter) -> dict[str, object]:
    """The DSP kernel's fields for a fused residual ADD: two tables and a requantization."""
    fa = op.options.get("fused_add")
    if not fa:
        return {"add_conv_lut": "0", "add_res_lut": "0", "add_rq": "{0, 0, 0}", "add_exact": 0,
                "add_zp": 0, "add_min": 0, "add_max": 0}
    from tinyq.ops.add import add_sub_fields
    f = add_sub_fields(Op(op.index, "ADD", fa["add_inputs"], op.outputs, fa["add_options"]), g)
    conv_lut, res_lut, row, exact = residual_add_tables(f, bool(fa["conv_first"]))
    return {"add_conv_lut": em.const(conv_lut, "addlut"), "add_res_lut": em.const(res_lut, "addlut"),
            "add_rq": "{" + ", ".join(str(int(v)) for v in row) + "}", "add_exact": exact,
            "add_zp": f["out_offset"], "add_min": f["act_min"], "add_max": f["act_max"]}


@register("CONV_2D", sources=["conv_2d.c", "conv_2d.h", "add.h", "tq_broadcast.h"], macs=_macs, check=_check,
          inplace=_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, w = g.t(op.inputs[0]), g.t(op.inputs[1])
    # with a fused ADD, the convolution requantizes to its own (no longer stored) output tensor
    out = g.t(op.options["fused_add"]["conv_output"]) if "fused_add" in op.options else g.t(op.outputs[0])
    n, in_h, in_w, in_c = inp.shape
    oc, k_h, k_w, _ = w.shape
    geo = geometry(op.options, in_h, in_w, k_h, k_w)
    assert (geo["out_h"], geo["out_w"]) == out.shape[1:3], "output shape disagrees with padding"
    mult, shift = per_channel_multipliers(inp, w, out, oc)
    bias, bias_full = bias_terms(op, g, oc, w.data.astype(np.int64).reshape(oc, -1).sum(axis=1))
    act_min, act_max = fused_range(op, out)
    if want_dsp(em):
        wmat = w.data.reshape(oc, -1)
        rq, factor, exact = requant_for(wmat, bias, mult, shift, out.qzero)
        row_pad = row_padding(k_h, k_w, in_c, geo["dil_w"])
        wrows = np.zeros((oc, k_h, k_w * in_c + row_pad), np.int64)     # zero weights for the spare taps
        wrows[:, :, :k_w * in_c] = w.data.reshape(oc, k_h, k_w * in_c).astype(np.int64) * factor[:, None, None]
        words, groups = matmul_weights(wrows.reshape(oc, -1))
        # widened column, the gather stage (not for a 1x1 read in place), and with a fused ADD one
        # pixel's convolution outputs
        direct = k_h == k_w == 1 and geo["pad_h"] == geo["pad_w"] == 0 and in_c % 4 == 0
        scratch = (8 if direct else 12) * groups + (oc if "fused_add" in op.options else 0)
        em.source("conv_2d_dsp.c", "conv_2d_dsp.h", *DSP_SOURCES)
        em.include("conv_2d_dsp.h")
        p = em.params("tq_conv_dsp_params", {
            "batches": n, "in_h": in_h, "in_w": in_w, "in_c": in_c,
            "out_h": geo["out_h"], "out_w": geo["out_w"], "out_c": oc, "k_h": k_h, "k_w": k_w,
            "stride_h": geo["stride_h"], "stride_w": geo["stride_w"], "dil_h": geo["dil_h"], "dil_w": geo["dil_w"],
            "pad_h": geo["pad_h"], "pad_w": geo["pad_w"], "groups": groups, "row_pad": row_pad,
            "pad_value": inp.qzero,
            "output_offset": out.qzero, "act_min": act_min, "act_max": act_max,
            "rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact,
            "bias": em.const(pad4(scaled_int32(bias_full, factor)), "bias"),
            **_fused_add_dsp(op, g, em),
        })
        residual = em.tensor(op.inputs[3]) if "fused_add" in op.options else "0"
        em.call(f"tq_conv_2d_dsp_s8({p}, {em.tensor(op.inputs[0])}, {em.const(words, 'w16')}, {residual}, "
                f"{em.tensor(op.outputs[0])}, {em.scratch(scratch)})")
        return
    add_p, conv_first, residual = _fused_add(op, g, em)
    em.include("conv_2d.h")
    p = em.params("tq_conv_params", {
        "batches": n, "in_h": in_h, "in_w": in_w, "in_c": in_c,
        "out_h": geo["out_h"], "out_w": geo["out_w"], "out_c": oc, "k_h": k_h, "k_w": k_w,
        "stride_h": geo["stride_h"], "stride_w": geo["stride_w"], "dil_h": geo["dil_h"], "dil_w": geo["dil_w"],
        "pad_h": geo["pad_h"], "pad_w": geo["pad_w"],
        "input_offset": -inp.qzero, "output_offset": out.qzero, "act_min": act_min, "act_max": act_max,
        "mult": em.const(mult, "mult"), "shift": em.const(shift, "shift"),
        "bias": em.const(bias, "bias"), "bias_full": em.const(bias_full, "bias"),
        "add": add_p, "add_conv_first": conv_first,
    })
    em.call(f"tq_conv_2d_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.inputs[1])}, {residual}, "
            f"{em.tensor(op.outputs[0])})")
