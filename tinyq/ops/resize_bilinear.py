"""RESIZE_BILINEAR, int8 NHWC: TFLM's ResizeBilinearInteger (10-bit fixed-point source
coordinates, a 20-bit weighted sum, rounded half away from zero). The per-row and per-column
source indices and weights are computed here once; the kernel only blends."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._resize import ResizeGeometry, resize_geometry
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

ONE = 1 << 10


def _cdiv(a: int, b: int) -> int:
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def interpolation(in_size: int, out_size: int, align_corners: bool, half_pixel: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower index, upper index, fraction of the upper one in 1/1024) per output index, as
    ComputeInterpolationValuesInteger computes them."""
    if align_corners and out_size > 1:
        scale = _cdiv(ONE * (in_size - 1) + (out_size - 1) // 2, out_size - 1)
    else:
        scale = _cdiv(ONE * in_size + out_size // 2, out_size)
    lo, hi, frac = (np.zeros(out_size, np.int32) for _ in range(3))
    for i in range(out_size):
        v = i * scale + _cdiv(scale, 2) - (1 << 9) if half_pixel else i * scale
        lo[i] = max(_cdiv(v, ONE), 0)
        hi[i] = min(_cdiv(v + ONE - 1, ONE), in_size - 1)
        frac[i] = v - ONE * lo[i]
    return lo, hi, frac


@dataclass(frozen=True, eq=False)
class BilinearData(ResizeGeometry):
    rows: np.ndarray   # int32 [out_h, 3]: y0, y1, fraction
    cols: np.ndarray   # int32 [out_w, 3]: x0, x1, fraction


@register_op("RESIZE_BILINEAR")
def prepare(op: Op, g: Graph) -> BilinearData:
    n, ih, iw, c, oh, ow = resize_geometry(op, g)
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    if align and half:
        raise Refusal("align_corners and half_pixel_centers together (TFLM rejects it)")
    size = [int(v) for v in np.asarray(g.t(op.inputs[1]).data).ravel()]
    if size != [oh, ow]:
        raise Refusal(f"size {size} disagrees with the output {list(g.t(op.outputs[0]).shape)}")
    if min(oh, ow, ih, iw) < 1 or max(ih, iw, oh, ow) > 1 << 20:
        raise Refusal("sizes must be between 1 and 2^20 (the 10-bit fixed point must not overflow)")
    rows = np.stack(interpolation(ih, oh, align, half), axis=1).astype(np.int32)
    cols = np.stack(interpolation(iw, ow, align, half), axis=1).astype(np.int32)
    return BilinearData(op.index, op.opcode, op.inputs[0], op.outputs[0], n, ih, iw, c, oh, ow, rows, cols)


@variant("RESIZE_BILINEAR", "portable", ["resize_bilinear.c", "resize_bilinear.h"])
def lower(d: BilinearData, em: Emitter) -> None:
    em.include("resize_bilinear.h")
    p = em.params("tq_resize_bilinear_params", {
        "batches": d.batches, "in_h": d.in_h, "in_w": d.in_w, "depth": d.depth, "out_h": d.out_h,
        "out_w": d.out_w, "rows": em.const(d.rows, "rows"), "cols": em.const(d.cols, "cols"),
    })
    em.call(f"tq_resize_bilinear_s8({p}, {em.tensor(d.input)}, {em.tensor(d.output)})")
