"""CONV_2D, int8 activations, int8 per-tensor or per-channel weights, int32 bias; optionally with
a residual ADD fused as its epilogue (tinyq/passes/fuse_residual.py). Also int16 activations with
int8 weights and int64 bias (TFLM's 16x8 ConvPerChannel), without an epilogue."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range, fused_range_of, need_int8, need_quantized, per_channel_multipliers
from tinyq.ops._dsp16 import S16_DSP_SOURCES, even, rows16, rq16_fields, wide
from tinyq.ops._dsp_layout import (
    DSP_SOURCES,
    matmul_weights,
    packed_requant,
    pad4,
    requant_for,
    scaled_int32,
)
from tinyq.ops._fused_add import fused_add_tables
from tinyq.ops._window import Window, conv_weights_check, need_activation, window
from tinyq.ops.add import AddData, prepare_add_sub
from tinyq.ops.constants import TQ_ADD_FORM_EXACT
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Overlap, Prepared, Refusal, Rows, register_op, variant


@dataclass(frozen=True, eq=False)
class ConvData(Prepared):
    input: int
    weights: int
    output: int                 # what the op stores (the ADD's output when one is fused)
    win: Window
    w: np.ndarray               # int8 [out_c, k_h, k_w, in_c]
    input_zp: int
    output_zp: int              # of the convolution's own result
    mult: np.ndarray
    shift: np.ndarray
    bias: np.ndarray            # int32, the model's (zeros without one)
    bias_full: np.ndarray       # int32, bias - input_zp * sum(w): for pixels without padding
    act_min: int
    act_max: int
    add: AddData | None = None  # the fused residual ADD
    residual: int = -1          # its other operand
    conv_first: bool = False    # the convolution result is the ADD's first operand
    dtype: str = "int8"         # of the activations; int16: bias and bias_full are the int64 bias
    stage_cols: bool = True     # the column staging where it fits (off: the rowwise variants' less scratch)

    def macs(self) -> int:
        n = self.win
        return n.batches * n.out_h * n.out_w * n.out_c * n.k_h * n.k_w * n.in_c

    def overlaps(self) -> list[Overlap]:
        res = [Overlap(self.input, self.output, self.win.trailing_delta(2 if self.dtype == "int16" else 1))]
        if self.add is not None:    # the sum may overwrite the residual element by element
            res.append(Overlap(self.residual, self.output, 0))
        return res

    def row_deps(self, g: Graph) -> Rows | None:
        if self.add is not None and self.residual == self.input:
            return None   # one tensor read at two different rows
        return self.win.rows(self.input, self.output, (self.residual,) if self.add is not None else ())


def bias_terms(op: Op, g: Graph, channels: int, wsum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bias, bias + input_offset * wsum) as int32; the second serves pixels without padding."""
    bias = np.zeros(channels, np.int64)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bias += g.t(op.inputs[2]).data.astype(np.int64).reshape(-1)
    full = bias - g.t(op.inputs[0]).qzero * wsum
    return bias.astype(np.int32), full.astype(np.int32)


def _fused_add(op: Op, g: Graph) -> tuple[AddData | None, int, bool]:
    if not op.epilogue:
        return None, -1, False
    if len(op.epilogue) != 1 or op.epilogue[0].opcode != "ADD":
        raise Refusal(f"cannot fuse {op.label}")
    add_op = op.epilogue[0]
    a, b = add_op.inputs[:2]
    return prepare_add_sub(add_op, g), (b if a == op.body_output else a), a == op.body_output


