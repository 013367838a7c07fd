"""Dead code elimination: drop ops none of whose outputs reach a graph output. Ops with an effect
beyond their outputs (writing a resource variable, running an initialisation subgraph) are never
dropped, nor is anything they read: a streaming model's state update reaches no output in the
step that computes it, only in the next one."""
from __future__ import annotations

from tinyq.ir import Graph

# Ops whose effect outlives the invocation (resource variables kept in static RAM).
SIDE_EFFECT_OPS = frozenset({"ASSIGN_VARIABLE", "CALL_ONCE"})


def eliminate_dead_ops(g: Graph) -> int:
    needed = set(g.outputs)
    keep = []
    for op in reversed(g.ops):
        if op.opcode in SIDE_EFFECT_OPS or any(o in needed for o in op.outputs):
            keep.append(op)
            needed.update(t for t in op.reads if t >= 0)
    removed = len(g.ops) - len(keep)
    g.ops = list(reversed(keep))
    g.renumber()
    return removed
