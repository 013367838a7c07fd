"""TILE, BROADCAST_TO and FILL: an output that repeats its input, as one strided copy whose
repeating dimensions read with stride 0 (any element type, bytes unchanged)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._copy import SOURCES, Copy, CopyData, const_ints, contiguous_strides, copy_data, lower_copies
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant


@register_op("TILE")
def prepare_tile(op: Op, g: Graph) -> CopyData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    shape = [int(v) for v in inp.shape]
    mult = const_ints(g, op.inputs[1], "multiples")
    if len(mult) != len(shape) or min(mult, default=1) < 0:
        raise Refusal(f"multiples {mult} do not match the {len(shape)}-D input")
    if [int(v) for v in out.shape] != [m * d for m, d in zip(mult, shape)]:
        raise Refusal(f"output {list(out.shape)} is not the input {shape} tiled {mult} times")
    # the output as [m0, d0, m1, d1, ...]: each repeat reads the input again (stride 0)
    dims = [v for m, d in zip(mult, shape) for v in (m, d)]
    in_str = [v for s in contiguous_strides(shape) for v in (0, s)]
    return copy_data(op, g, [(op.inputs[0], op.outputs[0], Copy(tuple(dims), tuple(in_str),
                                                                tuple(contiguous_strides(dims))))])


def broadcast_copy(op: Op, g: Graph, src: int) -> CopyData:
    """The output filled with `src` broadcast to its shape (numpy's rules: align the trailing
    dimensions; a size-1 input dimension repeats)."""
    inp, out = g.t(src), g.t(op.outputs[0])
    oshape = [int(v) for v in out.shape]
    ishape = [1] * (len(oshape) - len(inp.shape)) + [int(v) for v in inp.shape]
    if len(ishape) != len(oshape) or any(i not in (1, o) for i, o in zip(ishape, oshape)):
        raise Refusal(f"{list(inp.shape)} does not broadcast to {oshape}")
    in_str = [0 if i == 1 else s for i, s in zip(ishape, contiguous_strides(ishape))]
    return copy_data(op, g, [(src, op.outputs[0], Copy(tuple(oshape), tuple(in_str),
                                                       tuple(contiguous_strides(oshape))))])


@register_op("BROADCAST_TO")
def prepare_broadcast_to(op: Op, g: Graph) -> CopyData:
    return broadcast_copy(op, g, op.inputs[0])


@register_op("FILL")
def prepare_fill(op: Op, g: Graph) -> CopyData:
    """FILL(dims, value): the dims are folded to the output's shape at generation time (a shape
    computed at run time is folded too where its operands are constant)."""
    value = g.t(op.inputs[1])
    if value.num_elements != 1:
        raise Refusal(f"the fill value must be a scalar, not {list(value.shape)}")
    dims = const_ints(g, op.inputs[0], "dims") if g.t(op.inputs[0]).is_const else None
    if dims is not None and dims != [int(v) for v in g.t(op.outputs[0]).shape]:
        raise Refusal(f"dims {dims} disagree with the output's shape {list(g.t(op.outputs[0]).shape)}")
    return broadcast_copy(op, g, op.inputs[1])


for _name in ("TILE", "BROADCAST_TO", "FILL"):
    @variant(_name, "portable", SOURCES)
    def lower(d: CopyData, em: Emitter) -> None:
        lower_copies(d, em)
