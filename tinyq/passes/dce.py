"""Dead code elimination: drop ops none of whose outputs reach a graph output."""
from __future__ import annotations

from tinyq.ir import Graph


def eliminate_dead_ops(g: Graph) -> int:
    needed = set(g.outputs)
    keep = []
    for op in reversed(g.ops):
        if any(o in needed for o in op.outputs):
            keep.append(op)
            needed.update(t for t in op.reads if t >= 0)
    removed = len(g.ops) - len(keep)
    g.ops = list(reversed(keep))
    g.renumber()
    return removed