def weights_bias_s16(op: Op, g: Graph, oc: int, channel_axis: int = 0) -> np.ndarray:
    """TFLM's checks on a 16x8 convolution's (or FULLY_CONNECTED's) int8 weights (symmetric,
    per-tensor or per-channel along `channel_axis`) and int64 bias; the bias as int64 (zeros
    without one). TFLM's int16 kernels with an int32 bias accumulate in int32 and requantize with
    the int32 rounding: not compiled (TensorFlow's 16x8 converter always writes int64 biases)."""
    w = g.t(op.inputs[1])
    if w.dtype != "int8" or not w.is_quantized:
        raise Refusal(f"int16 {op.opcode} needs quantized int8 weights, got {w.dtype} for '{w.name}'")
    if w.shape[channel_axis] != oc:
        raise Refusal(f"weights have {w.shape[channel_axis]} output channels, the output {oc}")
    if len(w.scale) not in (1, oc) or (len(w.scale) > 1 and w.quantized_dimension != channel_axis):
        raise Refusal(f"per-channel weights must have {oc} scales along dimension {channel_axis}")
    if np.any(w.zero_point != 0):
        raise Refusal("weights must be symmetric (zero point 0)")
    bias = np.zeros(oc, np.int64)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = g.t(op.inputs[2])
        if b.dtype != "int64" or not b.is_const or b.num_elements != oc:
            raise Refusal(f"int16 {op.opcode} needs a constant int64 bias vector of {oc} values, "
                          f"got {b.dtype} {list(b.shape)}")
        bias = b.data.astype(np.int64).reshape(-1)
    need_activation(op)
    return bias


def check_s16_requant(taps: int, bias: np.ndarray, shift: np.ndarray) -> None:
    """TFLM's int64 MultiplyByQuantizedMultiplier assumes |acc| < 2^47 and shift in [-31, 7]
    (beyond, the C would overflow or shift by a negative amount)."""
    bound = taps * 32768 * 128 + int(np.abs(bias).max(initial=0))
    if bound >= 1 << 47:
        raise Refusal(f"the int64 accumulator may reach {bound}, beyond TFLM's 2^47 bound")
    if shift.size and (int(shift.min()) < -31 or int(shift.max()) > 7):
        raise Refusal("an output multiplier's shift is outside TFLM's [-31, 7]")


def prepare_s16(op: Op, g: Graph) -> ConvData:
    """16x8: int16 input and output (zero points 0, as TFLM requires), int8 weights, int64 bias."""
    if op.epilogue:
        raise Refusal(f"int16 {op.label}: a fused residual ADD is int8 only")
    reason, _ = need_quantized(op, g, [0, -1], ("int16",))
    if reason:
        raise Refusal(reason)
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if not w.is_const or len(w.shape) != 4 or len(inp.shape) != 4:
        raise Refusal("needs 4-D NHWC input and constant OHWI weights")
    if w.shape[3] != inp.shape[3]:
        raise Refusal("grouped convolution is not supported")
    oc = int(out.shape[3]) if len(out.shape) == 4 else -1
    bias = weights_bias_s16(op, g, oc)
    win = window(op.options, inp, out, int(w.shape[1]), int(w.shape[2]))
    mult, shift = per_channel_multipliers(inp, w, out, oc)
    check_s16_requant(win.k_h * win.k_w * win.in_c, bias, shift)
    act_min, act_max = fused_range_of(op, out)
    return ConvData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], win, w.data,
                    0, 0, mult, shift, bias, bias, act_min, act_max, dtype="int16")


@register_op("CONV_2D")
def prepare(op: Op, g: Graph) -> ConvData:
    if g.t(op.inputs[0]).dtype == "int16":
        return prepare_s16(op, g)
    result = op.body_output if op.epilogue else op.outputs[0]
    reason = need_int8(op, g, [0, 1]) or need_int8(Op(op.index, op.opcode, [result], []), g, [0])
    if reason:
        raise Refusal(reason)
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(result)
    if not w.is_const or len(w.shape) != 4 or len(inp.shape) != 4:
        raise Refusal("needs 4-D NHWC input and constant OHWI weights")
    if w.shape[3] != inp.shape[3]:
        raise Refusal("grouped convolution is not supported")
    oc = int(out.shape[3]) if len(out.shape) == 4 else -1
    conv_weights_check(op, g, 0, oc)
    win = window(op.options, inp, out, int(w.shape[1]), int(w.shape[2]))
    mult, shift = per_channel_multipliers(inp, w, out, oc)
    bias, bias_full = bias_terms(op, g, oc, w.data.astype(np.int64).reshape(oc, -1).sum(axis=1))
    act_min, act_max = fused_range(op, out)
    add, residual, conv_first = _fused_add(op, g)
    return ConvData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], win, w.data,
                    inp.qzero, out.qzero, mult, shift, bias, bias_full, act_min, act_max,
                    add, residual, conv_first)


