"""SLICE with constant begin and size: one strided copy (any element type, bytes unchanged)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._copy import SOURCES, Copy, CopyData, const_ints, contiguous_strides, copy_data, lower_copies
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

MAX_DIMS = 5   # TFLM's SLICE


@register_op("SLICE")
def prepare(op: Op, g: Graph) -> CopyData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    shape = [int(v) for v in inp.shape]
    if len(shape) > MAX_DIMS:
        raise Refusal(f"{len(shape)}-D input; at most {MAX_DIMS} dimensions (as TFLM)")
    begin, size = const_ints(g, op.inputs[1], "begin"), const_ints(g, op.inputs[2], "size")
    if len(begin) != len(shape) or len(size) != len(shape):
        raise Refusal(f"begin {begin} / size {size} do not match the {len(shape)}-D input")
    size = [d - b if s == -1 else s for b, s, d in zip(begin, size, shape)]
    if any(b < 0 or s < 0 or b + s > d for b, s, d in zip(begin, size, shape)):
        raise Refusal(f"begin {begin} / size {size} reach outside the input {shape}")
    if [int(v) for v in out.shape] != size:
        raise Refusal(f"output {list(out.shape)} is not the slice's size {size}")
    strides = contiguous_strides(shape)
    return copy_data(op, g, [(op.inputs[0], op.outputs[0], Copy(
        tuple(size), tuple(strides), tuple(contiguous_strides(size)),
        in_offset=sum(b * s for b, s in zip(begin, strides))))])


@variant("SLICE", "portable", SOURCES)
def lower(d: CopyData, em: Emitter) -> None:
    lower_copies(d, em)
