"""RESIZE_NEAREST_NEIGHBOR, int8 NHWC: the source row/column tables are computed here, in
TFLM's float32 arithmetic (GetNearestNeighbor), so the kernel is a gather of channel runs."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register
from tinyq.quant import round_half_away


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """TFLM's GetNearestNeighbor for every output index, float32 as in the C++."""
    f = np.float32
    if align_corners and out_size > 1:
        scale = f(in_size - 1) / f(out_size - 1)
    else:
        scale = f(in_size) / f(out_size)
    offset = f(0.5) if half_pixel_centers else f(0.0)
    res = np.zeros(out_size, np.int32)
    for i in range(out_size):
        v = f(f(i) + offset) * scale
        idx = round_half_away(float(v)) if align_corners else int(np.floor(v))
        idx = min(idx, in_size - 1)
        res[i] = max(0, idx) if half_pixel_centers else idx
    return res


def _check(op: Op, g: Graph) -> str | None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype != "int8" or out.dtype != "int8":
        return f"needs int8 tensors, got {inp.dtype} -> {out.dtype}"
    if len(inp.shape) != 4 or len(out.shape) != 4:
        return "needs 4-D NHWC tensors (as TFLM)"
    if not g.t(op.inputs[1]).is_const:
        return "the size must be constant (as TFLM requires)"
    if out.shape[0] != inp.shape[0] or out.shape[3] != inp.shape[3]:
        return "batch and channels must not change"
    return None


@register("RESIZE_NEAREST_NEIGHBOR", sources=["resize_nearest_neighbor.c", "resize_nearest_neighbor.h"],
          check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    n, ih, iw, c = (int(v) for v in inp.shape)
    oh, ow = int(out.shape[1]), int(out.shape[2])
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    em.include("resize_nearest_neighbor.h")
    p = em.params("tq_resize_nn_params", {
        "batches": n, "in_h": ih, "in_w": iw, "depth": c, "out_h": oh, "out_w": ow,
        "src_y": em.const(nearest_indices(ih, oh, align, half), "src_y"),
        "src_x": em.const(nearest_indices(iw, ow, align, half), "src_x"),
    })
    em.call(f"tq_resize_nearest_neighbor_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
