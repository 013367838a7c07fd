"""TRANSPOSE_CONV (TFLM's reference TransposeConv): int16 activations with int8 per-channel weights
and int64 (or int16) bias, accumulated in int64; or int8 activations with int32 bias, accumulated
in int32. The first operand, the output shape, is not read: the output tensor's shape is static
(checked here), so it may be a constant or, as in TFLM's SEANet models, a graph input."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range, need_quantized, per_channel_multipliers
from tinyq.ops._dsp_layout import DSP_SOURCES, matmul_weights, pad4, requant_for, scaled_int32
from tinyq.ops._window import INT16_MAX, Window, out_size, pad_before
from tinyq.ops.conv_2d import check_s16_requant
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant


@dataclass(frozen=True, eq=False)
class TransposeConvData(Prepared):
    input: int
    weights: int
    output: int
    win: Window                 # in_* = the op's input, out_* = its output; no dilation
    input_zp: int
    output_zp: int
    mult: np.ndarray
    shift: np.ndarray
    bias: np.ndarray            # int64 (int16) or int32 (int8), zeros without one
    act_min: int
    act_max: int
    dtype: str
    w: np.ndarray               # int8 OHWI [out_c, k_h, k_w, in_c]

    def macs(self) -> int:
        n = self.win
        return n.batches * n.in_h * n.in_w * n.in_c * n.k_h * n.k_w * n.out_c


def _bias(op: Op, g: Graph, dtype: str, oc: int) -> np.ndarray:
    allowed = ("int64", "int16") if dtype == "int16" else ("int32",)
    acc = np.int64 if dtype == "int16" else np.int32
    if len(op.inputs) <= 3 or op.inputs[3] < 0:
        return np.zeros(oc, acc)
    b = g.t(op.inputs[3])
    if b.dtype not in allowed or not b.is_const or b.num_elements != oc:
        raise Refusal(f"{dtype} TRANSPOSE_CONV needs a constant {' or '.join(allowed)} bias of {oc} values, "
                      f"got {b.dtype} {list(b.shape)}")
    return b.data.reshape(-1).astype(acc)


@register_op("TRANSPOSE_CONV")
def prepare(op: Op, g: Graph) -> TransposeConvData:
    if len(op.inputs) < 3:
        raise Refusal("needs the output shape, weights and input operands")
    reason, dtype = need_quantized(Op(op.index, op.opcode, [op.inputs[2]], op.outputs), g, [0, -1])
    if reason:
        raise Refusal(reason)
    inp, w, out = g.t(op.inputs[2]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if len(inp.shape) != 4 or len(out.shape) != 4 or not w.is_const or len(w.shape) != 4:
        raise Refusal("needs 4-D NHWC input and output and constant OHWI weights")
    sig = out.shape_signature or out.shape
    if any(int(v) <= 0 for v in out.shape) or any(int(v) < 0 for v in sig[1:]):
        raise Refusal(f"the output shape {list(sig)} is not fully known ahead of time")
    shape_t = g.t(op.inputs[0])
    if shape_t.is_const and [int(v) for v in shape_t.data.reshape(-1)] != [int(v) for v in out.shape]:
        raise Refusal(f"the output shape operand {shape_t.data.tolist()} disagrees with the output {list(out.shape)}")
    if w.dtype != "int8" or not w.is_quantized:
        raise Refusal(f"needs quantized int8 weights, got {w.dtype} for '{w.name}'")
    n, in_h, in_w, in_c = (int(v) for v in inp.shape)
    oc, k_h, k_w = int(w.shape[0]), int(w.shape[1]), int(w.shape[2])
    if int(w.shape[3]) != in_c or int(out.shape[3]) != oc or int(out.shape[0]) != n:
        raise Refusal(f"weights {list(w.shape)} do not match input {list(inp.shape)} and output {list(out.shape)}")
    if len(w.scale) not in (1, oc) or (len(w.scale) > 1 and w.quantized_dimension != 0):
        raise Refusal(f"per-channel weights must have {oc} scales along dimension 0")
    if np.any(w.zero_point != 0):
        raise Refusal("weights must be symmetric (zero point 0)")
    if op.options.get("fused_activation_function", "NONE") not in ("NONE", None):
        raise Refusal(f"fused activation {op.options['fused_activation_function']} on TRANSPOSE_CONV is not supported")
    sh, sw = int(op.options.get("stride_h", 1)), int(op.options.get("stride_w", 1))
    if min(sh, sw, k_h, k_w) < 1:
        raise Refusal("filter and stride must be positive")
    if max(*inp.shape, *out.shape, k_h, k_w, sh, sw) > INT16_MAX:
        raise Refusal(f"a dimension exceeds {INT16_MAX}")
    out_h, out_w = int(out.shape[1]), int(out.shape[2])
    # TFLM: ComputePaddingHeightWidth over the output size as if it were a convolution's input
    padding = op.options.get("padding", "VALID")
    pad_h = pad_before(sh, 1, out_h, k_h, out_size(padding, out_h, k_h, sh))
    pad_w = pad_before(sw, 1, out_w, k_w, out_size(padding, out_w, k_w, sw))
    win = Window(n, in_h, in_w, in_c, out_h, out_w, oc, k_h, k_w, sh, sw, 1, 1, pad_h, pad_w)
    mult, shift = per_channel_multipliers(inp, w, out, oc)
    bias = _bias(op, g, dtype, oc)
    if dtype == "int16":
        # each output element sums at most k_h * k_w * in_c products (fewer with stride > 1)
        check_s16_requant(k_h * k_w * in_c, bias, shift)
        act_min, act_max = -32768, 32767
    else:
        act_min, act_max = fused_range(op, out)
    return TransposeConvData(op.index, op.opcode, op.inputs[2], op.inputs[1], op.outputs[0], win,
                             inp.qzero, out.qzero, mult, shift, bias, act_min, act_max, dtype,
                             np.asarray(w.data, np.int8).reshape(oc, k_h, k_w, in_c))


def scratch_bytes(d: TransposeConvData) -> int:
    """The accumulators of the whole output: int64 for int16, int32 for int8."""
    n = d.win
    return n.batches * n.out_h * n.out_w * n.out_c * (8 if d.dtype == "int16" else 4)


def _params(d: TransposeConvData, em: Emitter) -> str:
    return em.params("tq_transpose_conv_params", {
        "geo": d.win.c_init(), "input_offset": -d.input_zp, "output_offset": d.output_zp,
        "act_min": d.act_min, "act_max": d.act_max,
        "mult": em.const(d.mult, "mult"), "shift": em.const(d.shift, "shift"),
        "bias": em.const(d.bias, "bias") if d.dtype == "int8" else "0",
        "bias64": em.const(d.bias, "bias64") if d.dtype == "int16" else "0",
    })


SOURCES = ["transpose_conv.c", "transpose_conv.h", "tq_s16.h"]


@variant("TRANSPOSE_CONV", "portable", SOURCES, scratch=scratch_bytes, applies=lambda d: d.dtype == "int16",
         name="transpose_conv_portable_s16")
def lower_s16(d: TransposeConvData, em: Emitter) -> None:
    em.include("transpose_conv.h")
    em.call(f"tq_transpose_conv_s16({_params(d, em)}, {em.tensor(d.input)}, {em.tensor(d.weights)}, "
            f"{em.tensor(d.output)}, {em.scratch()})")


@variant("TRANSPOSE_CONV", "portable", SOURCES, scratch=scratch_bytes, applies=lambda d: d.dtype == "int8")
def lower_s8(d: TransposeConvData, em: Emitter) -> None:
    em.include("transpose_conv.h")
    em.call(f"tq_transpose_conv_s8({_params(d, em)}, {em.tensor(d.input)}, {em.tensor(d.weights)}, "
            f"{em.tensor(d.output)}, {em.scratch()})")


# ---- the Cortex-M DSP variant (int8): int16-widened weights per tap, SMLAD matrix-vector products ----

def _direct(w: Window) -> bool:
    """Every output pixel comes from exactly one (input pixel, tap): the filter tiles the output
    (k == stride, no padding, out == in * stride), so the kernel requantizes each product at once."""
    return (w.k_h == w.stride_h and w.k_w == w.stride_w and w.pad_h == w.pad_w == 0
            and w.out_h == w.in_h * w.stride_h and w.out_w == w.in_w * w.stride_w)


def dsp_scratch(d: TransposeConvData) -> int:
    """The accumulators (4 bytes an output element, not direct), the widened pixel (8 bytes a
    group of 4 input channels) and, for in_c not a multiple of 4, the pixel padded (4 a group)."""
    n = d.win
    groups = -(-n.in_c // 4)
    acc = 0 if _direct(n) else 4 * n.batches * n.out_h * n.out_w * n.out_c
    return acc + 8 * groups + (4 * groups if n.in_c % 4 else 0)


def dsp_weights(d: TransposeConvData, factor: np.ndarray) -> np.ndarray:
    """int32 words: per tap (ky, kx), the [out_c, in_c] weights (times factor per channel) as
    tq_mm_dsp.h's blocks of 4 channels and groups of 4 inputs (matmul_weights)."""
    oc, k_h, k_w, ic = d.w.shape
    w = d.w.astype(np.int64) * factor[:, None, None, None]
    taps = w.transpose(1, 2, 0, 3).reshape(k_h * k_w, oc, ic)
    return np.concatenate([matmul_weights(t)[0] for t in taps])


