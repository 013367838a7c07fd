"""float32 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (firmware/kernels/conv_f32.c), with
float32 weights or float16 ones (a float16 model's, kept by tinyq/passes/fold_float16.py: the
`_f16w` kernels convert them as they read them); dynamic-range (int8-weight) layers run
hybrid_f32.c, or hybrid_dsp.c (SMLAD) with the DSP extension."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._window import window
from tinyq.ops.emitter import Emitter
from tinyq.ops.f32._base import CONV_SOURCES, F32Data, act_bounds, bias_f32, need_f32
from tinyq.ops.fully_connected import dsp8_weights, fc_batches
from tinyq.ops.registry import Refusal, register_op, variant

HYBRID_SOURCES = ["hybrid_f32.c", "hybrid_f32.h", "tq_f32.h"]
HYBRID_DSP_SOURCES = [*HYBRID_SOURCES, "hybrid_dsp.c", "hybrid_dsp.h", "tq_dot8.h", "tq_dsp.h"]


def _weights(op: Op, g: Graph, ndim: int) -> np.ndarray:
    """The constant float32, float16 or (dynamic range) symmetric int8 weights (input 1), `ndim`-D."""
    w = g.t(op.inputs[1])
    if w.dtype == "int8" and w.is_const and w.is_quantized and w.data is not None:
        if np.any(w.zero_point != 0):
            raise Refusal(f"int8 weights '{w.name}' must be symmetric (zero point 0)")
    elif w.dtype not in ("float32", "float16") or not w.is_const or w.data is None:
        need_f32(op, g, [1])    # says why (a dynamic-range model's int8 weights, ...)
        raise Refusal(f"weights '{w.name}' must be a constant float32 or float16 tensor")
    if len(w.shape) != ndim:
        raise Refusal(f"weights '{w.name}' must be {ndim}-D, got {list(w.shape)}")
    return np.asarray(w.data).reshape(w.shape)


def _hybrid(d: F32Data, g: Graph, op: Op, channels: int, axis: int, asymmetric: bool, scratch: int,
            patch: int = 0) -> F32Data:
    """The dynamic-range form of a float record whose weights are int8: per-channel weight scales
    (and, for FULLY_CONNECTED, row sums), the kernel that quantizes its input on the fly."""
    w = g.t(op.inputs[1])
    assert w.scale is not None
    if len(w.scale) not in (1, channels) or (len(w.scale) > 1 and w.quantized_dimension != axis):
        raise Refusal(f"int8 weights '{w.name}' need 1 or {channels} scales along dimension {axis}")
    params = dict(d.params)
    params.pop("depth_multiplier", None) if d.opcode == "FULLY_CONNECTED" else None
    params["asymmetric"] = int(asymmetric)
    params["wscale"] = np.broadcast_to(np.asarray(w.scale, np.float32), (channels,)).copy()
    if d.opcode == "FULLY_CONNECTED":
        params["row_sum"] = np.asarray(w.data, np.int64).reshape(channels, -1).sum(axis=1).astype(np.int32)
    ctype = "tq_fc_hybrid_params" if d.opcode == "FULLY_CONNECTED" else "tq_conv_hybrid_params"
    return F32Data(d.index, d.opcode, d.func.replace("_f32", "_hybrid"), ctype, d.args, params, d.output,
                   mac_count=d.mac_count, scratch_bytes=scratch, patch_bytes=patch)


@register_op("CONV_2D", dtype="float32")
def prepare_conv(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0, 2])
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    w = _weights(op, g, 4)
    if len(inp.shape) != 4 or w.shape[3] != inp.shape[3]:
        raise Refusal("needs a 4-D NHWC input and OHWI weights of its depth (no grouped convolution)")
    win = window(op.options, inp, out, int(w.shape[1]), int(w.shape[2]))
    if w.shape[0] != win.out_c:
        raise Refusal(f"weights have {w.shape[0]} output channels, the output {win.out_c}")
    d = F32Data(op.index, op.opcode, "tq_conv_2d_f32", "tq_conv_f32_params",
                (op.inputs[0], op.inputs[1], op.outputs[0]),
                {"geo": win.c_init(), "depth_multiplier": 1, **act_bounds(op),
                 "bias": bias_f32(op, g, win.out_c)}, op.outputs[0],
                trailing=((op.inputs[0], win.trailing_delta(4)),), row_dep=win.rows(op.inputs[0], op.outputs[0]),
                mac_count=win.batches * win.out_h * win.out_w * win.out_c * win.k_h * win.k_w * win.in_c)
    if w.dtype == np.int8:
        # TFLite's hybrid convolution: per-channel weights quantize the input asymmetrically
        w_t = g.t(op.inputs[1])
        return _hybrid(d, g, op, win.out_c, 0, w_t.per_channel, win.in_h * win.in_w * win.in_c,
                       win.k_h * win.k_w * win.in_c)
    return d


@register_op("DEPTHWISE_CONV_2D", dtype="float32")
def prepare_depthwise(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0, 2])
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    w = _weights(op, g, 4)
    if len(inp.shape) != 4 or len(out.shape) != 4:
        raise Refusal("needs 4-D NHWC input and output")
    win = window(op.options, inp, out, int(w.shape[1]), int(w.shape[2]))
    mult = win.out_c // max(win.in_c, 1)
    if w.shape[0] != 1 or w.shape[3] != win.out_c or mult * win.in_c != win.out_c:
        raise Refusal(f"weights {list(w.shape)} do not fit {win.in_c} -> {win.out_c} channels")
    d = F32Data(op.index, op.opcode, "tq_depthwise_conv_2d_f32", "tq_conv_f32_params",
                (op.inputs[0], op.inputs[1], op.outputs[0]),
                {"geo": win.c_init(), "depth_multiplier": mult, **act_bounds(op),
                 "bias": bias_f32(op, g, win.out_c)}, op.outputs[0],
                trailing=((op.inputs[0], win.trailing_delta(4)),), row_dep=win.rows(op.inputs[0], op.outputs[0]),
                mac_count=win.batches * win.out_h * win.out_w * win.out_c * win.k_h * win.k_w)
    if w.dtype == np.int8:     # TFLite's hybrid depthwise quantizes the input asymmetrically
        return _hybrid(d, g, op, win.out_c, 3, True, win.in_h * win.in_w * win.in_c)
    return d


@register_op("FULLY_CONNECTED", dtype="float32")
def prepare_fc(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0, 2])
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    w = _weights(op, g, 2)
    out_depth, in_depth = (int(v) for v in w.shape)
    batches = fc_batches(inp, out, out_depth, in_depth)
    d = F32Data(op.index, op.opcode, "tq_fully_connected_f32", "tq_fc_f32_params",
                (op.inputs[0], op.inputs[1], op.outputs[0]),
                {"batches": batches, "in_depth": in_depth, "out_depth": out_depth, **act_bounds(op),
                 "bias": bias_f32(op, g, out_depth)}, op.outputs[0],
                mac_count=batches * in_depth * out_depth)
    if w.dtype == np.int8:
        return _hybrid(d, g, op, out_depth, 0, bool(op.options.get("asymmetric_quantize_inputs", False)), in_depth)
    return d


def lower_hybrid(d: F32Data, em: Emitter) -> None:
    """Dynamic range: the model's int8 weights as they are, the input quantized into the scratch."""
    inp, weights, out = d.args
    em.include("hybrid_f32.h")
    fields = {k: em.const(v, "h") if isinstance(v, np.ndarray) else v for k, v in d.params.items()}
    p = em.params(d.ctype, fields)
    em.call(f"{d.func}({p}, {em.tensor(inp)}, {em.tensor(weights)}, {em.tensor(out)}, (int8_t *){em.scratch()})")


