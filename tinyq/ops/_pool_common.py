"""What AVERAGE_POOL_2D and MAX_POOL_2D share: the prepared record, checks, parameter struct."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range_of, need_quantized
from tinyq.ops._window import Window, need_activation, window
from tinyq.ops.constants import TQ_POOL_SIMD_MAX_TAPS
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Overlap, Prepared, Refusal, Rows, register_op, variant

POOL_SOURCES = ["pooling.c", "pooling.h", "tq_dsp.h"]


@dataclass(frozen=True, eq=False)
class PoolData(Prepared):
    input: int
    output: int
    win: Window
    act_min: int
    act_max: int
    dtype: str = "int8"         # of the activations (int16: 16x8 models)

    def overlaps(self) -> list[Overlap]:
        return [Overlap(self.input, self.output, self.win.trailing_delta(2 if self.dtype == "int16" else 1))]

    def row_deps(self, g: Graph) -> Rows | None:
        return self.win.rows(self.input, self.output)


def prepare_pool(op: Op, g: Graph) -> PoolData:
    reason, dtype = need_quantized(op, g, [0, -1])
    if reason:
        raise Refusal(reason)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if len(inp.shape) != 4:
        raise Refusal("needs a 4-D NHWC input")
    if not (np.array_equal(inp.scale, out.scale) and np.array_equal(inp.zero_point, out.zero_point)):
        raise Refusal("input and output quantization must match (TFLM requires it)")
    need_activation(op)
    k_h, k_w = int(op.options.get("filter_height", 0)), int(op.options.get("filter_width", 0))
    win = window(op.options, inp, out, k_h, k_w)
    if win.out_c != win.in_c:
        raise Refusal(f"output shape {list(out.shape)} disagrees with the input, window and padding")
    if win.pad_h >= k_h or win.pad_w >= k_w:
        # a window entirely inside the padding would divide by zero; TFLM fails on it too
        raise Refusal("a pooling window lies entirely in the padding")
    act_min, act_max = fused_range_of(op, out)
    return PoolData(op.index, op.opcode, op.inputs[0], op.outputs[0], win, act_min, act_max, dtype)


def lower_pool(d: PoolData, em: Emitter, func: str, simd: bool) -> None:
    """simd: the Cortex-M DSP path (4 channels per word, 16-bit sums: windows up to 255 taps)."""
    w = d.win
    em.include("pooling.h")
    p = em.params("tq_pool_params", {
        "geo": w.c_init(), "act_min": d.act_min, "act_max": d.act_max,
        "simd": int(simd and w.k_h * w.k_w <= TQ_POOL_SIMD_MAX_TAPS),
    })
    em.call(f"{func}({p}, {em.tensor(d.input)}, {em.tensor(d.output)})")


def register_pool(name: str, stem: str) -> None:
    """Both pools: one prepare step; for int8 a portable variant and a DSP one (SXTAB16 sums),
    for int16 a portable one (`tq_<stem>_s8`, `tq_<stem>_s16`)."""
    register_op(name)(prepare_pool)

    @variant(name, "portable", POOL_SOURCES, applies=lambda d: d.dtype == "int8", rows="geo")
    def lower_portable(d: PoolData, em: Emitter) -> None:
        lower_pool(d, em, f"tq_{stem}_s8", simd=False)

    @variant(name, "dsp", POOL_SOURCES, applies=lambda d: d.dtype == "int8", rows="geo")
    def lower_dsp(d: PoolData, em: Emitter) -> None:
        lower_pool(d, em, f"tq_{stem}_s8", simd=True)

    @variant(name, "portable", POOL_SOURCES, applies=lambda d: d.dtype == "int16",
             name=f"{name.lower()}_portable_s16", rows="geo")
    def lower_portable_s16(d: PoolData, em: Emitter) -> None:
        lower_pool(d, em, f"tq_{stem}_s16", simd=False)
