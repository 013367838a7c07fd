"""DEPTHWISE_CONV_2D, int8 or 16x8 (int16 activations, int8 weights, int64 bias), any depth
multiplier and dilation, per-tensor or per-channel weights."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range, fused_range_of, need_int8, need_quantized, per_channel_multipliers
from tinyq.ops._dsp16 import S16_DSP_SOURCES, even, rq16_fields
from tinyq.ops._dsp_layout import (
    DSP_SOURCES,
    depthwise_weights,
    packed_requant,
    pad4,
    requant_for,
    scaled_int32,
    wide_shifts,
)
from tinyq.ops._window import Window, conv_weights_check, window
from tinyq.ops.conv_2d import CONV_DSP_SOURCES, ConvData, bias_terms, check_s16_requant, weights_bias_s16
from tinyq.ops.conv_2d import dsp8_scratch as conv_dsp8_scratch
from tinyq.ops.conv_2d import dsp_s16_scratch as conv_dsp_s16_scratch
from tinyq.ops.conv_2d import dsp_scratch as conv_dsp_scratch
from tinyq.ops.conv_2d import lower_dsp as conv_lower_dsp
from tinyq.ops.conv_2d import lower_dsp8 as conv_lower_dsp8
from tinyq.ops.conv_2d import lower_dsp_s16 as conv_lower_dsp_s16
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import ROOMY, Overlap, Prepared, Refusal, Rows, register_op, variant


@dataclass(frozen=True, eq=False)
class DepthwiseData(Prepared):
    input: int
    weights: int
    output: int
    win: Window
    w: np.ndarray               # int8 [1, k_h, k_w, out_c]
    input_zp: int
    output_zp: int
    mult: np.ndarray
    shift: np.ndarray
    bias: np.ndarray
    bias_full: np.ndarray
    act_min: int
    act_max: int
    dtype: str = "int8"         # of the activations; int16: bias and bias_full are the int64 bias
    ram_room: int = 0           # scratch that keeps this op's input, output and scratch together
                                # within the graph's largest activation (ring_scratch must fit)

    @property
    def depth_mult(self) -> int:
        return self.win.out_c // self.win.in_c

    def macs(self) -> int:
        n = self.win
        return n.batches * n.out_h * n.out_w * n.out_c * n.k_h * n.k_w

    def overlaps(self) -> list[Overlap]:
        return [Overlap(self.input, self.output, self.win.trailing_delta(2 if self.dtype == "int16" else 1))]

    def row_deps(self, g: Graph) -> Rows | None:
        return self.win.rows(self.input, self.output)


@register_op("DEPTHWISE_CONV_2D")
def prepare(op: Op, g: Graph) -> DepthwiseData:
    if g.t(op.inputs[0]).dtype == "int16":
        reason, _ = need_quantized(op, g, [0, -1], ("int16",))
    else:
        reason = need_int8(op, g, [0, 1, -1])
    if reason:
        raise Refusal(reason)
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if not w.is_const or len(w.shape) != 4 or w.shape[0] != 1 or len(inp.shape) != 4 or len(out.shape) != 4:
        raise Refusal("needs 4-D NHWC input and constant [1,kh,kw,C] weights")
    in_c, oc = int(inp.shape[3]), int(out.shape[3])
    if in_c < 1 or oc % in_c:
        raise Refusal("output channels must be a multiple of the input channels")
    dm = op.options.get("depth_multiplier")
    if dm not in (None, 0, oc // in_c) and in_c != 1:
        # TFLM ignores the option in favour of the shapes; a file where they disagree is corrupt
        raise Refusal(f"depth_multiplier {dm} disagrees with {in_c} input and {oc} output channels")
    if inp.dtype == "int16":
        bias = weights_bias_s16(op, g, oc, channel_axis=3)
        win = window(op.options, inp, out, int(w.shape[1]), int(w.shape[2]))
        mult, shift = per_channel_multipliers(inp, w, out, oc)
        check_s16_requant(win.k_h * win.k_w, bias, shift)
        act_min, act_max = fused_range_of(op, out)
        return DepthwiseData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], win, w.data,
                             0, 0, mult, shift, bias, bias, act_min, act_max, dtype="int16")
    conv_weights_check(op, g, 3, oc)
    win = window(op.options, inp, out, int(w.shape[1]), int(w.shape[2]))
    mult, shift = per_channel_multipliers(inp, w, out, oc)
    bias, bias_full = bias_terms(op, g, oc, w.data.astype(np.int64).reshape(-1, oc).sum(axis=0))
    act_min, act_max = fused_range(op, out)
    largest = max((t.nbytes for t in g.tensors if not t.is_const), default=0)
    return DepthwiseData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], win, w.data,
                         inp.qzero, out.qzero, mult, shift, bias, bias_full, act_min, act_max,
                         ram_room=largest - inp.nbytes - out.nbytes)


@variant("DEPTHWISE_CONV_2D", "portable", ["depthwise_conv_2d.c", "depthwise_conv_2d.h"],
         applies=lambda d: d.dtype == "int8", rows="geo")
def lower_portable(d: DepthwiseData, em: Emitter) -> None:
    em.include("depthwise_conv_2d.h")
    p = em.params("tq_dw_params", {
        "geo": d.win.c_init(), "depth_mult": d.depth_mult,
        "input_offset": -d.input_zp, "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "mult": em.const(d.mult, "mult"), "shift": em.const(d.shift, "shift"),
        "bias": em.const(d.bias, "bias"), "bias_full": em.const(d.bias_full, "bias"),
    })
    em.call(f"tq_depthwise_conv_2d_s8({p}, {em.tensor(d.input)}, {em.tensor(d.weights)}, {em.tensor(d.output)})")


@variant("DEPTHWISE_CONV_2D", "portable", ["depthwise_conv_2d_s16.c", "depthwise_conv_2d_s16.h", "tq_s16.h"],
         applies=lambda d: d.dtype == "int16", name="depthwise_conv_2d_portable_s16", rows="geo")
def lower_portable_s16(d: DepthwiseData, em: Emitter) -> None:
    em.include("depthwise_conv_2d_s16.h")
    p = em.params("tq_dw_s16_params", {
        "geo": d.win.c_init(), "depth_mult": d.depth_mult, "act_min": d.act_min, "act_max": d.act_max,
        "mult": em.const(d.mult, "mult"), "shift": em.const(d.shift, "shift"),
        "bias": em.const(d.bias.astype(np.int64), "bias64"),
    })
    em.call(f"tq_depthwise_conv_2d_s16({p}, {em.tensor(d.input)}, {em.tensor(d.weights)}, {em.tensor(d.output)})")


@variant("DEPTHWISE_CONV_2D", "dsp", S16_DSP_SOURCES, name="depthwise_conv_2d_dsp_s16",
         applies=lambda d: d.dtype == "int16" and d.depth_mult == 1 and d.win.k_h * d.win.k_w < 512, rows="geo")
def lower_dsp_s16(d: DepthwiseData, em: Emitter) -> None:
    win, c = d.win, d.win.out_c
    w16 = np.zeros((win.k_h * win.k_w, even(c)), np.int16)
    w16[:, :c] = d.w.reshape(-1, c)
    em.include("s16_dsp.h")
    p = em.params("tq_dw_dsp_s16_params", {
        "geo": win.c_init(), "act_min": d.act_min, "act_max": d.act_max,
        **rq16_fields(em, d.mult, d.shift, d.bias, d.w.reshape(-1, c).T),
    })
    em.call(f"tq_depthwise_conv_2d_dsp_s16({p}, {em.tensor(d.input)}, {em.const(w16, 'w16')}, {em.tensor(d.output)})")


# ---- the DSP kernel of every int8 shape: a ring of channel-planar int16 rows ----

RING_MAX_ROWS = 16             # depthwise_conv_2d_rows.c: TQ_DWR_MAX_KH
# Larger rings (wide images, many channels) keep the per-pixel kernels. The RAM rule below bounds
# the arena by the largest activation, which a patched plan (tinyq/plan/patch.py) never holds whole;
# the compile workflow then also plans without rings and keeps the smaller arena. MobileNetV2-0.35
# at 144 px without patches: 1 ring at 8 KiB, 11 at 16 KiB with the same arena, 16 at 32 KiB for
# 9% more arena.
RING_SCRATCH_LIMIT = 16 * 1024
RING_RAM_SLACK = 512            # the arena may grow this much for a ring (one input channel's are
                                # this small; the convolution it replaces there has scratch too)


def ring_transposed(w: Window) -> bool:
    """A kh x 1 filter over an image one pixel wide runs as 1 x kh over a row (the same bytes)."""
    return w.in_w == 1 and w.out_w == 1 and w.k_w == 1 and w.k_h > 1


def ring_shape(w: Window) -> tuple[int, int, int, int]:
    """(k_h, k_w, stride_w, out_w) as the ring kernel runs the layer."""
    if ring_transposed(w):
        return w.k_w, w.k_h, w.stride_h, w.out_h
    return w.k_h, w.k_w, w.stride_w, w.out_w


def _ring_bytes(d: DepthwiseData, group: int) -> int:
    kh, kw, s, out_w = ring_shape(d.win)
    return (kh * group + 1) * tq_dw_rows_width(out_w, s, kw) * 2


def tq_dw_rows_width(out_w: int, stride: int, k_w: int) -> int:
    """Halfwords of a ring plane row (depthwise_conv_2d_rows.h)."""
    n2 = (out_w + 1) & ~1
    return (stride * (n2 - 1) + k_w + 3) & ~1


# Where the ring of all channels would add to the arena, multiplier-1 layers run it over groups of
# channels in turn, each group's ring and one output row (ring_scratch) at most this big (at least
# 4 channels a group). Each group pays its rows' setup (RING_GROUP_ROW instructions: widening calls
# and the row's asm entry; 250 keeps an EfficientNet-like 3x3 stride-2 layer over 96 channels,
# 4 a group, per pixel, where the ring measured 0.286 MACs/instr against 0.30). Measured on
# the emulated M4: 2 KB -> 2.5 KB, VWW 8,630,768 -> 8,567,489 instructions at the same arena, KWS
# 3,220,072 -> 3,185,388 for 480 B more; 3 KB takes KWS's arena past what compile keeps for speed.
RING_GROUP_BYTES = 2560
RING_GROUP_ROW = 250.0


def ring_group(d: DepthwiseData) -> int:
    """Input channels the ring holds at a time: all of them where that fits the room (free), else
    the most, a multiple of 4, whose ring fits RING_GROUP_BYTES. With a multiplier above 1 always all
    (a channel's outputs then are not where its inputs were, which the arena's overlap relies on)."""
    c = d.win.in_c
    if d.depth_mult != 1 or c <= 4:
        return c
    if d.ram_room < ROOMY and _ring_bytes(d, c) <= min(RING_SCRATCH_LIMIT, d.ram_room + RING_RAM_SLACK):
        return c
    g = c
    while g > 4 and _ring_bytes(d, g) + ring_shape(d.win)[3] * d.win.out_c > RING_GROUP_BYTES:
        g = (g - 1) & ~3 if g % 4 else g - 4
    return g


def ring_scratch(d: DepthwiseData) -> int:
    """k_h ring rows of ring_group() planes and a row of zero points, each plane
    tq_dw_rows_width() int16 halfwords; with groups, an output row besides (where the arena puts
    the output over the input but not a whole number of pixels from it, the kernel makes each
    output row in scratch, depthwise_conv_2d_rows.c)."""
    g = ring_group(d)
    staged = ring_shape(d.win)[3] * d.win.out_c if g < d.win.in_c else 0
    return _ring_bytes(d, g) + staged


# Multiplier 1 over fewer output columns: the per-pixel kernel wins (the ring pays its per-channel
# setup and its widening, a stride 2 four input pixels an output), measured by layer_sweep.py.
# 3x3 filters are decided by the estimates below instead.
RING_MIN_OUT_W = {1: 4, 2: 8}


def _ring_applies(d: DepthwiseData) -> bool:
    w = d.win
    kh, kw, s, out_w = ring_shape(w)
    if d.depth_mult == 1 and w.in_c > 1:
        if (kh, kw) == (3, 3):
            if _ring3x3_gain(d) <= 0:
                return False
        elif out_w < RING_MIN_OUT_W.get(s, 0):
            return False
    elif (kh, kw) == (3, 3) and w.in_c > 1 and _taps_asm(d) and _ring3x3_cost(d) >= _blocked3x3_cost(d):
        return False
    fast = RING_FAST_SHAPES if d.depth_mult == 1 else RING_FAST_SHAPES_MULT
    if (kh, kw, s) not in fast and _taps_asm(d):
        # the ring's generic path (no unrolled rows) against the tap-table asm: 0.23-0.24 vs
        # 0.32-0.42 MACs/instr on 7x7 with multipliers 2 and 4, 3x slower on a 3x1 filter with
        # multiplier 8 (layer_sweep.py, single layers in the emulator)
        return False
    # RAM: the ring must not raise the arena's peak (but by the slack), which the largest activation
    # bounds from below (kept where the op's input, output and ring fit within it; an int8 ring
    # would fit more)
    return (d.dtype == "int8" and w.dil_h == 1 and w.dil_w == 1 and s in (1, 2) and kh <= RING_MAX_ROWS
            and ring_scratch(d) <= min(RING_SCRATCH_LIMIT, d.ram_room + RING_RAM_SLACK))


def _taps_asm(d: DepthwiseData) -> bool:
    """Whether the per-pixel kernels run the layer in their tap-table asm (tq_dw_run.h): all of
    int8 as the output range, channel blocks whole, a filter of at most 64 taps."""
    w = d.win
    if d.act_min != -128 or d.act_max != 127 or w.k_h * w.k_w > DW_TAPS_RUN_MAX:
        return False
    if d.depth_mult == 1:
        return w.in_c % 4 == 0
    # (one input channel runs as a convolution instead, whose kernel the ring beats)
    return w.in_c > 1 and w.out_c % 4 == 0 and (d.depth_mult == 2 or d.depth_mult % 4 == 0)


def ring_weights(w: np.ndarray, win: Window) -> np.ndarray:
    """[k_h, k_w, C] (scaled) -> int32 words: per output channel, per filter row of the kernel's
    shape (ring_shape), the weight pairs (w[2j], w[2j+1]) as low/high int16, an odd last with 0."""
    taps = w.transpose(1, 0, 2) if ring_transposed(win) else w
    kh, kw, oc = taps.shape
    pw = -(-kw // 2)
    wp = np.zeros((oc, kh, 2 * pw), np.int16)
    wp[:, :, :kw] = taps.transpose(2, 0, 1)
    return np.ascontiguousarray(wp.astype("<i2").reshape(-1)).view("<i4").astype(np.int32)


# Instructions on the emulated Cortex-M4 (layer_sweep.py and single layers of VWW's and KWS's
# shapes, within 8%): the 3x3 ring kernel per output channel and row (four outputs a pass, by
# stride, then a pair and a single; and the channel's own steps, fewer with multiplier 1) and per
# widened input element; the per-pixel dsp kernel per MAC (3.1-3.3 on 8x8 to 25x5 images, 16-128
# channels, stride 1 and 2).
RING3X3_QUAD = {1: 61.0, 2: 64.0}
RING3X3_PAIR, RING3X3_SINGLE = 35.0, 20.0
RING3X3_CHANNEL = {1: 36.0}         # by multiplier; any other:
RING3X3_CHANNEL_ANY = 44.0
RING_WIDEN = 2.0
PER_PIXEL_3X3_MAC = 3.25
PER_PIXEL_3X3_MAC_C = 4.0       # its C path: channels not a multiple of 4, or a clamp inside int8


def _ring3x3_row(n: int, stride: int) -> float:
    """The ring's instructions for one output channel's row of n outputs, its channel step aside."""
    return n // 4 * RING3X3_QUAD.get(stride, RING3X3_QUAD[2]) + (n % 4 >= 2) * RING3X3_PAIR + n % 2 * RING3X3_SINGLE


def _ring3x3_cost(d: DepthwiseData) -> float:
    """The 3x3 ring kernel's instructions (any multiplier)."""
    w = d.win
    _, _, s, n = ring_shape(w)
    row = _ring3x3_row(n, s) + RING3X3_CHANNEL.get(d.depth_mult, RING3X3_CHANNEL_ANY)
    groups = -(-w.in_c // ring_group(d))
    return (w.batches * w.out_h * (w.out_c * row + groups * RING_GROUP_ROW)
            + RING_WIDEN * w.batches * w.in_h * w.in_w * w.in_c)


def _ring3x3_gain(d: DepthwiseData) -> float:
    """Instructions the 3x3 ring kernel would save over the per-pixel dsp kernel (multiplier 1)."""
    w = d.win
    asm = w.in_c % 4 == 0 and d.act_min == -128 and d.act_max == 127
    return (PER_PIXEL_3X3_MAC if asm else PER_PIXEL_3X3_MAC_C) * d.macs() - _ring3x3_cost(d)


# The blocked multiplier kernel's asm on 3x3 filters (taps in pairs), fitted to layer_sweep.py's
# geometries (4x4 and 8x8 outputs, 16-128 output channels, within 5%): per MAC by multiplier (2;
# 4k), per output pixel, and per input channel and pixel where a multiplier of 8 or more runs
# each input channel's blocks as a call of their own. Measured ring -> blocked at stride 2, MACs
# per instruction: 32 channels x2 0.274 -> 0.309, 64 x2 0.282 -> 0.326, 16 x4 0.312 -> 0.337, 32 x4
# 0.322 -> 0.359; the ring stays ahead on 8x8 outputs and at stride 1 (c8 x2 0.320 vs 0.253).
BLOCKED3X3_MAC = {2: 3.0}
BLOCKED3X3_MAC_4K = 2.67
BLOCKED3X3_PIXEL = 137.0
BLOCKED3X3_CALL = 50.0


def _blocked3x3_cost(d: DepthwiseData) -> float:
    """The blocked multiplier kernel's instructions on a 3x3 layer its asm runs (_taps_asm)."""
    w = d.win
    pixels = w.batches * w.out_h * w.out_w
    calls = pixels * w.in_c if d.depth_mult > 4 else 0
    return (BLOCKED3X3_MAC.get(d.depth_mult, BLOCKED3X3_MAC_4K) * d.macs() + BLOCKED3X3_PIXEL * pixels
            + BLOCKED3X3_CALL * calls)


def ring_over_per_pixel(d: DepthwiseData) -> float | None:
    """Instructions the ring kernel saves over the per-pixel dsp kernel on a 3x3 multiplier-1
    layer it applies to (None elsewhere): what the flash policy adds to the dsp8-to-dsp saving,
    the dsp variant of such a layer being the ring."""
    if not (_ring_applies(d) and d.depth_mult == 1 and ring_shape(d.win)[:2] == (3, 3)):
        return None
    return _ring3x3_gain(d)


def ring_blocks3x3(words: np.ndarray, bias: np.ndarray, rq: np.ndarray) -> np.ndarray:
    """ring_weights of a 3x3 filter (2 words a row: (w0, w1), (w2, 0)) -> 11 words per output
    channel, what the asm loads (depthwise_conv_2d_rows.c): bias, bias, the tq_rq row, then per
    filter row the pairs (w0, w1) and (w1, w2)."""
    oc = len(bias)
    h = words.view(np.int16).reshape(oc, 3, 4)           # [oc, row, (w0, w1, w2, 0)]
    taps = np.ascontiguousarray(h[:, :, [0, 1, 1, 2]]).reshape(oc, -1).view(np.int32)   # [oc, 6]
    out = np.concatenate([bias[:, None], bias[:, None], rq.astype(np.int32), taps], axis=1)
    return np.ascontiguousarray(out.astype(np.int32)).reshape(-1)


@variant("DEPTHWISE_CONV_2D", "dsp", ["depthwise_conv_2d_rows.c", "depthwise_conv_2d_rows.h", *DSP_SOURCES],
         scratch=ring_scratch, applies=_ring_applies, name="depthwise_conv_2d_dsp_rows", rows="geo")
def lower_dsp_rows(d: DepthwiseData, em: Emitter) -> None:
    """Any multiplier and filter, stride 1 or 2 along the width, no dilation: input rows widened
    once into channel-planar int16 rows, SMLAD over pairs of taps, two outputs per pass."""
    win, oc = d.win, d.win.out_c
    taps = d.w.reshape(-1, oc)
    rq, factor, exact = requant_for(taps.T, d.bias, d.mult, d.shift, d.output_zp)
    scaled = (d.w.reshape(win.k_h, win.k_w, oc).astype(np.int64) * factor[None, None, :])
    bias = scaled_int32(d.bias_full, factor)
    words = ring_weights(scaled, win)
    fields = {"geo": win.c_init(), "depth_mult": d.depth_mult, "group": ring_group(d), "input_zp": d.input_zp,
              "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max, "rq_exact": exact}
    if ring_shape(win)[:2] == (3, 3):
        w = em.const(ring_blocks3x3(words, bias, rq), "w16")       # rq and bias inside
    else:
        w = em.const(words, "w16")
        fields.update({"rq": f"(const tq_rq *){em.const(rq, 'rq')}", "bias_full": em.const(bias, "bias")})
    em.include("depthwise_conv_2d_rows.h")
    p = em.params("tq_dw_rows_params", fields)
    em.call(f"tq_depthwise_conv_2d_rows_s8({p}, {em.tensor(d.input)}, {w}, {em.tensor(d.output)}, {em.scratch()})")


# ---- one input channel, depth multiplier M: a convolution with in_c = 1 and M filters ----

def as_conv(d: DepthwiseData) -> ConvData:
    """The same layer as a CONV_2D: with one input channel the [1, kh, kw, M] depthwise weights are
    M OHWI filters [M, kh, kw, 1], and every constant (bias, multipliers, window) is the same."""
    return ConvData(d.index, d.opcode, d.input, d.weights, d.output, d.win, d.w.transpose(3, 1, 2, 0).copy(),
                    d.input_zp, d.output_zp, d.mult, d.shift, d.bias, d.bias_full, d.act_min, d.act_max,
                    dtype=d.dtype)


def as_depthwise(d: ConvData) -> DepthwiseData:
    """The reverse: a CONV_2D with one input channel as a depthwise layer of multiplier out_c."""
    return DepthwiseData(d.index, d.opcode, d.input, d.weights, d.output, d.win, d.w.transpose(3, 1, 2, 0).copy(),
                         d.input_zp, d.output_zp, d.mult, d.shift, d.bias, d.bias_full, d.act_min, d.act_max,
                         dtype=d.dtype, ram_room=max(conv_dsp_scratch(d), _out_bytes(d) // 32))


def _out_bytes(d: ConvData) -> int:
    w = d.win
    return w.batches * w.out_h * w.out_w * w.out_c


def _conv_on_ring(d: ConvData) -> bool:
    """A CONV_2D with one input channel (a first layer over a grey image or a spectrogram) runs
    the ring kernel as a depthwise of multiplier out_c: each filter walks the one widened plane
    two outputs at a time, where the convolution kernel's columns are only k_h * k_w long. Where
    the ring has a specialised path (CONV_RING_SHAPES), its scratch within the convolution
    kernel's own (its column buffer) or 1/32 of the output, which is live beside it."""
    w = d.win
    return (d.dtype == "int8" and w.in_c == 1 and w.out_c > 1 and d.add is None
            and ring_shape(w)[:3] in CONV_RING_SHAPES and _ring_applies(as_depthwise(d)))


# (k_h, k_w, stride along the width) as the ring runs them. layer_sweep.py-like single layers,
# 32 filters, MACs per instruction, convolution kernel -> ring: 3x3 0.344 -> 0.460 (stride 2:
# 0.342 -> 0.406; 8 filters over 28x28: 0.202 -> 0.450); not taken: 5x5 (the convolution's
# column staging, conv_2d_dsp_cols.h: 0.739 against the ring's 0.450; stride 2 0.695), 7x7 and
# 10x4 (the ring's generic path is not unrolled). With the staging, 3x3 is 0.438 (stride 2 0.412).
CONV_RING_SHAPES = {(3, 3, 1), (3, 3, 2), (1, 3, 1), (1, 5, 1), (1, 9, 1)}
# where the ring beats the tap-table asm of the per-pixel kernels for depthwise layers too: with
# multiplier 1, 5x5 besides (stride 1 over 16 channels 0.365 vs 0.316); with a larger multiplier
# the blocked kernel's taps in pairs (depthwise_mult_dsp.c) beat the ring on 5x5 (layer_sweep.py,
# ring -> blocked: stride 2 16 channels x2 0.341 -> 0.402, x4 0.380 -> 0.484; stride 1 64 channels
# x2 0.410 -> 0.447)
RING_FAST_SHAPES = CONV_RING_SHAPES | {(5, 5, 1), (5, 5, 2)}
RING_FAST_SHAPES_MULT = CONV_RING_SHAPES


@variant("CONV_2D", "dsp", ["depthwise_conv_2d_rows.c", "depthwise_conv_2d_rows.h", *DSP_SOURCES],
         scratch=lambda d: ring_scratch(as_depthwise(d)), applies=_conv_on_ring, name="conv_2d_dsp_rows",
         rows="geo", first=True)
def lower_conv_on_ring(d: ConvData, em: Emitter) -> None:
    lower_dsp_rows(as_depthwise(d), em)


def _one_channel(d: DepthwiseData) -> bool:
    return d.win.in_c == 1 and d.depth_mult > 1


@variant("DEPTHWISE_CONV_2D", "dsp", CONV_DSP_SOURCES,
         scratch=lambda d: conv_dsp_scratch(as_conv(d)), applies=lambda d: d.dtype == "int8" and _one_channel(d),
         name="depthwise_conv_2d_dsp_as_conv", rows="geo")
def lower_dsp_as_conv(d: DepthwiseData, em: Emitter) -> None:
    conv_lower_dsp(as_conv(d), em)


@variant("DEPTHWISE_CONV_2D", "dsp8", ["conv_2d_dsp8.c", "conv_2d_dsp8.h", *CONV_DSP_SOURCES[1:]],
         scratch=lambda d: conv_dsp8_scratch(as_conv(d)), applies=lambda d: d.dtype == "int8" and _one_channel(d),
         name="depthwise_conv_2d_dsp8_as_conv", rows="geo")
def lower_dsp8_as_conv(d: DepthwiseData, em: Emitter) -> None:
    conv_lower_dsp8(as_conv(d), em)


@variant("DEPTHWISE_CONV_2D", "dsp", S16_DSP_SOURCES, scratch=lambda d: conv_dsp_s16_scratch(as_conv(d)),
         applies=lambda d: d.dtype == "int16" and _one_channel(d), name="depthwise_conv_2d_dsp_as_conv_s16", rows="geo")
def lower_dsp_as_conv_s16(d: DepthwiseData, em: Emitter) -> None:
    conv_lower_dsp_s16(as_conv(d), em)


DW_TAPS_RUN_MAX = 64     # TQ_DW_MAX_TAPS in depthwise_conv_2d_dsp.c (and the mult kernel's table)


def _mult_blocks(d: DepthwiseData) -> bool:
    return (d.dtype == "int8" and d.depth_mult > 1 and d.win.in_c > 1 and d.win.out_c % 4 == 0
            and d.win.k_h * d.win.k_w <= DW_TAPS_RUN_MAX)


def mult_blocks_scratch(d: DepthwiseData) -> int:
    """The input zero point per input channel plus a word (what padding taps read), then two
    tables of 32-bit tap offsets."""
    return -(-(d.win.in_c + 4) // 4) * 4 + 8 * d.win.k_h * d.win.k_w


def mult_pair_weights(blocked: np.ndarray) -> np.ndarray:
    """The blocked kernel's int16 weights [block, tap, 4] in tap pairs, as its asm with multiplier 2
    or 4k reads them (depthwise_mult_dsp.c, TQ_DWR_PAIR_CH2 and _CH1): per block, per pair of taps
    (t, t + 1), per output channel w[t] w[t + 1]; an odd last tap's 4 weights as they were."""
    blocks, taps, _ = blocked.shape
    pairs = taps // 2
    p = blocked[:, :2 * pairs].reshape(blocks, pairs, 2, 4).transpose(0, 1, 3, 2).reshape(blocks, -1)
    return np.ascontiguousarray(np.concatenate([p, blocked[:, 2 * pairs:].reshape(blocks, -1)], axis=1))


@variant("DEPTHWISE_CONV_2D", "dsp", ["depthwise_mult_dsp.c", "depthwise_mult_dsp.h", "tq_dw_run.h", *DSP_SOURCES],
         scratch=mult_blocks_scratch, applies=_mult_blocks, name="depthwise_conv_2d_dsp_mult_blocks", rows="geo")
def lower_dsp_mult_blocks(d: DepthwiseData, em: Emitter) -> None:
    """Multiplier > 1 with output channels a multiple of 4: blocks of 4 output channels through a
    table of tap offsets, in asm for multipliers 2 and 4k (tq_dw_run.h); int16 weights scaled for
    the fast requantization, per block, per tap, in channel order; bias_full for every pixel
    (padding taps read the input zero point)."""
    oc = d.win.out_c
    taps = d.w.reshape(-1, oc)
    rq, factor, exact = requant_for(taps.T, d.bias, d.mult, d.shift, d.output_zp)
    w16 = (taps.astype(np.int64) * factor[None, :]).astype(np.int16)
    # the asm takes every pixel (depthwise_mult_dsp.c "fast"): the weights in tap pairs
    pairs = (not exact and d.act_min <= -128 and d.act_max >= 127
             and (d.depth_mult == 2 or d.depth_mult % 4 == 0))
    blocked = np.ascontiguousarray(w16.reshape(len(taps), oc // 4, 4).transpose(1, 0, 2))   # [block, tap, 4]
    if pairs:
        blocked = mult_pair_weights(blocked)
    em.include("depthwise_mult_dsp.h")
    p = em.params("tq_dw_mult_dsp_params", {
        "geo": d.win.c_init(), "depth_mult": d.depth_mult,
        "input_offset": -d.input_zp, "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact,
        "bias": "0", "bias_full": em.const(scaled_int32(d.bias_full, factor), "bias"),
        **({"pairs": 1} if pairs else {}),
    })
    em.call(f"tq_depthwise_conv_2d_mult_blocks_dsp_s8({p}, {em.tensor(d.input)}, {em.const(blocked.reshape(-1), 'w16')}, "
            f"{em.tensor(d.output)}, {em.scratch()})")


@variant("DEPTHWISE_CONV_2D", "dsp", ["depthwise_mult_dsp.c", "depthwise_mult_dsp.h", "tq_dw_run.h", *DSP_SOURCES],
         applies=lambda d: d.dtype == "int8" and d.depth_mult > 1 and d.win.in_c > 1 and d.depth_mult <= 32,
         name="depthwise_conv_2d_dsp_mult", rows="geo")
def lower_dsp_mult(d: DepthwiseData, em: Emitter) -> None:
    """Multiplier > 1: the input value shared by its depth_mult outputs, int16 weights scaled for
    the fast requantization (TFLM's arithmetic where the generator cannot prove it exact)."""
    oc = d.win.out_c
    taps = d.w.reshape(-1, oc)
    rq, factor, exact = requant_for(taps.T, d.bias, d.mult, d.shift, d.output_zp)
    w16 = (taps.astype(np.int64) * factor[None, :]).astype(np.int16)
    em.include("depthwise_mult_dsp.h")
    p = em.params("tq_dw_mult_dsp_params", {
        "geo": d.win.c_init(), "depth_mult": d.depth_mult,
        "input_offset": -d.input_zp, "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact,
        "bias": em.const(scaled_int32(d.bias, factor), "bias"),
        "bias_full": em.const(scaled_int32(d.bias_full, factor), "bias"),
    })
    em.call(f"tq_depthwise_conv_2d_mult_dsp_s8({p}, {em.tensor(d.input)}, {em.const(w16, 'w16')}, "
            f"{em.tensor(d.output)})")


def dsp_scratch(d: DepthwiseData) -> int:
    """The input zero point per channel plus a word (what padding taps read); for a filter other
    than 3x3 of at most 64 taps, two tables of 32-bit tap offsets after it (tq_dw_taps_run)."""
    base = d.win.out_c + 4
    taps = d.win.k_h * d.win.k_w
    if (d.win.k_h, d.win.k_w) == (3, 3) or taps > DW_TAPS_RUN_MAX:
        return base
    return -(-base // 4) * 4 + 8 * taps


def takes_pairs(d: DepthwiseData, exact: int) -> bool:
    """Whether every pixel of the dsp kernel runs its tap-table asm (tq_dw_taps_run in
    depthwise_conv_2d_dsp.c: a filter neither 3x3 nor 3 wide of at most 10 rows, of at most 64 taps,
    channels a multiple of 4, the fast requantization over all of int8), which then reads the
    weights in tap pairs (pair_weights)."""
    w = d.win
    if exact or d.act_min > -128 or d.act_max < 127 or w.in_c % 4:
        return False
    if (w.k_h, w.k_w) == (3, 3):
        # the 3x3 asm (tq_dw3x3_run_pairs, tq_dw3x3_ptr_pairs); a dilated interior pixel would take
        # the C path
        return w.dil_h == 1 and w.dil_w == 1
    three_wide = w.k_w == 3 and w.dil_w == 1 and w.k_h <= DW_MAX_ROWS3
    return not three_wide and w.k_h * w.k_w <= DW_TAPS_RUN_MAX


DW_MAX_ROWS3 = 10       # TQ_DW_MAX_ROWS in depthwise_conv_2d_dsp.c: 3-wide filters of its rows path


def pair_weights(w: np.ndarray) -> np.ndarray:
    """[taps, C] (scaled, C a multiple of 4) -> int32 words: per block of 4 channels, per pair of
    taps (t, t + 1), one word a channel in channel order, w[t] the low halfword; an odd last tap as
    depthwise_weights lays one (w[c] w[c+2] w[c+1] w[c+3])."""
    taps, ch = w.shape
    blocks, pairs = ch // 4, taps // 2
    w16 = w.astype(np.int16).reshape(taps, blocks, 4)
    out = np.zeros((blocks, taps * 4), np.int16)           # 2 words a tap either way
    p = w16[:2 * pairs].reshape(pairs, 2, blocks, 4).transpose(2, 0, 3, 1)   # [block, pair, channel, (t, t+1)]
    out[:, :8 * pairs] = p.reshape(blocks, -1)
    if taps % 2:
        out[:, 8 * pairs:] = w16[-1][:, [0, 2, 1, 3]]
    return np.ascontiguousarray(out.astype("<i2").reshape(-1)).view("<i4").astype(np.int32)


@variant("DEPTHWISE_CONV_2D", "dsp", ["depthwise_conv_2d_dsp.c", "depthwise_conv_2d_dsp.h", "tq_dw_run.h", *DSP_SOURCES],
         scratch=dsp_scratch, applies=lambda d: d.dtype == "int8" and d.depth_mult == 1, rows="geo")
def lower_dsp(d: DepthwiseData, em: Emitter) -> None:
    win, oc = d.win, d.win.out_c
    taps = d.w.reshape(-1, oc)
    rq, factor, exact = requant_for(taps.T, d.bias, d.mult, d.shift, d.output_zp)
    pairs = takes_pairs(d, exact)
    scaled = taps.astype(np.int64) * factor[None, :]
    w16 = em.const(pair_weights(scaled) if pairs else depthwise_weights(scaled), "w16")
    em.include("depthwise_conv_2d_dsp.h")
    p = em.params("tq_dw_dsp_params", {
        "geo": win.c_init(),
        "input_offset": -d.input_zp, "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact, **({"pairs": 1} if pairs else {}),
        "bias_full": em.const(pad4(scaled_int32(d.bias_full, factor)), "bias"),
    })
    em.call(f"tq_depthwise_conv_2d_dsp_s8({p}, {em.tensor(d.input)}, {w16}, {em.tensor(d.output)}, {em.scratch()})")


def dsp8_weights(taps: np.ndarray) -> np.ndarray:
    """[taps, C] int8 -> int8 [block, tap, 4]: per block of 4 channels, per tap, the 4 channels'
    weights in channel order (zeros past the last); the kernel widens them into the int16 layout
    of the dsp variant (w[c] w[c+2] w[c+1] w[c+3])."""
    n, ch = taps.shape
    blocks = -(-ch // 4)
    wp = np.zeros((n, blocks * 4), np.int8)
    wp[:, :ch] = taps
    return np.ascontiguousarray(wp.reshape(n, blocks, 4).transpose(1, 0, 2)).reshape(-1)


PACK_MAX_BASE = 20      # a packed constant channel's bias (y - zp) << (base + 2) must fit int32


def packed_dw8(d: DepthwiseData) -> tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray | None] | None:
    """The dsp8 kernel's packed requantization (packed_requant: 4 bytes a channel, one word for
    a per-tensor layer; 5 where the right shifts spread over more than RS_SPAN values, a byte of
    shift beside each word), where it is exact: (words, base, taps [taps, C], bias_full, shifts
    or None), else None.
    Every channel's weights are then widened by 2 (its factor 2^(ls + 1)); a constant channel
    (its row multiplier 0: output y) gets zero weights and the bias (y - zp) << (base + 1), which
    the packed word 0 (multiplier 2^30, rs base) turns into y exactly."""
    oc = d.win.out_c
    taps = d.w.reshape(-1, oc)
    rq, factor, exact = requant_for(taps.T, d.bias, d.mult, d.shift, d.output_zp)
    got = packed_requant(rq, factor, exact, d.output_zp, d.act_min, d.act_max)
    shifts = None
    if got is None:
        got = packed_requant(rq, factor, exact, d.output_zp, d.act_min, d.act_max, wide=True)
        if got is not None:
            shifts = wide_shifts(rq, got[1])
    if got is None or got[1] > PACK_MAX_BASE:
        return None
    words, base, const = got
    taps = taps.copy()
    bias = d.bias_full.astype(np.int64).copy()
    for c, y in const.items():
        taps[:, c] = 0
        bias[c] = (y - d.output_zp) << (base + 1)
    if shifts is None and (words == words[0]).all():
        words = words[:1]
    return words, base, taps, bias, shifts


def dsp8_scratch(d: DepthwiseData) -> int:
    """The weights widened to int16 (8 bytes per tap and block of 4 channels), a packed layer's
    tq_rq rows (12 bytes a channel, to 8), then the dsp kernel's scratch."""
    rows = -(-12 * d.win.out_c // 8) * 8 if packed_dw8(d) is not None else 0
    return 8 * d.win.k_h * d.win.k_w * -(-d.win.out_c // 4) + rows + dsp_scratch(d)


@variant("DEPTHWISE_CONV_2D", "dsp8", ["depthwise_conv_2d_dsp8.c", "depthwise_conv_2d_dsp8.h", "depthwise_conv_2d_dsp.c",
                                       "tq_dw_run.h",
                                       "depthwise_conv_2d_dsp.h", *DSP_SOURCES],
         scratch=dsp8_scratch, applies=lambda d: d.dtype == "int8" and d.depth_mult == 1, rows="geo")
def lower_dsp8(d: DepthwiseData, em: Emitter) -> None:
    """The dsp variant with the model's int8 weights in flash, widened (and scaled by the fast
    requantization's 2^(ls + 1)) into scratch once per call: flash for a little RAM. The
    requantization rows too, where the packed form is exact (packed_dw8: 4 bytes a channel
    instead of 12, and no per-channel scale)."""
    win, oc = d.win, d.win.out_c
    packed = packed_dw8(d)
    if packed is not None:
        words, base, taps, bias, shifts = packed
        pk = {"rq": f"(const tq_rq *){em.const(words, 'mult')}", "rq_exact": 0, "pk_base": base,
              "pk_one": int(len(words) == 1),
              "scale": f"(const int8_t *){em.const(shifts, 'shift')}" if shifts is not None else "0",
              "bias_full": em.const(pad4(scaled_int32(bias, np.full(oc, 2, np.int64))), "bias")}
    else:
        taps = d.w.reshape(-1, oc)
        rq, factor, exact = requant_for(taps.T, d.bias, d.mult, d.shift, d.output_zp)
        scale = np.zeros(-(-oc // 4) * 4, np.int8)
        scale[:oc] = np.log2(factor).astype(np.int8)
        pk = {"rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact,
              "bias_full": em.const(pad4(scaled_int32(d.bias_full, factor)), "bias"), "scale": em.const(scale, "scale")}
    em.include("depthwise_conv_2d_dsp8.h")
    p = em.params("tq_dw_dsp_params", {
        "geo": win.c_init(),
        "input_offset": -d.input_zp, "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max, **pk,
    })
    em.call(f"tq_depthwise_conv_2d_dsp8_s8({p}, {em.tensor(d.input)}, {em.const(dsp8_weights(taps), 'w8')}, "
            f"{em.tensor(d.output)}, {em.scratch()})")
