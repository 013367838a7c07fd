"""STRIDED_SLICE, int8 or int16, up to 5-D, constant begin/end/strides. TFLM's StridedSlicePadIndices,
StartForAxis and EndForAxis run here, once; the kernel only walks the resulting 5-D grid."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

DIMS = 5


@dataclass(frozen=True)
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


def _vec(v: list[int]) -> str:
    return "{ " + ", ".join(map(str, v)) + " }"


@register_op("STRIDED_SLICE")
def prepare(op: Op, g: Graph) -> UnaryData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype not in ("int8", "int16") or out.dtype != inp.dtype:
        raise Refusal(f"needs int8 or int16 tensors, got {inp.dtype} -> {out.dtype}")
    if len(inp.shape) > DIMS:
        raise Refusal(f"{len(inp.shape)}-D input; at most {DIMS} dimensions are supported (as TFLM)")
    if len(op.inputs) < 4 or any(not g.t(i).is_const or g.t(i).data is None for i in op.inputs[1:4]):
        raise Refusal("begin, end and strides must be constant")
    o = op.options
    if int(o.get("ellipsis_mask", 0)) or int(o.get("new_axis_mask", 0)):
        raise Refusal("ellipsis_mask and new_axis_mask are not supported (TFLM rejects them too)")
    begin, end, strides = ([int(v) for v in np.asarray(g.t(i).data).ravel()] for i in op.inputs[1:4])
    if not len(begin) == len(end) == len(strides) == len(inp.shape):
        raise Refusal("begin/end/strides must have one entry per input dimension")
    if 0 in strides:
        raise Refusal("a stride of 0 is invalid")
    axes = slice_axes(list(inp.shape), begin, end, strides, int(o.get("begin_mask", 0)),
                      int(o.get("end_mask", 0)), int(o.get("shrink_axis_mask", 0)), bool(o.get("offset", False)))
    n = int(np.prod([a.count for a in axes], dtype=np.int64))
    if n != out.num_elements:
        raise Refusal(f"the slice has {n} elements but the output tensor {tuple(out.shape)} has {out.num_elements}")
    shape = [1] * (DIMS - len(inp.shape)) + [int(v) for v in inp.shape]
    elem = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(DIMS)]
    # An empty slice never reads the input, so its (possibly out-of-range) start is irrelevant.
    base = sum(a.start * e for a, e in zip(axes, elem)) if all(a.count for a in axes) else 0
    return unary_data(op, {
        "base": base, "count": _vec([a.count for a in axes]), "step": _vec([a.stride * e for a, e in zip(axes, elem)]),
    }, in_place=False, dtype=inp.dtype)


@variant("STRIDED_SLICE", "portable", ["strided_slice.c", "strided_slice.h"], applies=lambda d: d.dtype == "int8")
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "strided_slice.h", "tq_strided_slice_params", "tq_strided_slice_s8")


@variant("STRIDED_SLICE", "portable", ["strided_slice.c", "strided_slice.h"], applies=lambda d: d.dtype == "int16",
         name="strided_slice_portable_s16")
def lower_s16(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "strided_slice.h", "tq_strided_slice_params", "tq_strided_slice_s16")
