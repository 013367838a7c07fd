"""What the RESIZE ops share: the int8 NHWC checks and the geometry."""
from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Op
from tinyq.ops.registry import Prepared, Refusal


@dataclass(frozen=True, eq=False)
class ResizeGeometry(Prepared):
    """The operands and geometry of an NHWC resize (each op adds its source tables)."""

    input: int
    output: int
    batches: int
    in_h: int
    in_w: int
    depth: int
    out_h: int
    out_w: int


def resize_geometry(op: Op, g: Graph) -> tuple[int, int, int, int, int, int]:
    """(batches, in_h, in_w, channels, out_h, out_w) of an int8 NHWC resize with a constant size,
    or a Refusal saying what TFLM would not run."""
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype != "int8" or out.dtype != "int8":
        raise Refusal(f"needs int8 tensors, got {inp.dtype} -> {out.dtype}")
    if len(inp.shape) != 4 or len(out.shape) != 4:
        raise Refusal("needs 4-D NHWC tensors (as TFLM)")
    if not g.t(op.inputs[1]).is_const:
        raise Refusal("the size must be constant (as TFLM requires)")
    if out.shape[0] != inp.shape[0] or out.shape[3] != inp.shape[3]:
        raise Refusal("batch and channels must not change")
    n, ih, iw, c = (int(v) for v in inp.shape)
    return n, ih, iw, c, int(out.shape[1]), int(out.shape[2])
