"""Generation-time data of the 16x8 DSP kernels (firmware/kernels/s16_dsp.h): int8 weights
widened to int16 rows of even length, and TFLM's int64 requantization prepared per channel."""
from __future__ import annotations

import numpy as np

S16_DSP_SOURCES = ["s16_dsp.c", "s16_dsp.h", "tq_dsp.h"]
RUN_PAIRS = 255     # s16_dsp.c: int32 partial sums of at most 510 products


def even(n: int) -> int:
    return n + (n & 1)


def rows16(w: np.ndarray, channels: int) -> np.ndarray:
    """int16 [channels][even(len)]: each channel's weights in the order the kernel reads them."""
    flat = w.reshape(channels, -1).astype(np.int16)
    out = np.zeros((channels, even(flat.shape[1])), np.int16)
    out[:, :flat.shape[1]] = flat
    return out


def rq16(mult: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(tq_rq16 rows int32 [C, 2] = (reduced, total), rounding terms int64 [C] = 2^(total - 1)):
    the Q31 multiplier rounded to Q15 and total = 15 - shift, TFLM's 64-bit requantization."""
    rows = np.zeros((len(mult), 2), np.int32)
    rounds = np.zeros(len(mult), np.int64)
    for c, (m, s) in enumerate(zip(mult.tolist(), shift.tolist())):
        rows[c] = ((int(m) + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF, 15 - int(s))
        rounds[c] = 1 << (14 - int(s))
    return rows, rounds


def fast_rows(w_rows: np.ndarray, mult: np.ndarray, shift: np.ndarray, bias: np.ndarray) -> np.ndarray | None:
    """tq_rq16_fast rows int32 [C, 4] (s16_dsp.h), or None if a channel has no exact fast form.
    w_rows[c] are channel c's int8 weights: |x| <= 32768 * sum|w| + |bias| bounds its input."""
    rows, _ = rq16(mult, shift)
    out = np.zeros((len(mult), 4), np.int32)
    absw = np.abs(w_rows.astype(np.int64)).reshape(len(mult), -1).sum(axis=1)
    for c, ((reduced, total), b) in enumerate(zip(rows.tolist(), bias.tolist())):
        bound = 32768 * int(absw[c]) + abs(int(b))
        if absw[c] == 0:            # constant channel: TFLM's value of the bias alone
            out[c] = (0, (int(b) * reduced + (1 << (total - 1))) >> total, 0, 0)
            if abs(int(b)) >= 2**31:
                return None
            continue
        pre = max(16 - total, 0)
        if total > 32 or (bound << pre) >= 2**31:
            return None
        out[c] = (reduced << (16 if pre else 32 - total), 0, pre, 0)
    return out


def rq16_fields(em, mult: np.ndarray, shift: np.ndarray, bias: np.ndarray, w_rows: np.ndarray) -> dict[str, str]:
    """The tq_rq16_layer initializer of a layer whose channel c has weights w_rows[c]."""
    fast = fast_rows(w_rows, mult, shift, bias)
    if fast is not None:
        return {"q": f"{{ .fast = 1, .fq = (const tq_rq16_fast *){em.const(fast, 'rq16f')}, "
                     f".bias32 = {em.const(bias.astype(np.int32), 'bias')} }}"}
    rows, rounds = rq16(mult, shift)
    return {"q": f"{{ .fast = 0, .rq = (const tq_rq16 *){em.const(rows, 'rq16')}, "
                 f".round = {em.const(rounds, 'round64')}, .bias = {em.const(bias.astype(np.int64), 'bias64')} }}"}


def wide(taps: int) -> int:
    """Whether a dot product of `taps` products needs int64 accumulation in the kernel."""
    return int(even(taps) // 2 > RUN_PAIRS)
