"""STRIDED_SLICE, int8, up to 5-D, constant begin/end/strides. TFLM's StridedSlicePadIndices,
StartForAxis and EndForAxis run here, once; the kernel only walks the resulting 5-D grid."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register

DIMS = 5


@dataclass
class Axis:
    start: int
    stride: int
    count: int


def _clamp(v: int, lo: int, hi: int) -> int:
    return max(lo, min(v, hi))


def slice_axes(shape: list[int], begin: list[int], end: list[int], strides: list[int],
               begin_mask: int, end_mask: int, shrink_mask: int, offset: bool) -> list[Axis]:
    """Start, stride and iteration count per axis of the input padded to 5-D, as TFLM's
    reference StridedSlice computes them."""
    pad = DIMS - len(shape)
    shape = [1] * pad + list(shape)
    begin, end, strides = [0] * pad + list(begin), [1] * pad + list(end), [1] * pad + list(strides)
    # Padded leading axes take their whole (size 1) extent.
    begin_mask = (begin_mask << pad) | ((1 << pad) - 1)
    end_mask = (end_mask << pad) | ((1 << pad) - 1)
    shrink_mask <<= pad
    axes = []
    for ax in range(DIMS):
        size, stride = shape[ax], strides[ax]
        start = begin[ax] + size if begin[ax] < 0 else begin[ax]
        start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
        if begin_mask & (1 << ax):
            start = 0 if stride > 0 else size - 1
        if shrink_mask & (1 << ax):
            stop = start if start >= size else start + 1
        else:
            stop = end[ax] + start if offset else end[ax]
            stop = stop + size if stop < 0 else stop
            stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
            if end_mask & (1 << ax):
                stop = size if stride > 0 else -1
        # TFLM loops `for (i = start; stride > 0 ? i < stop : i > stop; i += stride)`.
        span = stop - start if stride > 0 else start - stop
        axes.append(Axis(start, stride, max(0, -(-span // abs(stride)))))
    return axes


def _operands(op: Op, g: Graph) -> list[list[int]]:
    return [[int(v) for v in np.asarray(g.t(i).data).ravel()] for i in op.inputs[1:4]]


def _axes(op: Op, g: Graph) -> list[Axis]:
    begin, end, strides = _operands(op, g)
    o = op.options
    return slice_axes(list(g.t(op.inputs[0]).shape), begin, end, strides, int(o.get("begin_mask", 0)),
                      int(o.get("end_mask", 0)), int(o.get("shrink_axis_mask", 0)), bool(o.get("offset", False)))


def _check(op: Op, g: Graph) -> str | None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype != "int8" or out.dtype != "int8":
        return f"needs int8 tensors, got {inp.dtype} -> {out.dtype}"
    if len(inp.shape) > DIMS:
        return f"{len(inp.shape)}-D input; at most {DIMS} dimensions are supported (as TFLM)"
    if len(op.inputs) < 4 or any(not g.t(i).is_const or g.t(i).data is None for i in op.inputs[1:4]):
        return "begin, end and strides must be constant"
    if int(op.options.get("ellipsis_mask", 0)) or int(op.options.get("new_axis_mask", 0)):
        return "ellipsis_mask and new_axis_mask are not supported (TFLM rejects them too)"
    begin, end, strides = _operands(op, g)
    if not len(begin) == len(end) == len(strides) == len(inp.shape):
        return "begin/end/strides must have one entry per input dimension"
    if 0 in strides:
        return "a stride of 0 is invalid"
    n = int(np.prod([a.count for a in _axes(op, g)], dtype=np.int64))
    if n != out.num_elements:
        return f"the slice has {n} elements but the output tensor {tuple(out.shape)} has {out.num_elements}"
    return None


@register("STRIDED_SLICE", sources=["strided_slice.c", "strided_slice.h"], check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    shape = [1] * (DIMS - len(g.t(op.inputs[0]).shape)) + [int(v) for v in g.t(op.inputs[0]).shape]
    elem = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(DIMS)]
    axes = _axes(op, g)
    # An empty slice never reads the input, so its (possibly out-of-range) start is irrelevant.
    base = sum(a.start * e for a, e in zip(axes, elem)) if all(a.count for a in axes) else 0
    vec = lambda v: "{ " + ", ".join(map(str, v)) + " }"  # noqa: E731
    em.include("strided_slice.h")
    p = em.params("tq_strided_slice_params", {
        "base": base, "count": vec([a.count for a in axes]), "step": vec([a.stride * e for a, e in zip(axes, elem)]),
    })
    em.call(f"tq_strided_slice_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
