"""Constant-fold shape arithmetic: every tensor shape is static in tinyq's IR, so a RESHAPE needs
no shape operand, and the SHAPE/STRIDED_SLICE/PACK chains that compute it become dead."""
from __future__ import annotations

from tinyq.ir import Graph

SHAPE_ONLY_OPS = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}


def fold_shape_operands(g: Graph) -> int:
    folded = 0
    for op in g.ops:
        if op.opcode in SHAPE_ONLY_OPS and len(op.inputs) > 1:
            op.inputs = op.inputs[:1]
            folded += 1
    return folded
