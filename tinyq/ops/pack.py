"""PACK: the inputs stacked along a new axis, each a strided copy into the output (any element
type, bytes unchanged as in TFLM)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._copy import SOURCES, Copy, CopyData, contiguous_strides, copy_data, lower_copies
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant


@register_op("PACK")
def prepare(op: Op, g: Graph) -> CopyData:
    out = g.t(op.outputs[0])
    shape = [int(v) for v in g.t(op.inputs[0]).shape]
    rank = len(shape) + 1
    axis = int(op.options.get("axis", 0))
    if not -rank <= axis < rank:
        raise Refusal(f"axis {axis} is out of range for a {rank}-D output")
    axis %= rank
    want = shape[:axis] + [len(op.inputs)] + shape[axis:]
    if [int(v) for v in out.shape] != want or any([int(v) for v in g.t(i).shape] != shape for i in op.inputs):
        raise Refusal(f"inputs {[list(g.t(i).shape) for i in op.inputs]} do not stack to {list(out.shape)}")
    ostr = contiguous_strides(want)
    dst = ostr[:axis] + ostr[axis + 1:]
    copies = [(t, op.outputs[0], Copy(tuple(shape), tuple(contiguous_strides(shape)), tuple(dst),
                                      out_offset=k * ostr[axis])) for k, t in enumerate(op.inputs)]
    return copy_data(op, g, copies)


@variant("PACK", "portable", SOURCES)
def lower(d: CopyData, em: Emitter) -> None:
    lower_copies(d, em)
