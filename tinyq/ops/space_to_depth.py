"""SPACE_TO_DEPTH and DEPTH_TO_SPACE, NHWC: each one strided copy over the 6-D view TFLM's
reference walks (any element type, bytes unchanged)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._copy import SOURCES, Copy, CopyData, copy_data, lower_copies
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant


def _nhwc(op: Op, g: Graph) -> tuple[list[int], list[int], int]:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if len(inp.shape) != 4 or len(out.shape) != 4:
        raise Refusal("needs 4-D NHWC tensors")
    b = int(op.options.get("block_size", 0))
    if b < 1:
        raise Refusal(f"block size {b} must be at least 1")
    return [int(v) for v in inp.shape], [int(v) for v in out.shape], b


@register_op("SPACE_TO_DEPTH")
def prepare_s2d(op: Op, g: Graph) -> CopyData:
    (n, h, w, c), oshape, b = _nhwc(op, g)
    if h % b or w % b or oshape != [n, h // b, w // b, c * b * b]:
        raise Refusal(f"input {[n, h, w, c]} does not give {oshape} with block {b}")
    # output order (n, oy, ox, by, bx, c) reads input (n, oy*b+by, ox*b+bx, c)
    dims = (n, h // b, w // b, b, b, c)
    ins = (h * w * c, b * w * c, b * c, w * c, c, 1)
    outs = (h * w * c, (w // b) * b * b * c, b * b * c, b * c, c, 1)
    return copy_data(op, g, [(op.inputs[0], op.outputs[0], Copy(dims, ins, outs))])


@register_op("DEPTH_TO_SPACE")
def prepare_d2s(op: Op, g: Graph) -> CopyData:
    (n, h, w, c), oshape, b = _nhwc(op, g)
    if c % (b * b) or oshape != [n, h * b, w * b, c // (b * b)]:
        raise Refusal(f"input {[n, h, w, c]} does not give {oshape} with block {b}")
    oc = c // (b * b)
    # output order (n, y, by, x, bx, oc) reads input (n, y, x, (by*b+bx)*oc + oc')
    dims = (n, h, b, w, b, oc)
    ins = (h * w * c, w * c, b * oc, c, oc, 1)
    outs = (h * w * c, b * w * b * oc, w * b * oc, b * oc, oc, 1)
    return copy_data(op, g, [(op.inputs[0], op.outputs[0], Copy(dims, ins, outs))])


for _name in ("SPACE_TO_DEPTH", "DEPTH_TO_SPACE"):
    @variant(_name, "portable", SOURCES)
    def lower(d: CopyData, em: Emitter) -> None:
        lower_copies(d, em)
