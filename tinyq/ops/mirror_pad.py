"""MIRROR_PAD (REFLECT, SYMMETRIC) and REVERSE_V2 as strided copies: every axis splits into
segments that read the input forwards (the body) or backwards (a mirrored border, a reversed
axis); each combination of segments is one copy (any element type, bytes unchanged)."""
from __future__ import annotations

import itertools

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._copy import SOURCES, Copy, CopyData, const_ints, contiguous_strides, copy_data, lower_copies
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

# (output start, length, input start, input step) of one segment of one axis
Segment = tuple[int, int, int, int]
MAX_COPIES = 81   # 3 segments on each of 4 padded axes


def _copies(op: Op, g: Graph, axes: list[list[Segment]]) -> CopyData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    istr, ostr = contiguous_strides(inp.shape), contiguous_strides(out.shape)
    combos = [c for c in itertools.product(*axes) if all(s[1] > 0 for s in c)]
    if len(combos) > MAX_COPIES:
        raise Refusal(f"{len(combos)} copies; at most {MAX_COPIES} (pad at most 4 axes)")
    copies = [(op.inputs[0], op.outputs[0], Copy(
        tuple(s[1] for s in c), tuple(s[3] * st for s, st in zip(c, istr)), tuple(ostr),
        in_offset=sum(s[2] * st for s, st in zip(c, istr)), out_offset=sum(s[0] * st for s, st in zip(c, ostr))))
        for c in combos]
    return copy_data(op, g, copies)


@register_op("MIRROR_PAD")
def prepare_mirror(op: Op, g: Graph) -> CopyData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    shape = [int(v) for v in inp.shape]
    pads = const_ints(g, op.inputs[1], "paddings")
    mode = op.options.get("mode", 0)
    reflect = mode in (0, "REFLECT")
    if len(pads) != 2 * len(shape):
        raise Refusal(f"paddings {pads} do not match the {len(shape)}-D input")
    axes = []
    for d, (a, b) in zip(shape, zip(pads[::2], pads[1::2])):
        limit = d - 1 if reflect else d
        if a < 0 or b < 0 or a > limit or b > limit:
            raise Refusal(f"paddings ({a}, {b}) must lie in [0, {limit}] for a dimension of {d} "
                          f"({'REFLECT' if reflect else 'SYMMETRIC'})")
        k = 1 if reflect else 0   # REFLECT leaves out the edge element
        axes.append([(0, a, a - 1 + k, -1), (a, d, 0, 1), (a + d, b, d - 1 - k, -1)])
    if [int(v) for v in out.shape] != [d + a + b for d, a, b in zip(shape, pads[::2], pads[1::2])]:
        raise Refusal(f"output {list(out.shape)} is not the padded input")
    return _copies(op, g, axes)


@register_op("REVERSE_V2")
def prepare_reverse(op: Op, g: Graph) -> CopyData:
    shape = [int(v) for v in g.t(op.inputs[0]).shape]
    rank = len(shape)
    axes = const_ints(g, op.inputs[1], "axes")
    if any(not -rank <= a < rank for a in axes):
        raise Refusal(f"axes {axes} out of range for a {rank}-D input")
    rev = {a % rank for a in axes}
    if tuple(g.t(op.outputs[0]).shape) != tuple(shape):
        raise Refusal("the output must have the input's shape")
    segs = [[(0, d, d - 1, -1) if k in rev else (0, d, 0, 1)] for k, d in enumerate(shape)]
    if not shape or int(np.prod(shape)) == 0:
        raise Refusal("empty tensor")
    return _copies(op, g, segs)


for _name in ("MIRROR_PAD", "REVERSE_V2"):
    @variant(_name, "portable", SOURCES)
    def lower(d: CopyData, em: Emitter) -> None:
        lower_copies(d, em)
