"""FULLY_CONNECTED, int8 or 16x8 (int16 activations, int8 weights, int64 bias), per-tensor or
per-channel weights."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op, Tensor
from tinyq.ops._common import fused_range, fused_range_of, need_int8, need_quantized, per_channel_multipliers
from tinyq.ops._dsp16 import S16_DSP_SOURCES, even, rows16, rq16_fields, wide
from tinyq.ops._dsp_layout import DSP_SOURCES, matmul_weights, pad4, requant_for, scaled_int32
from tinyq.ops.conv_2d import check_s16_requant, weights_bias_s16
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant


@dataclass(frozen=True, eq=False)
class FcData(Prepared):
    input: int
    weights: int
    output: int
    batches: int
    in_depth: int
    out_depth: int
    w: np.ndarray               # int8 [out_depth, in_depth]
    model_bias: np.ndarray      # int64, the model's (zeros without one)
    bias: np.ndarray            # int64, model_bias - input_zp * sum(w): the input zero point folded in
    mult: np.ndarray
    shift: np.ndarray
    output_zp: int
    act_min: int
    act_max: int
    dtype: str = "int8"         # of the activations
    ram_room: int = 0           # scratch that keeps this op's input, output and scratch within the
                                # graph's largest activation (dsp8's widened row must fit)

    def macs(self) -> int:
        return self.batches * self.in_depth * self.out_depth


def fc_batches(inp: Tensor, out: Tensor, out_depth: int, in_depth: int) -> int:
    """Rows of `in_depth` inputs a FULLY_CONNECTED takes (TFLM flattens the input), refused where
    the input is not whole rows or the output not batches x out_depth."""
    if in_depth < 1 or inp.num_elements % in_depth:
        raise Refusal(f"input of {inp.num_elements} values is not whole rows of {in_depth}")
    batches = inp.num_elements // in_depth
    if out.num_elements != batches * out_depth:
        raise Refusal(f"output has {out.num_elements} values, the weights make {batches} x {out_depth}")
    return batches


@register_op("FULLY_CONNECTED")
def prepare(op: Op, g: Graph) -> FcData:
    s16 = g.t(op.inputs[0]).dtype == "int16"
    reason = need_quantized(op, g, [0, -1], ("int16",))[0] if s16 else need_int8(op, g, [0, 1, -1])
    if reason:
        raise Refusal(reason)
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if not w.is_const or len(w.shape) != 2:
        raise Refusal("weights must be a constant 2-D tensor")
    if np.any(w.zero_point != 0):
        raise Refusal("weights must be symmetric (zero point 0)")
    out_depth, in_depth = (int(v) for v in w.shape)
    batches = fc_batches(inp, out, out_depth, in_depth)
    if s16:
        bias = weights_bias_s16(op, g, out_depth)
        mult, shift = per_channel_multipliers(inp, w, out, out_depth)
        check_s16_requant(in_depth, bias, shift)
        act_min, act_max = fused_range_of(op, out)
        return FcData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], batches, in_depth,
                      out_depth, w.data, bias, bias, mult, shift, 0, act_min, act_max, dtype="int16")
    bias = np.zeros(out_depth, np.int64)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = g.t(op.inputs[2])
        if not b.is_const or b.num_elements != out_depth:
            raise Refusal(f"bias must be a constant vector of {out_depth} values")
        bias += b.data.astype(np.int64).reshape(-1)
    # Fold the input zero point into the bias: sum(w * (x - zp)) = sum(w * x) - zp * sum(w).
    folded = bias - inp.qzero * w.data.astype(np.int64).sum(axis=1)
    mult, shift = per_channel_multipliers(inp, w, out, out_depth)
    act_min, act_max = fused_range(op, out)
    largest = max((t.nbytes for t in g.tensors if not t.is_const), default=0)
    return FcData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], batches, in_depth,
                  out_depth, w.data, bias, folded, mult, shift, out.qzero, act_min, act_max,
                  ram_room=largest - inp.nbytes - out.nbytes)


@variant("FULLY_CONNECTED", "portable", ["fully_connected.c", "fully_connected.h"],
         applies=lambda d: d.dtype == "int8")
def lower_portable(d: FcData, em: Emitter) -> None:
    em.include("fully_connected.h")
    p = em.params("tq_fc_params", {
        "batches": d.batches, "in_depth": d.in_depth, "out_depth": d.out_depth,
        "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "mult": em.const(d.mult, "mult"), "shift": em.const(d.shift, "shift"),
        "bias": em.const(d.bias.astype(np.int32), "bias"),
    })
    em.call(f"tq_fully_connected_s8({p}, {em.tensor(d.input)}, {em.tensor(d.weights)}, {em.tensor(d.output)})")


@variant("FULLY_CONNECTED", "portable", ["fully_connected_s16.c", "fully_connected_s16.h", "tq_s16.h"],
         applies=lambda d: d.dtype == "int16", name="fully_connected_portable_s16")
def lower_portable_s16(d: FcData, em: Emitter) -> None:
    em.include("fully_connected_s16.h")
    p = em.params("tq_fc_s16_params", {
        "batches": d.batches, "in_depth": d.in_depth, "out_depth": d.out_depth,
        "act_min": d.act_min, "act_max": d.act_max,
        "mult": em.const(d.mult, "mult"), "shift": em.const(d.shift, "shift"),
        "bias": em.const(d.bias.astype(np.int64), "bias64"),
    })
    em.call(f"tq_fully_connected_s16({p}, {em.tensor(d.input)}, {em.tensor(d.weights)}, {em.tensor(d.output)})")


def dsp_s16_scratch(d: FcData) -> int:
    """An odd-length input row is copied with a zero behind it (the kernel reads int16 pairs)."""
    return 2 * even(d.in_depth) if d.in_depth % 2 else 0


@variant("FULLY_CONNECTED", "dsp", S16_DSP_SOURCES, scratch=dsp_s16_scratch, applies=lambda d: d.dtype == "int16",
         name="fully_connected_dsp_s16")
def lower_dsp_s16(d: FcData, em: Emitter) -> None:
    em.include("s16_dsp.h")
    p = em.params("tq_fc_dsp_s16_params", {
        "batches": d.batches, "in_depth": d.in_depth, "out_depth": d.out_depth, "row_len": even(d.in_depth),
        "wide": wide(d.in_depth), "act_min": d.act_min, "act_max": d.act_max,
        **rq16_fields(em, d.mult, d.shift, d.bias, d.w),
    })
    scratch = "(int16_t *)" + em.scratch() if dsp_s16_scratch(d) else "0"
    em.call(f"tq_fully_connected_dsp_s16({p}, {em.tensor(d.input)}, {em.const(rows16(d.w, d.out_depth), 'w16')}, "
            f"{em.tensor(d.output)}, {scratch})")


def dsp_scratch(d: FcData) -> int:
    """Rows not a multiple of 4 long are widened on the fly into one group-padded row."""
    return 4 * -(-d.in_depth // 4) if d.in_depth % 4 else 0


@variant("FULLY_CONNECTED", "dsp", ["fully_connected_dsp.c", "fully_connected_dsp.h", *DSP_SOURCES],
         scratch=dsp_scratch, applies=lambda d: d.dtype == "int8")
def lower_dsp(d: FcData, em: Emitter) -> None:
    rq, factor, exact = requant_for(d.w, d.model_bias, d.mult, d.shift, d.output_zp)
    words, groups = matmul_weights(d.w.astype(np.int64) * factor[:, None])
    em.include("fully_connected_dsp.h")
    p = em.params("tq_fc_dsp_params", {
        "batches": d.batches, "in_depth": d.in_depth, "out_depth": d.out_depth, "groups": groups,
        "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "rq": f"(const tq_rq *){em.const(rq, 'rq')}", "rq_exact": exact,
        "bias": em.const(pad4(scaled_int32(d.bias, factor)), "bias"),
    })
    em.call(f"tq_fully_connected_dsp_s8({p}, {em.tensor(d.input)}, {em.const(words, 'w16')}, "
            f"{em.tensor(d.output)}, {em.scratch()})")


def dsp8_weights(w: np.ndarray) -> np.ndarray:
    """The int8 weights [out_depth, in_depth], every one once, in the order the dynamic-range DSP
    kernels read them (tq_dot8.h, hybrid_dsp.h): per block of 4 channels, per group of 4 inputs
    the 4 channels' 4 bytes; then the block's in_depth % 4 tail bytes, channel after channel; then
    the last out_depth % 4 channels' rows unchanged."""
    out_depth, in_depth = w.shape
    full, body = out_depth & ~3, in_depth & ~3
    blocks = w[:full].reshape(full // 4, 4, in_depth)
    groups = blocks[:, :, :body].reshape(full // 4, 4, body // 4, 4).transpose(0, 2, 1, 3)
    tails = blocks[:, :, body:]
    head = np.concatenate([groups.reshape(full // 4, 4 * body), tails.reshape(full // 4, 4 * (in_depth - body))],
                          axis=1)
    return np.concatenate([head.reshape(-1), w[full:].reshape(-1)]).astype(np.int8)


def dsp8_words(in_depth: int) -> int:
    """Scratch words of a widened input row (and weight words of a channel pair): 2 per group of
    4 inputs, in whole groups of 8 inputs (the pair asm steps 4 or 8 words)."""
    return 4 * -(-in_depth // 8)


def dsp8_pair_weights(w: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The int8 weights [out_depth, in_depth] as the int8 dsp8 kernel reads them
    (firmware/kernels/fully_connected_dsp8.h), int32 words: per pair of channels (A, B) [pair,
    word] with, for group g of 4 inputs, the words (A[4g] + 128, B[4g], A[4g+2] + 128, B[4g+2])
    and (A[4g+1] + 128, B[4g+1], A[4g+3] + 128, B[4g+3]) (little-endian bytes); and an odd
    out_depth's last row as it is, in words (None when even). Rows are zero-padded to whole
    groups of 8 (dsp8_words; those inputs are zero in scratch)."""
    out_depth, in_depth = w.shape
    groups, pairs = dsp8_words(in_depth) // 2, out_depth // 2
    rows = np.zeros((out_depth, 4 * groups), np.int32)
    rows[:, :in_depth] = w
    a = (rows[0:2 * pairs:2] + 128).reshape(pairs, groups, 4)
    b = rows[1:2 * pairs:2].reshape(pairs, groups, 4)
    # [pair, group, word, byte]: word 0 meets the inputs (4g, 4g+2), word 1 (4g+1, 4g+3)
    pair_bytes = np.stack([np.stack([a[..., k], b[..., k], a[..., k + 2], b[..., k + 2]], axis=-1)
                           for k in (0, 1)], axis=2).astype(np.uint8)
    words = pair_bytes.reshape(-1).view("<i4").astype(np.int32).reshape(pairs, 2 * groups)
    last = rows[-1].astype(np.int8).view("<i4").astype(np.int32) if out_depth % 2 else None
    return words, last


def wrap32(v: np.ndarray) -> np.ndarray:
    """int64 values modulo 2^32 as int32 (the kernels' wrapping sums)."""
    return ((v.astype(np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


def one_row(rq: np.ndarray) -> np.ndarray | None:
    """The layer's tq_rq row when every channel has the same one (per-tensor weights, as AD's
    layers: one row for the layer instead of one per channel), else None."""
    return rq[0] if len(rq) and (rq == rq[0]).all() else None


def quad_words(words: np.ndarray) -> np.ndarray:
    """Two channel pairs' weight words [2, n] (dsp8_pair_weights' rows P, Q) interleaved as the
    quad asm loads them: for each two scratch words i, i+1 the words P[i], Q[i], P[i+1], Q[i+1]."""
    p, q = words[0].reshape(-1, 2), words[1].reshape(-1, 2)
    return np.stack([p[:, 0], q[:, 0], p[:, 1], q[:, 1]], axis=1).reshape(-1)


def dsp8_stream(d: FcData, rq: np.ndarray, factor: np.ndarray, fold: bool = True
                ) -> tuple[np.ndarray, int, np.ndarray | None, np.ndarray | None]:
    """(the int8 dsp8 kernels' constant stream, the layer's shift, per-channel scales or None, the
    layer's one tq_rq row or None) (fully_connected_dsp8.h): per block of 4 channels (two pairs)
    their 4 head words, their weight words interleaved (quad_words) and (unless the layer has one
    row for all) 4 tq_rq rows; then a last pair's head, words and rows; then an odd out_depth's
    last channel. Where every channel that uses its factor has the same 2^shift, that is the
    layer's shift: with `fold` the widened inputs carry it and the biases are scaled here, else
    the kernel shifts the accumulators; otherwise the scales shift each channel's accumulator."""
    used = {int(f) for f, row in zip(factor.tolist(), rq) if row[0] != 0}   # multiplier 0: any factor
    uniform = len(used) <= 1
    shift = int(np.log2(min(used))) if len(used) == 1 else 0
    bias = d.bias.astype(np.int64) << shift if uniform and fold else d.bias.astype(np.int64)
    one = one_row(rq) if uniform else None
    words, last = dsp8_pair_weights(d.w)
    pairs = len(words)
    head = wrap32(np.stack([bias[0:2 * pairs:2] + 256 * bias[1:2 * pairs:2], bias[1:2 * pairs:2]], axis=1))
    rows = rq[0:2 * pairs].reshape(pairs, 6)
    parts = []
    for k in range(0, pairs - 1, 2):
        parts += [head[k:k + 2].reshape(-1), quad_words(words[k:k + 2])]
        parts += [] if one is not None else [rows[k:k + 2].reshape(-1)]
    if pairs % 2:
        parts += [head[-1], words[-1]] + ([] if one is not None else [rows[-1]])
    if last is not None:
        parts += [wrap32(bias[-1:]), last] + ([] if one is not None else [rq[-1]])
    scale = None if uniform else np.log2(factor).astype(np.int8)
    return np.concatenate(parts).astype(np.int32), shift, scale, one


def dsp8_scratch(d: FcData) -> int:
    """One input row widened to int16 pairs, zero-padded to whole groups of 8."""
    return 4 * dsp8_words(d.in_depth)


def fc_row_fits(d: FcData) -> bool:
    """The widened input row keeps the layer within the graph's largest activation (the arena's
    lower bound): else the dsp8 kernel that reads its input in place."""
    return d.dtype == "int8" and dsp8_scratch(d) <= d.ram_room


def _dsp8_fields(d: FcData, em: Emitter, shift: int, exact: int, scale: np.ndarray | None,
                 one: np.ndarray | None) -> dict[str, object]:
    """The tq_fc_dsp8_params fields of both dsp8 kernels."""
    return {
        "batches": d.batches, "in_depth": d.in_depth, "out_depth": d.out_depth, "words": dsp8_words(d.in_depth),
        "shift": shift, "output_offset": d.output_zp, "act_min": d.act_min, "act_max": d.act_max,
        "rq_exact": exact, "scale": em.const(scale, "scale") if scale is not None else "0",
        "rq": f"(const tq_rq *){em.const(one, 'rq')}" if one is not None else "0",
    }


@variant("FULLY_CONNECTED", "dsp8", ["fully_connected_dsp8.c", "fully_connected_dsp8.h", "tq_dsp.h"],
         scratch=dsp8_scratch, applies=fc_row_fits)
def lower_dsp8(d: FcData, em: Emitter) -> None:
    """The model's int8 weights, 1 byte each, two channels a word, with the biases and the
    requantization rows in one stream (dsp8_stream), against the input row widened once into
    scratch. The fast requantization's factor 2^(ls + 1), which "dsp" folds into its int16
    weights, goes into the widened inputs (or, per channel, is a run-time shift)."""
    rq, factor, exact = requant_for(d.w, d.model_bias, d.mult, d.shift, d.output_zp)
    stream, shift, scale, one = dsp8_stream(d, rq, factor)
    em.include("fully_connected_dsp8.h")
    p = em.params("tq_fc_dsp8_params", _dsp8_fields(d, em, shift, exact, scale, one))
    em.call(f"tq_fully_connected_dsp8_s8({p}, {em.tensor(d.input)}, {em.const(stream, 'w8')}, "
            f"{em.tensor(d.output)}, (int32_t *){em.scratch()})")


@variant("FULLY_CONNECTED", "dsp8", ["fully_connected_dsp8.c", "fully_connected_dsp8.h", "tq_dsp.h"],
         applies=lambda d: d.dtype == "int8", name="fully_connected_dsp8_direct")
def lower_dsp8_direct(d: FcData, em: Emitter) -> None:
    """Where the widened row would raise the arena (the layer reading or writing the graph's
    largest activation, e.g. AD's first and last): the same stream with unscaled biases, the
    int8 input read in place and widened by SXTB16 per block of 4 channels; the fast
    requantization's factor 2^(ls + 1) is a run-time left shift of the accumulators."""
    rq, factor, exact = requant_for(d.w, d.model_bias, d.mult, d.shift, d.output_zp)
    stream, shift, scale, one = dsp8_stream(d, rq, factor, fold=False)
    em.include("fully_connected_dsp8.h")
    p = em.params("tq_fc_dsp8_params", _dsp8_fields(d, em, shift, exact, scale, one))
    em.call(f"tq_fully_connected_dsp8_direct_s8({p}, {em.tensor(d.input)}, {em.const(stream, 'w8')}, "
            f"{em.tensor(d.output)})")