@variant("CONV_2D", "portable", ["conv_2d.c", "conv_2d.h", "add.h", "tq_broadcast.h", "tq_s16.h"],
         applies=lambda d: d.dtype == "int8", rows="geo")
def lower_portable(d: ConvData, em: Emitter) -> None:
    add_p = em.params("tq_add_params", d.add.params, suffix="_add") if d.add else "0"
    em.include("conv_2d.h")
    p = em.params("tq_conv_params", {
        "geo": d.win.c_init(),
        "input_offset": -d.input_zp, "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "mult": em.const(d.mult, "mult"), "shift": em.const(d.shift, "shift"),
        "bias": em.const(d.bias, "bias"), "bias_full": em.const(d.bias_full, "bias"),
        "add": add_p, "add_conv_first": int(d.conv_first),
    })
    residual = em.tensor(d.residual) if d.add else "0"
    em.call(f"tq_conv_2d_s8({p}, {em.tensor(d.input)}, {em.tensor(d.weights)}, {residual}, "
            f"{em.tensor(d.output)})")


@variant("CONV_2D", "portable", ["conv_2d_s16.c", "conv_2d_s16.h", "tq_s16.h"], applies=lambda d: d.dtype == "int16",
         name="conv_2d_portable_s16", rows="geo")
def lower_portable_s16(d: ConvData, em: Emitter) -> None:
    em.include("conv_2d_s16.h")
    p = em.params("tq_conv_s16_params", {
        "geo": d.win.c_init(), "act_min": d.act_min, "act_max": d.act_max,
        "mult": em.const(d.mult, "mult"), "shift": em.const(d.shift, "shift"),
        "bias": em.const(d.bias.astype(np.int64), "bias64"),
    })
    em.call(f"tq_conv_2d_s16({p}, {em.tensor(d.input)}, {em.tensor(d.weights)}, {em.tensor(d.output)})")


# ---- 16x8 on the Cortex-M DSP extension: int16 activation pairs times int16-widened weights ----

def _direct_s16(w: Window) -> bool:
    return w.k_h == w.k_w == 1 and w.pad_h == w.pad_w == 0 and w.in_c % 2 == 0


def dsp_s16_scratch(d: ConvData) -> int:
    """One output pixel's window as int16, unless a 1x1 convolution reads its input in place."""
    w = d.win
    return 0 if _direct_s16(w) else 2 * even(w.k_h * w.k_w * w.in_c)


@variant("CONV_2D", "dsp", S16_DSP_SOURCES, scratch=dsp_s16_scratch, applies=lambda d: d.dtype == "int16",
         name="conv_2d_dsp_s16", rows="geo")
def lower_dsp_s16(d: ConvData, em: Emitter) -> None:
    w, oc = d.win, d.win.out_c
    taps = w.k_h * w.k_w * w.in_c
    em.include("s16_dsp.h")
    p = em.params("tq_conv_dsp_s16_params", {
        "geo": w.c_init(), "direct": int(_direct_s16(w)), "wide": wide(taps), "col_len": even(taps),
        "act_min": d.act_min, "act_max": d.act_max,
        **rq16_fields(em, d.mult, d.shift, d.bias, d.w.reshape(oc, -1)),
    })
    scratch = "(int16_t *)" + em.scratch() if dsp_s16_scratch(d) else "0"
    em.call(f"tq_conv_2d_dsp_s16({p}, {em.tensor(d.input)}, {em.const(rows16(d.w, oc), 'w16')}, "
            f"{em.tensor(d.output)}, {scratch})")


