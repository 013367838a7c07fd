"""RESIZE_NEAREST_NEIGHBOR, int8 NHWC: the source row/column tables are computed here, in
TFLM's float32 arithmetic (GetNearestNeighbor), so the kernel is a gather of channel runs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._resize import ResizeGeometry, resize_geometry
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant
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


@dataclass(frozen=True, eq=False)
class ResizeData(ResizeGeometry):
    """Geometry and the source row (`src_y`) and column (`src_x`) of every output pixel."""

    src_y: np.ndarray   # int32 [out_h]
    src_x: np.ndarray   # int32 [out_w]


@register_op("RESIZE_NEAREST_NEIGHBOR")
def prepare(op: Op, g: Graph) -> ResizeData:
    n, ih, iw, c, oh, ow = resize_geometry(op, g)
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    return ResizeData(op.index, op.opcode, op.inputs[0], op.outputs[0], n, ih, iw, c, oh, ow,
                      nearest_indices(ih, oh, align, half), nearest_indices(iw, ow, align, half))


@variant("RESIZE_NEAREST_NEIGHBOR", "portable", ["resize_nearest_neighbor.c", "resize_nearest_neighbor.h"])
def lower(d: ResizeData, em: Emitter) -> None:
    em.include("resize_nearest_neighbor.h")
    p = em.params("tq_resize_nn_params", {
        "batches": d.batches, "in_h": d.in_h, "in_w": d.in_w, "depth": d.depth,
        "out_h": d.out_h, "out_w": d.out_w,
        "src_y": em.const(d.src_y, "src_y"), "src_x": em.const(d.src_x, "src_x"),
    })
    em.call(f"tq_resize_nearest_neighbor_s8({p}, {em.tensor(d.input)}, {em.tensor(d.output)})")
