"""Generation-time work for the Cortex-M DSP kernels (firmware/kernels/*_dsp.c): weights widened
to int16 and reordered into the layout the SMLAD loops walk, and requantization constants.

The kernels widen 4 input bytes with SXTB16 into the halfword pairs (v0, v2) and (v1, v3), so
every group of 4 weights is stored in that order too: w0 w2 w1 w3.
"""
from __future__ import annotations

import numpy as np

from tinyq.ops.constants import TQ_ADD_LUT_SIZE, TQ_ADD_LUT_ZERO
from tinyq.quant import tflm_requantize

INT32_LIMIT = 2**31 - 1
DSP_SOURCES = ["tq_dsp.h", "tq_mm_dsp.h"]


def _pairs(a: np.ndarray) -> np.ndarray:
    """Reorder the last axis (a multiple of 4) group-wise v0 v1 v2 v3 -> v0 v2 v1 v3."""
    g = a.reshape(*a.shape[:-1], -1, 4)
    return g[..., [0, 2, 1, 3]].reshape(a.shape)


def _words(a16: np.ndarray) -> np.ndarray:
    """int16 values (little-endian pairs) as the int32 words the kernels load."""
    return np.ascontiguousarray(a16.astype("<i2").reshape(-1)).view("<i4").astype(np.int32)