def dsp_bias(d: TransposeConvData, factor: np.ndarray) -> np.ndarray:
    """The kernel's initial accumulators, scaled: direct, per tap, the bias plus the input offset
    times the tap's weights (each output has exactly one tap); else the bias (the kernel adds the
    offset to the inputs)."""
    if not _direct(d.win):
        return pad4(scaled_int32(d.bias, factor))
    oc, k_h, k_w, ic = d.w.shape
    wsum = d.w.astype(np.int64).transpose(1, 2, 0, 3).reshape(k_h * k_w, oc, ic).sum(axis=2)
    rows = d.bias.astype(np.int64)[None, :] - d.input_zp * wsum
    return np.concatenate([pad4(scaled_int32(r, factor)) for r in rows])


@variant("TRANSPOSE_CONV", "dsp", ["transpose_conv_dsp.c", "transpose_conv_dsp.h", *DSP_SOURCES],
         scratch=dsp_scratch, applies=lambda d: d.dtype == "int8")
def lower_dsp(d: TransposeConvData, em: Emitter) -> None:
    """Weights widened to int16 (twice the model's weight bytes: there is no dsp8 variant, so the
    flash policy never trades them back), the fast requantization's factor folded in."""
    win, oc = d.win, d.win.out_c
    rq, factor, exact = requant_for(d.w.reshape(oc, -1), d.bias, d.mult, d.shift, d.output_zp)
    if _direct(win):
        rq = np.tile(rq, (win.k_w, 1))
    em.include("transpose_conv_dsp.h")
    p = em.params("tq_transpose_conv_dsp_params", {
        "geo": win.c_init(), "groups": -(-win.in_c // 4), "direct": int(_direct(win)),
        "input_offset": -d.input_zp, "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact,
        "bias": em.const(dsp_bias(d, factor), "bias"),
    })
    em.call(f"tq_transpose_conv_dsp_s8({p}, {em.tensor(d.input)}, {em.const(dsp_weights(d, factor), 'w16')}, "
            f"{em.tensor(d.output)}, {em.scratch()})")
