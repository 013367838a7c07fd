"""MEAN, int8 or int16, over any set of axes, with or without keep_dims (Keras' global average pooling
and friends)."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_check, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier

MAX_DIMS = 6  # TQ_MEAN_MAX_DIMS in mean.h


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


def reduction_groups(op: Op, g: Graph, max_dims: int = MAX_DIMS
                     ) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int, int]:
    """The checks every reduction (MEAN, SUM, REDUCE_*) shares and its plan: constant axes in
    range, at most `max_dims` dimensions, an output of the kept size. Returns (kept groups,
    reduced groups, output elements, elements per reduction); see split_dims."""
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    axes_t = g.t(op.inputs[1])
    if not axes_t.is_const or axes_t.data is None:
        raise Refusal("axes must be constant")
    rank = len(inp.shape)
    if rank > max_dims:
        raise Refusal(f"inputs of rank {rank} > {max_dims} are not supported")
    axes = [int(a) for a in np.asarray(axes_t.data).ravel()]
    if any(not -rank <= a < rank for a in axes):
        raise Refusal(f"axis out of range for a rank-{rank} input")
    keep, red = split_dims(tuple(inp.shape), sorted({a % rank for a in axes}))
    out_count = int(np.prod([s for s, _ in keep], dtype=np.int64))
    if out_count != out.num_elements:
        raise Refusal("output shape disagrees with the reduced axes")
    return keep, red, out_count, int(np.prod([s for s, _ in red], dtype=np.int64))


def _arr(v: list[int]) -> str:
    """A C array initializer padded to MAX_DIMS."""
    return "{ " + ", ".join(str(int(x)) for x in v + [0] * (MAX_DIMS - len(v))) + " }"


@register_op("MEAN")
def prepare(op: Op, g: Graph) -> UnaryData:
    # TFLM's int16 MEAN subtracts and adds zero points like int8's: any zero point works
    dtype = unary_check(op, g, ("int8", "int16"), int16_zero=False)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    keep, red, out_count, reduce = reduction_groups(op, g)
    if dtype == "int16" and reduce > 65535:
        raise Refusal(f"an int16 MEAN over {reduce} elements may overflow TFLM's int32 sum (at most 65535)")
    # Even when input and output quantization are equal, today's TFLM requantizes (older
    # releases took a truncating integer mean there; tests/test_op_elementwise.py pins this).
    mult, shift = mean_multiplier(inp.qscale, out.qscale, reduce)
    return unary_data(op, {
        "out_count": out_count, "keep_rank": len(keep),
        "keep_dims": _arr([s for s, _ in keep]), "keep_strides": _arr([t for _, t in keep]),
        "red_rank": len(red),
        "red_dims": _arr([s for s, _ in red]), "red_strides": _arr([t for _, t in red]),
        "reduce": reduce,
        "input_zero_point": inp.qzero, "output_zero_point": out.qzero, "mult": mult, "shift": shift,
    }, in_place=False, dtype=dtype)


@variant("MEAN", "portable", ["mean.c", "mean.h"], applies=lambda d: d.dtype == "int8")
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "mean.h", "tq_mean_params", "tq_mean_s8")


@variant("MEAN", "portable", ["mean.c", "mean.h"], applies=lambda d: d.dtype == "int16", name="mean_portable_s16")
def lower_s16(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "mean.h", "tq_mean_params", "tq_mean_s16")