def matmul_weights(w: np.ndarray) -> tuple[np.ndarray, int]:
    """[out_c, K] int8 -> (int32 words, groups): blocks of 4 channels (zero-padded), K padded to
    groups of 4; per block and group the 4 channels' 4 weights, each group in pair order."""
    oc, k = w.shape
    groups = -(-k // 4)
    blocks = -(-oc // 4)
    wp = np.zeros((blocks * 4, groups * 4), np.int16)
    wp[:oc, :k] = w
    wp = _pairs(wp)                                            # [oc4, groups*4]
    wp = wp.reshape(blocks, 4, groups, 4).transpose(0, 2, 1, 3)  # [block, group, ch, 4]
    return _words(wp), groups


def depthwise_weights(w: np.ndarray) -> np.ndarray:
    """[taps, C] int8 -> int32 words: per block of 4 channels, per tap, w[c] w[c+2] w[c+1] w[c+3]."""
    taps, ch = w.shape
    blocks = -(-ch // 4)
    wp = np.zeros((taps, blocks * 4), np.int16)
    wp[:, :ch] = w
    wp = wp.reshape(taps, blocks, 4)[:, :, [0, 2, 1, 3]].transpose(1, 0, 2)   # [block, tap, 4]
    return _words(wp)


def pad4(v: np.ndarray) -> np.ndarray:
    """An int32 per-channel vector padded with zeros to a multiple of 4."""
    out = np.zeros(-(-len(v) // 4) * 4, np.int32)
    out[:len(v)] = v
    return out


def requant_for(w_rows: np.ndarray, bias: np.ndarray, mult: np.ndarray, shift: np.ndarray,
                zero_point: int) -> tuple[np.ndarray, np.ndarray, int]:
    """requant_plan for a layer whose channel c has weights w_rows[c] and bias[c] (the model's
    bias, before the input zero point is folded in)."""
    return requant_plan(mult, shift, zero_point, accumulator_bound(w_rows, bias),
                        np.abs(w_rows.astype(np.int64)).reshape(len(w_rows), -1).max(axis=1),
                        constant_channels(w_rows, bias))


def requant_plan(mult: np.ndarray, shift: np.ndarray, zero_point: int, acc_bound: np.ndarray,
                 w_absmax: np.ndarray, const_acc: dict[int, int] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    """(tq_rq rows int32 [C, 3], per-channel factor for weights and bias, rq_exact) for a layer.

    The fast form (tq_dsp.h) wants the accumulator pre-scaled by 2^(ls + 1): the factor goes into
    the int16 weights and the bias. It is exact when that scaled accumulator and the rounding sum
    fit in int32 and the right shift is at least 1; acc_bound bounds |accumulator| per channel.
    Channels whose weights are all zero output a constant, worked out here with TFLM's
    arithmetic; channels whose shift rounds every possible accumulator to 0 output the zero
    point. If any channel fails, the whole layer keeps TFLM's arithmetic (rq_exact = 1)."""
    n = len(mult)
    rows = np.zeros((n, 3), np.int64)
    factor = np.ones(n, np.int64)
    const_acc = const_acc or {}
    for c, (m, s, bound, wmax) in enumerate(zip(mult.tolist(), shift.tolist(), acc_bound.tolist(),
                                               w_absmax.tolist())):
        ls, rs = max(s, 0), max(-s, 0)
        if c in const_acc:
            # multiplier 0: the fast form returns (add + 0) >> 1 = y whatever the accumulator
            y = max(-2**29, min(2**29, tflm_requantize(const_acc[c], m, s) + zero_point))
            rows[c] = (0, 2 * y + 1, 1)
            continue
        add = (1 << (rs - 1)) + (zero_point << rs) if rs >= 1 else 0
        if (rs >= 1 and (bound << (ls + 1)) <= INT32_LIMIT and (bound << ls) + 1 + abs(add) <= INT32_LIMIT
                and (wmax << (ls + 1)) <= 32767):
            rows[c] = (m, add, rs)
            factor[c] = 1 << (ls + 1)
        elif rs >= 1 and (bound << ls) < (1 << (rs - 1)):
            rows[c] = (0, 2 * zero_point + 1, 1)     # every accumulator rounds to 0
        else:
            exact = np.zeros((n, 3), np.int64)
            exact[:, 0], exact[:, 1] = mult, shift
            return exact.astype(np.int32), np.ones(n, np.int64), 1
    return rows.astype(np.int32), factor, 0


RS_SPAN = 4         # right shifts a packed word reaches from its layer's base: its 2 top bits


def packed_requant(rq: np.ndarray, factor: np.ndarray, exact: int, zero_point: int, act_min: int, act_max: int,
                   wide: bool = False) -> tuple[np.ndarray, int, dict[int, int]] | None:
    """requant_plan's rows in 4 bytes a channel, where that is exact (else None): (words int32,
    base, {constant channel: its output}).

    A fast row (mult, add, rs) has mult in [2^30, 2^31) (TFLM's Q31 multipliers are normalized:
    its 2 top bits are always 01), add = 2^(rs-1) + (zp << rs) and the factor 2^(ls + 1) = 2
    (ls = 0 whenever rs >= 1): so the word (mult & (2^30 - 1)) | (rs - base) << 30 holds it all
    when the layer's right shifts lie within RS_SPAN of its smallest, base; the kernel rebuilds
    mult = (word & (2^30 - 1)) | 2^30, rs = base + (word >> 30) and add. Rows of multiplier 0 (a
    channel whose weights are all zero, or whose every accumulator rounds to 0) output a
    constant, given here clamped to the activation range; their word is 0 (the caller says what
    that means to its kernel).
    With wide, the right shifts may spread further: each word holds its multiplier alone (top
    bits 01, so the same decoding gives it back) and the caller stores the shifts beside it
    (wide_shifts)."""
    if exact or not len(rq):
        return None
    m, add, rs = (rq[:, k].astype(np.int64) for k in range(3))
    normal = m != 0
    if not ((factor[normal] == 2).all() and (m[normal] >= 2**30).all() and (m[normal] < 2**31).all()):
        return None
    if not (add[normal] == (1 << (rs[normal] - 1)) + (zero_point << rs[normal])).all():
        return None
    base = int(rs[normal].min()) if normal.any() else 1
    if base < 1 or (not wide and normal.any() and int(rs[normal].max()) - base >= RS_SPAN):
        return None
    words = np.where(normal, m if wide else (m & (2**30 - 1)) | ((rs - base) << 30), 0)
    const = {int(c): int(np.clip((add[c] - 1) // 2, act_min, act_max)) for c in np.flatnonzero(~normal)}
    return wrap_int32(words), base, const


def wide_shifts(rq: np.ndarray, base: int) -> np.ndarray:
    """The right shift of each channel as uint8 beside packed_requant(wide=True)'s words (a
    constant channel's: base)."""
    return np.where(rq[:, 0] != 0, rq[:, 2], base).astype(np.uint8)


def wrap_int32(v: np.ndarray) -> np.ndarray:
    """int64 values modulo 2^32 as int32."""
    return ((v.astype(np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


def scaled_int32(v: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """v * factor wrapped to int32, as the device's accumulator arithmetic wraps."""
    return ((v.astype(np.int64) * factor + 2**31) % 2**32 - 2**31).astype(np.int32)


def residual_add_tables(f: dict, conv_first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """A residual ADD fused into a convolution, as two 256-entry tables and one requantization.

    TFLM's Add rescales each int8 input on its own ((x - zp) << 20, then a multiplier), sums and
    requantizes: the per-input halves depend on one byte each, so they are tabulated here with
    TFLM's arithmetic (index x + 128). Returns (conv operand's table, residual's table, the final
    tq_rq row, exact): with the fast form the tables hold twice the value (its 2^(ls+1))."""
    xs = range(-TQ_ADD_LUT_ZERO, TQ_ADD_LUT_SIZE - TQ_ADD_LUT_ZERO)
    lut1 = np.array([tflm_requantize((x + f["in1_offset"]) << f["left_shift"], f["in1_mult"], f["in1_shift"])
                     for x in xs], np.int64)
    lut2 = np.array([tflm_requantize((x + f["in2_offset"]) << f["left_shift"], f["in2_mult"], f["in2_shift"])
                     for x in xs], np.int64)
    bound = np.array([int(np.abs(lut1).max() + np.abs(lut2).max())])
    rows, factor, exact = requant_plan(np.array([f["out_mult"]]), np.array([f["out_shift"]]), f["out_offset"],
                                       bound, np.zeros(1, np.int64))
    lut1, lut2 = lut1 * factor[0], lut2 * factor[0]
    conv_lut, res_lut = (lut1, lut2) if conv_first else (lut2, lut1)
    return conv_lut.astype(np.int32), res_lut.astype(np.int32), rows[0], exact


def constant_channels(w: np.ndarray, bias: np.ndarray) -> dict[int, int]:
    """{channel: accumulator} for channels (rows of w) whose weights are all zero."""
    return {int(c): int(bias[c]) for c in np.flatnonzero(~w.reshape(len(w), -1).any(axis=1))}


def accumulator_bound(w: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """max |bias + sum(w * (x - zp))| per channel (rows of w), with |x - zp| <= 255."""
    return np.abs(bias.astype(np.int64)) + 255 * np.abs(w.astype(np.int64)).sum(axis=1)