def lower_hybrid_dsp(d: F32Data, em: Emitter) -> None:
    """hybrid_dsp.c: FULLY_CONNECTED and CONV_2D weights [out][len] permuted into the dsp8 order
    (still 1 byte each; CONV_2D also gets each channel's weight sum), DEPTHWISE's as they are."""
    inp, weights, out = d.args
    em.include("hybrid_dsp.h")
    fields = {k: em.const(v, "h") if isinstance(v, np.ndarray) else v for k, v in d.params.items()}
    p = em.params(d.ctype, fields)
    func = d.func.replace("_hybrid", "_dsp_hybrid")
    scratch = f"(int8_t *){em.scratch()}"
    if d.opcode == "DEPTHWISE_CONV_2D":
        em.call(f"{func}({p}, {em.tensor(inp)}, {em.tensor(weights)}, {em.tensor(out)}, {scratch})")
        return
    w = np.asarray(em.graph.t(weights).data, np.int8)
    rows = w.reshape(w.shape[0], -1)
    wexpr = em.const(dsp8_weights(rows), "w8", em.graph.t(weights).name)
    if d.opcode == "FULLY_CONNECTED":
        em.call(f"{func}({p}, {em.tensor(inp)}, {wexpr}, {em.tensor(out)}, {scratch})")
    else:
        wsum = em.const(rows.astype(np.int64).sum(axis=1).astype(np.int32), "h")
        em.call(f"{func}({p}, {wsum}, {em.tensor(inp)}, {wexpr}, {em.tensor(out)}, {scratch})")


def _dsp_scratch(d: F32Data) -> int:
    """The quantized input, and CONV_2D's im2col patch after it (see hybrid_dsp.h)."""
    return d.scratch_bytes + d.patch_bytes


def lower_weighted(d: F32Data, em: Emitter) -> None:
    """The kernel for the weights' type: float16 ones as their bits (uint16_t), half the flash."""
    inp, weights, out = d.args
    w = em.graph.t(weights)
    em.include("conv_f32.h")
    fields = {k: em.const(v, "f32") if isinstance(v, np.ndarray) else v for k, v in d.params.items()}
    p = em.params(d.ctype, fields)
    if w.dtype == "float16":
        wexpr = em.const(np.asarray(w.data, np.float16).view(np.uint16), "w16", w.name)
        func = d.func.replace("_f32", "_f16w")
    else:
        wexpr, func = em.tensor(weights), d.func
    em.call(f"{func}({p}, {em.tensor(inp)}, {wexpr}, {em.tensor(out)})")


def _is_hybrid(d: F32Data) -> bool:
    return d.func.endswith("_hybrid")


for _name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
    variant(_name, "portable", CONV_SOURCES, dtype="float32", applies=lambda d: not _is_hybrid(d),
            rows="geo" if _name != "FULLY_CONNECTED" else "")(lower_weighted)
    variant(_name, "portable", HYBRID_SOURCES, dtype="float32", applies=_is_hybrid, name=f"{_name.lower()}_hybrid",
            scratch=lambda d: d.scratch_bytes)(lower_hybrid)
    variant(_name, "dsp", HYBRID_DSP_SOURCES, dtype="float32", applies=_is_hybrid,
            name=f"{_name.lower()}_dsp_hybrid", scratch=_dsp_scratch)(lower_hybrid_dsp)
