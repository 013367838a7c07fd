"""SPLIT, SPLIT_V and UNPACK: every output a block of the input along one axis. A block that is a
contiguous run of the input (nothing but size-1 dimensions before the axis) is a view of it, no
copy; the others are strided copies (tinyq/ops/_copy.py). Any element type: the bytes move
unchanged, as TFLM copies them."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._copy import SOURCES, Copy, CopyData, const_ints, contiguous_strides, copy_data, lower_copies
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant


def split_blocks(op: Op, g: Graph, data: int, axis: int, sizes: list[int]) -> CopyData:
    """Output k takes `sizes[k]` entries of `axis` of tensor `data`, in order."""
    inp = g.t(data)
    shape = [int(v) for v in inp.shape]
    rank = len(shape)
    if not -rank <= axis < rank:
        raise Refusal(f"axis {axis} is out of range for a {rank}-D input")
    axis %= rank
    if len(sizes) != len(op.outputs) or sum(sizes) != shape[axis] or min(sizes, default=0) < 0:
        raise Refusal(f"sizes {sizes} do not split dimension {axis} ({shape[axis]}) into {len(op.outputs)} outputs")
    if inp.is_const:
        raise Refusal("splitting a constant is not supported")
    strides = contiguous_strides(shape)
    outer = 1
    for d in shape[:axis]:
        outer *= d
    copies, views, start = [], [], 0
    for out, size in zip(op.outputs, sizes):
        o = g.t(out)
        if o.num_elements != outer * size * strides[axis]:
            raise Refusal(f"output '{o.name}' {list(o.shape)} does not hold a block of {size} along axis {axis}")
        if outer == 1:
            views.append((out, data, start * strides[axis] * inp.itemsize))
        else:
            block = shape[:axis] + [size] + shape[axis + 1:]
            copies.append((data, out, Copy(tuple(block), tuple(strides), tuple(contiguous_strides(block)),
                                           in_offset=start * strides[axis])))
        start += size
    return copy_data(op, g, copies, views)


@register_op("SPLIT")
def prepare_split(op: Op, g: Graph) -> CopyData:
    inp = g.t(op.inputs[1])
    axis = const_ints(g, op.inputs[0], "split axis")[0]
    if not -len(inp.shape) <= axis < len(inp.shape):
        raise Refusal(f"axis {axis} is out of range for a {len(inp.shape)}-D input")
    n, dim = int(op.options.get("num_splits", len(op.outputs))), int(inp.shape[axis])
    if n != len(op.outputs) or n <= 0 or dim % n:
        raise Refusal(f"num_splits {n} does not divide the axis ({dim}) among {len(op.outputs)} outputs")
    return split_blocks(op, g, op.inputs[1], axis, [dim // n] * n)


@register_op("SPLIT_V")
def prepare_split_v(op: Op, g: Graph) -> CopyData:
    inp = g.t(op.inputs[0])
    axis = const_ints(g, op.inputs[2], "split axis")[0]
    sizes = const_ints(g, op.inputs[1], "size_splits")
    if not inp.shape or not -len(inp.shape) <= axis < len(inp.shape):
        raise Refusal(f"axis {axis} is out of range for a {len(inp.shape)}-D input")
    if sizes.count(-1) == 1:   # one size inferred from the rest
        sizes[sizes.index(-1)] = int(inp.shape[axis]) - (sum(sizes) + 1)
    return split_blocks(op, g, op.inputs[0], axis, sizes)


@register_op("UNPACK")
def prepare_unpack(op: Op, g: Graph) -> CopyData:
    inp = g.t(op.inputs[0])
    axis = int(op.options.get("axis", 0))
    if not inp.shape or not -len(inp.shape) <= axis < len(inp.shape):
        raise Refusal(f"axis {axis} is out of range for a {len(inp.shape)}-D input")
    return split_blocks(op, g, op.inputs[0], axis, [1] * int(inp.shape[axis]))


for _name in ("SPLIT", "SPLIT_V", "UNPACK"):
    @variant(_name, "portable", SOURCES)
    def lower(d: CopyData, em: Emitter) -> None:
        lower_copies(d, em)
