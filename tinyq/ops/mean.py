"""MEAN, int8, over any set of axes, with or without keep_dims (Keras' global average pooling
and friends)."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier

MAX_DIMS = 6  # TQ_MEAN_MAX_DIMS in mean.h


def _axes(op: Op, g: Graph) -> list[int]:
    rank = len(g.t(op.inputs[0]).shape)
    return sorted({int(a) % rank for a in np.asarray(g.t(op.inputs[1]).data).ravel()})


def _check(op: Op, g: Graph) -> str | None:
    reason = need_int8(op, g, [0, -1])
    if reason:
        return reason
    axes_t = g.t(op.inputs[1])
    if not axes_t.is_const or axes_t.data is None:
        return "axes must be constant"
    rank = len(g.t(op.inputs[0]).shape)
    if rank > MAX_DIMS:
        return f"inputs of rank {rank} > {MAX_DIMS} are not supported"
    if any(not -rank <= int(a) < rank for a in np.asarray(axes_t.data).ravel()):
        return f"axis out of range for a rank-{rank} input"
    keep, _ = split_dims(tuple(g.t(op.inputs[0]).shape), _axes(op, g))
    if int(np.prod([s for s, _ in keep], dtype=np.int64)) != g.t(op.outputs[0]).num_elements:
        return "output shape disagrees with the reduced axes"
    return None


def split_dims(shape: tuple[int, ...], axes: list[int]
               ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(kept, reduced) groups of (size, element stride), outermost first: size-1 dimensions
    dropped and neighbours of the same kind merged, so the kernel walks as few loops as possible."""
    strides = [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]
    groups: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    last: bool | None = None
    for d, size in enumerate(shape):
        if size == 1:
            continue
        red = d in axes
        grp = groups[red]
        if last is red and grp:
            # the previous dimension of this kind is the adjacent outer one: merge
            grp[-1] = (grp[-1][0] * size, strides[d])
        else:
            grp.append((int(size), strides[d]))
        last = red
    return groups[False], groups[True]


def mean_multiplier(in_scale: float, out_scale: float, n: int) -> tuple[int, int]:
    """TFLM's integer QuantizedMeanOrSum folds 1/n into the in/out rescale with integer arithmetic."""
    mult, shift = quantize_multiplier(in_scale / out_scale)
    s = min(n.bit_length() - 1, 32, 31 + shift)
    mult = int((mult << s) // n) if mult >= 0 else -int((-mult << s) // n)  # C truncates toward 0
    return mult, shift - s


def _arr(v: list[int]) -> str:
    """A C array initializer padded to MAX_DIMS."""
    return "{ " + ", ".join(str(int(x)) for x in v + [0] * (MAX_DIMS - len(v))) + " }"


@register("MEAN", sources=["mean.c", "mean.h"], check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    keep, red = split_dims(tuple(inp.shape), _axes(op, g))
    reduce = int(np.prod([s for s, _ in red], dtype=np.int64))
    out_count = int(np.prod([s for s, _ in keep], dtype=np.int64))
    # Even when input and output quantization are equal, today's TFLM requantizes (older
    # releases took a truncating integer mean there; tests/test_op_elementwise.py pins this).
    mult, shift = mean_multiplier(inp.qscale, out.qscale, reduce)
    em.include("mean.h")
    p = em.params("tq_mean_params", {
        "out_count": out_count, "keep_rank": len(keep),
        "keep_dims": _arr([s for s, _ in keep]), "keep_strides": _arr([t for _, t in keep]),
        "red_rank": len(red),
        "red_dims": _arr([s for s, _ in red]), "red_strides": _arr([t for _, t in red]),
        "reduce": reduce,
        "input_zero_point": inp.qzero, "output_zero_point": out.qzero, "mult": mult, "shift": shift,
    })
    em.call(f"tq_mean_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