# ---- the Cortex-M DSP variant: int16-widened weights, SMLAD inner loop ----

COLS_MAX_CHANNELS = 4     # input channels the column staging takes (conv_2d_dsp_cols.h)
COLS_MAX_KH = 16          # TQ_CONV_COLS_MAX_KH
COLS_MAX_BYTES = 2048     # its scratch, at most: one output row's input columns


def cols_bytes(w: Window) -> int:
    """The column staging of one output row (tq_conv_cols_bytes): (out_w - 1) * stride_w + k_w
    input columns of k_h * in_c bytes, 4 spare bytes, rounded to a word."""
    return -(-(((w.out_w - 1) * w.stride_w + w.k_w) * w.k_h * w.in_c + 4) // 4) * 4


def _cols(d: ConvData) -> bool:
    """The layer runs on the column staging (where it fits and is not turned off)."""
    return d.stage_cols and _cols_fit(d.win)


def _cols_fit(w: Window) -> bool:
    """Few input channels (a first layer over an image or a spectrogram): each output row's input
    is staged column by column (conv_2d_dsp_cols.h), every pixel's window one contiguous run of
    taps padded to whole groups once, the border pixels as fast as the others (rows widened in
    place pad each filter row instead, 9 -> 12 taps, and gather every border pixel; a 1x1 layer
    over 1-3 channels gathered every pixel). Emulated M4, first layers: ResNet 3x3x3 stride 1
    784,561 -> 606,693 instructions, VWW 3x3x3 stride 2 917,349 -> 763,369, KWS 10x4x1 stride 2
    413,726 -> 356,369."""
    return (w.in_c <= COLS_MAX_CHANNELS and w.dil_w == 1 and not _direct(w) and w.k_h <= COLS_MAX_KH
            and cols_bytes(w) <= COLS_MAX_BYTES)


def row_padding(d: ConvData) -> int:
    """Spare taps after each filter row of the DSP kernel. A row of whole groups of 4 is widened
    straight from the input; otherwise every pixel's window is first copied into scratch. For
    short rows (a first layer's 3x3x3) that copy costs more than the zero taps that pad them.
    None with the column staging (its windows are contiguous)."""
    w = d.win
    row = w.k_w * w.in_c
    if _cols(d) or w.k_h == 1 or w.dil_w != 1 or row % 4 == 0 or row > 16:
        return 0
    return -row % 4


def _groups(d: ConvData) -> int:
    """Groups of 4 taps per output channel, padded rows included."""
    w = d.win
    return -(-(w.k_h * (w.k_w * w.in_c + row_padding(d))) // 4)


def _direct(w: Window) -> bool:
    """A 1x1 convolution without padding over whole groups of channels reads its input in place."""
    return w.k_h == w.k_w == 1 and w.pad_h == w.pad_w == 0 and w.in_c % 4 == 0


RUN_BYTES = 256   # staged outputs of a run of pixels, at most (TQ_CONV_RUN_BYTES in conv_2d_dsp.c)


def _run_chunk(w: Window) -> int:
    """Pixels per staged run (conv_2d_dsp.c run_chunk): outputs of 4 bytes a block each."""
    return max(1, min(w.out_w, RUN_BYTES // (4 * -(-w.out_c // 4))))


def _narrow(d: ConvData) -> bool:
    """out_c < 4, a window larger than 1x1 (a 1x1's few MACs a pixel gain nothing), without a
    fused ADD or the column staging: the DSP kernel's path reading each
    window in place for the real channels only (conv_2d_dsp.c narrow_rows), instead of a widened
    column against a block of 4 channels mostly padding."""
    w = d.win
    return w.out_c < 4 and w.k_h * w.k_w > 1 and not d.add and not _cols(d)


def _pairs(d: ConvData) -> bool:
    """out_c a multiple of 4, no fused ADD, outputs over all of int8 and the fast requantization,
    a 1x1 layer read in place or filter rows of whole groups (dil_w 1, k_w * in_c a multiple of
    4, no column staging): the DSP kernel's pixel-pair path (conv_2d_dsp_pairs.h), two pixels
    against every weight word. Emulated M4 (16x16 pixels, 32 outputs), MACs per instruction: 1x1
    over 16 input channels 0.738 -> 0.845, over 32: 0.946 -> 1.058."""
    w = d.win
    if not (w.out_c % 4 == 0 and d.add is None and d.act_min == -128 and d.act_max == 127):
        return False
    if not _direct(w) and (_cols(d) or w.dil_w != 1 or (w.k_w * w.in_c) % 4 or row_padding(d)):
        return False
    return requant_for(d.w.reshape(w.out_c, -1), d.bias, d.mult, d.shift, d.output_zp)[2] == 0


def pair_stream(words: np.ndarray, bias: np.ndarray, rq: np.ndarray, groups: int) -> np.ndarray:
    """matmul_weights' blocks [block, group, channel, 2 words] -> the pixel-pair path's stream:
    per pair of channels (A, B) bias A, B, A, B; per group A's 2 words, B's 2; A's and B's tq_rq
    rows (conv_2d_dsp_pairs.h)."""
    blocks = len(bias) // 4
    w = words.reshape(blocks, groups, 2, 4).transpose(0, 2, 1, 3).reshape(blocks * 2, groups * 4)
    b = bias.reshape(-1, 2)
    return np.concatenate([b, b, w, rq.reshape(-1, 6)], axis=1).astype(np.int32).reshape(-1)


def dsp_scratch(d: ConvData) -> int:
    """The column staging (with _cols), the widened column (8 bytes a group), the gather stage
    (4 bytes a group, not when read in place or staged by columns), and with a fused ADD or out_c
    not a multiple of 4 one pixel's convolution outputs (4 bytes a block) after it; the runs of
    pixels (conv_2d_dsp.c fast_run) stage up to _run_chunk pixels' outputs after the column
    instead, over the gather stage."""
    win = d.win
    g, px = _groups(d), 4 * -(-win.out_c // 4)
    if _narrow(d):
        return 4 * g                   # the gather stage (windows are read in place otherwise)
    stage = 0 if _direct(win) or _cols(d) else 4 * g
    if d.add or win.out_c % 4:
        stage = max(stage + px, _run_chunk(win) * px)
    return (cols_bytes(win) if _cols(d) else 0) + 8 * g + stage


def _pad_rq(rq: np.ndarray, exact: int) -> np.ndarray:
    """The requantization rows padded to whole blocks of 4 channels: the padding channels (zero
    weights and bias) are computed and discarded, with rows that are harmless either way."""
    out = np.zeros((-(-len(rq) // 4) * 4, 3), rq.dtype)
    out[:, 1:] = 0 if exact else 1
    out[:len(rq)] = rq
    return out


def _fused_add_dsp(d: ConvData, em: Emitter) -> dict[str, object]:
    """The DSP kernel's fields for a fused residual ADD: two tables (_fused_add.py) and, for the
    form that keeps TFLM's arithmetic, its output requantization."""
    if d.add is None:
        return {"add_conv_lut": "0", "add_res_lut": "0", "add_rq": "{0, 0, 0}", "add_form": 0,
                "add_zp": 0, "add_min": 0, "add_max": 0}
    f = d.add.params
    form, conv_lut, res_lut = fused_add_tables(f, d.conv_first)
    rq = f"{{{f['out_mult']}, {f['out_shift']}, 0}}" if form == TQ_ADD_FORM_EXACT else "{0, 0, 0}"
    return {"add_conv_lut": em.const(conv_lut, "addlut"), "add_res_lut": em.const(res_lut, "addlut"),
            "add_rq": rq, "add_form": form,
            "add_zp": f["out_offset"], "add_min": f["act_min"], "add_max": f["act_max"]}


CONV_DSP_SOURCES = ["conv_2d_dsp.c", "conv_2d_dsp.h", "conv_2d_dsp_window.h", "conv_2d_dsp_cols.h", "conv_2d_dsp_pairs.h",
                    *DSP_SOURCES]


def _padded_rows(d: ConvData, factor: np.ndarray | None = None) -> np.ndarray:
    """[out_c, k_h * (k_w * in_c + row_pad)] int64 weights (times factor per channel), with the
    zero weights of each filter row's spare taps; with the column staging in (kx, ky, ic) order,
    the order of a staged window."""
    win, oc = d.win, d.win.out_c
    if _cols(d):
        wcols = d.w.astype(np.int64).transpose(0, 2, 1, 3).reshape(oc, -1)
        return wcols * factor[:, None] if factor is not None else wcols
    row_pad = row_padding(d)
    row = win.k_w * win.in_c
    wrows = np.zeros((oc, win.k_h, row + row_pad), np.int64)
    wrows[:, :, :row] = d.w.reshape(oc, win.k_h, row)
    if factor is not None:
        wrows *= factor[:, None, None]
    return wrows.reshape(oc, -1)


def _dsp_fields(d: ConvData, em: Emitter, rq: str, exact: int, bias: str) -> dict[str, object]:
    """tq_conv_dsp_params (conv_2d_dsp.h) but for the weights' own fields: both DSP kernels'."""
    win = d.win
    return {
        "geo": win.c_init(), "groups": _groups(d), "row_pad": row_padding(d), "direct": int(_direct(win)),
        "cols": int(_cols(d)),
        "pad_value": d.input_zp,
        "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "rq": rq, "rq_exact": exact, "bias": bias,
        **_fused_add_dsp(d, em),
    }


def _lower_dsp(d: ConvData, em: Emitter, pairs: bool) -> None:
    oc = d.win.out_c
    rq, factor, exact = requant_for(d.w.reshape(oc, -1), d.bias, d.mult, d.shift, d.output_zp)
    words, groups = matmul_weights(_padded_rows(d, factor))
    em.include("conv_2d_dsp.h")
    bias = pad4(scaled_int32(d.bias_full, factor))
    if pairs:
        words = pair_stream(words, bias, _pad_rq(rq, exact), groups)
        fields = {**_dsp_fields(d, em, "0", exact, "0"), "pairs": 1}
    else:
        fields = _dsp_fields(d, em, f"(const tq_rq *){em.const(_pad_rq(rq, exact), 'rq')}", exact,
                             em.const(bias, "bias"))
    p = em.params("tq_conv_dsp_params", fields)
    residual = em.tensor(d.residual) if d.add else "0"
    em.call(f"tq_conv_2d_dsp_s8({p}, {em.tensor(d.input)}, {em.const(words, 'w16')}, {residual}, "
            f"{em.tensor(d.output)}, {em.scratch()})")


def pairs_scratch(d: ConvData) -> int:
    """Two pixels' widened columns (16 bytes a group), and but for a 1x1 layer read in place two
    gathered windows (4 bytes a group each): more than the per-pixel path's, so where this
    scratch sets the arena's peak the plan takes that one (registry.pick_lean)."""
    g = _groups(d)
    return 16 * g + (0 if _direct(d.win) else 8 * g)


@variant("CONV_2D", "dsp", CONV_DSP_SOURCES, scratch=pairs_scratch, applies=lambda d: d.dtype == "int8" and _pairs(d),
         name="conv_2d_dsp_pairs", rows="geo")
def lower_dsp_pairs(d: ConvData, em: Emitter) -> None:
    _lower_dsp(d, em, True)


@variant("CONV_2D", "dsp", CONV_DSP_SOURCES, scratch=dsp_scratch, applies=lambda d: d.dtype == "int8", rows="geo")
def lower_dsp(d: ConvData, em: Emitter) -> None:
    _lower_dsp(d, em, False)


# ---- "dsp8": the same SMLAD arithmetic with the model's int8 weights in flash ----

TILE8 = 4   # output pixels per pass over the weights (TQ_CONV8_TILE in conv_2d_dsp8.h)


def dsp8_scratch(d: ConvData) -> int:
    """The column staging (with _cols), the tile's widened windows (8 bytes a group a pixel), the
    gather stage (4 bytes a group, not when read in place or staged by columns), and with a fused
    ADD the tile's convolution outputs."""
    g = _groups(d)
    cols = cols_bytes(d.win) if _cols(d) else 0
    return cols + (8 * TILE8 + (0 if _direct(d.win) or cols else 4)) * g + (TILE8 * d.win.out_c if d.add else 0)


def dsp8_weights(d: ConvData) -> np.ndarray:
    """[out_c, 4 * groups] int8: each channel's taps in (ky, kx, ic) order with its rows' spare
    taps and the last group's padding as zeros. No reordering: the kernel widens weights and
    inputs with the same SXTB16 / SXTB16-ROR-8 pair, so matching taps meet in one SMLAD."""
    rows = _padded_rows(d)
    out = np.zeros((len(rows), 4 * _groups(d)), np.int8)
    out[:, :rows.shape[1]] = rows
    return out


def compact_requant(rq: np.ndarray, factor: np.ndarray, exact: int, bias: np.ndarray, zero_point: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mult8 int32, shift8 uint16, bias int32): requant_plan's rows in the dsp8 kernel's 6 bytes a
    channel (conv_2d_dsp.h: scale | (rs - 1) << 8), the fast form's add left to be derived from rs
    and the zero point.
    A constant channel (all-zero weights: its accumulator is its bias) becomes multiplier 2^30,
    rs 1 and bias 8 * (y - zero point), for which the fast form yields y exactly."""
    bias = bias.astype(np.int64).copy()
    mult = rq[:, 0].astype(np.int64)
    if exact:
        return mult.astype(np.int32), ((rq[:, 1].astype(np.int64) & 0xFF) << 8).astype(np.uint16), \
            bias.astype(np.int32)
    rs = rq[:, 2].astype(np.int64)
    if (rs < 1).any():
        raise ValueError("the fast requantization needs a right shift of at least 1")
    for c in np.flatnonzero(mult == 0):
        y = (int(rq[c, 1]) - 1) // 2        # the row (0, 2y + 1, 1) outputs y
        if y != zero_point:
            mult[c], rs[c], bias[c] = 2**30, 1, 8 * (max(-512, min(512, y)) - zero_point)
    normal = rq[:, 0] != 0
    if not (rq[normal, 1] == (1 << (rs[normal] - 1)) + (zero_point << rs[normal])).all():
        raise ValueError("a fast requantization row's add is not 2^(rs-1) + (zp << rs)")
    scale = np.log2(factor).astype(np.int64)
    return mult.astype(np.int32), (scale | ((rs - 1) << 8)).astype(np.uint16), bias.astype(np.int32)


def conv8_doubled(d: ConvData) -> bool:
    """Widening a packed layer's inputs times 2 (2 instructions a group and pixel) costs less than
    shifting its accumulators (1 an output channel and pixel)."""
    return d.win.out_c > 2 * _groups(d)


def packed_conv8(d: ConvData, rq: np.ndarray, factor: np.ndarray, exact: int
                 ) -> tuple[np.ndarray, int, np.ndarray, np.ndarray] | None:
    """The dsp8 kernel's packed form of a layer's requantization (packed_requant: 4 bytes a
    channel), where it is exact: (words, base, bias, kept). The fast form's factor 2 goes into the
    inputs (the kernel widens them times 2) and the bias (doubled here) where that costs less
    than a shift of every output (doubled: out_c > 2 groups), else the accumulators are shifted
    by 1. A constant channel's word is 0 and its bias slot holds its output; its weights are
    not stored (kept is False), the kernel writes the constant without a dot product (VWW's
    pointwise layers have up to 234 of 256 such channels: their weights are all zero). None
    where a fast row has no packed word or one is 0 (a multiplier of exactly 2^30 at the base
    shift: it would read as constant)."""
    got = packed_requant(rq, factor, exact, d.output_zp, d.act_min, d.act_max)
    if got is None:
        return None
    words, base, const = got
    # (requant_plan proved the doubled accumulator fits int32, the bias within it: 2 bias too)
    kept = np.ones(len(words), bool)
    kept[list(const)] = False
    if (words[kept] == 0).any():
        return None
    bias = ((2 if conv8_doubled(d) else 1) * d.bias_full.astype(np.int64)).astype(np.int32)  # fits: its bound
    for c, y in const.items():
        bias[c] = y
    return words, base, bias, kept


@variant("CONV_2D", "dsp8", ["conv_2d_dsp8.c", "conv_2d_dsp8.h", *CONV_DSP_SOURCES[1:]], scratch=dsp8_scratch,
         applies=lambda d: d.dtype == "int8", rows="geo")
def lower_dsp8(d: ConvData, em: Emitter) -> None:
    """The dsp kernel's parameters with unscaled bias; the fast requantization's 2^(ls + 1) is a
    run-time shift of the accumulator (int8 weights have no room for it), and its constants take
    4 bytes a channel (packed_conv8) or, where that form is not
    exact, 6 (compact_requant)."""
    oc = d.win.out_c
    rq, factor, exact = requant_for(d.w.reshape(oc, -1), d.bias, d.mult, d.shift, d.output_zp)
    w8 = dsp8_weights(d)
    packed = packed_conv8(d, rq, factor, exact)
    if packed is not None:
        words, base, bias, kept = packed
        w8 = w8[kept] if kept.any() else w8[:1]     # (a C array is never empty)
        flags = (0 if kept.all() else 1) | (2 if conv8_doubled(d) else 0)   # conv_2d_dsp8.c TQ_CONV8_*
        fields = {"rs_base": base, "pk_flags": flags, "mult8": em.const(words, "mult"), "shift8": "0"}
    else:
        mult, shift8, bias = compact_requant(rq, factor, exact, d.bias_full, d.output_zp)
        fields = {"mult8": em.const(mult, "mult"), "shift8": em.const(shift8, "shift")}
    em.include("conv_2d_dsp8.h")
    p = em.params("tq_conv_dsp_params", {**_dsp_fields(d, em, "0", exact, em.const(bias, "bias")), **fields})
    residual = em.tensor(d.residual) if d.add else "0"
    em.call(f"tq_conv_2d_dsp8_s8({p}, {em.tensor(d.input)}, {em.const(w8, 'w8')}, {residual}, "
            f"{em.tensor(d.output)}, {em.scratch()})")


# ---- the same two kernels without the column staging: less scratch, for a plan's RAM peak ----

def _rowwise(d: ConvData) -> ConvData:
    return dataclasses.replace(d, stage_cols=False)


@variant("CONV_2D", "dsp", CONV_DSP_SOURCES, scratch=lambda d: dsp_scratch(_rowwise(d)),
         applies=lambda d: d.dtype == "int8" and _cols(d), name="conv_2d_dsp_rowwise", rows="geo")
def lower_dsp_rowwise(d: ConvData, em: Emitter) -> None:
    """A layer the column staging would take, each pixel's window gathered instead: the staging
    costs an output row's input columns of scratch (2 KB on a 5x5 first layer over 128 px), which
    a patch plan may not have at its peak (compile picks this variant there: registry.pick_lean)."""
    lower_dsp(_rowwise(d), em)


@variant("CONV_2D", "dsp8", ["conv_2d_dsp8.c", "conv_2d_dsp8.h", *CONV_DSP_SOURCES[1:]],
         scratch=lambda d: dsp8_scratch(_rowwise(d)), applies=lambda d: d.dtype == "int8" and _cols(d),
         name="conv_2d_dsp8_rowwise", rows="geo")
def lower_dsp8_rowwise(d: ConvData, em: Emitter) -> None:
    """lower_dsp8 without the column staging (as lower_dsp_rowwise)."""
    lower_dsp8(_rowwise(d), em)
