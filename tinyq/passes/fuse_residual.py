"""Fuse a residual ADD into the CONV_2D that produces one of its operands, right before it.

The convolution then adds each result to the other operand (the residual) as it stores it, so
its own output tensor never exists and the sum can overwrite the residual in place. The ADD's
arithmetic is unchanged (the int8 convolution result goes through TFLM's Add), so it stays
bit-exact, and the arena drops below the plain liveness bound (three live tensors become two).

In the IR the ADD becomes the convolution's epilogue (`Op.epilogue`), the convolution's result
its `body_output`, and the ADD's output the fused op's output.

The converter may order the shortcut's own ops (BlazeFace's MAX_POOL_2D and channel PAD, a
projection) between the convolution and the ADD. Those cannot read the convolution's result (the
ADD is its only consumer), so they move before it, and the fusion still applies."""
from __future__ import annotations

from tinyq.ir import Graph

# at most this many shortcut ops between the convolution and its ADD move before the convolution
MAX_BETWEEN = 4


def _conv_before(g: Graph, k: int) -> int | None:
    """The index of the CONV_2D producing an operand of the ADD at k whose ops in between all feed
    only each other or the ADD (the shortcut's own chain), or None."""
    add = g.ops[k]
    consumers = g.consumers()
    for j in range(k - 1, max(-1, k - 2 - MAX_BETWEEN), -1):
        if g.ops[j].opcode == "CONV_2D" and g.ops[j].outputs and g.ops[j].outputs[0] in add.inputs:
            between = set(range(j + 1, k))
            if all(t not in g.outputs and all(c in between or c == k for c in consumers.get(t, []))
                   for i in between for t in g.ops[i].outputs):
                return j
            return None
    return None


def fuse_residual_adds(g: Graph) -> int:
    fused = 0
    k = 1
    while k < len(g.ops):
        op = g.ops[k]
        j = _conv_before(g, k) if op.opcode == "ADD" else None
        if j is None:
            k += 1
            continue
        conv = g.ops[j]
        if conv.epilogue or len(op.inputs) < 2:
            k += 1
            continue
        consumers = g.consumers()
        t = conv.outputs[0]
        a, b = op.inputs[0], op.inputs[1]
        if t not in (a, b) or a == b or t in g.outputs or len(consumers.get(t, [])) != 1:
            k += 1
            continue
        other = b if t == a else a
        out = op.outputs[0]
        # int8 only: the 16x8 convolution has no epilogue (its int16 ADD runs on its own)
        if not (g.t(other).shape == g.t(t).shape == g.t(out).shape) or g.t(other).is_const or g.t(t).dtype != "int8":
            k += 1
            continue
        # the shortcut's ops first (they read nothing of the convolution), then the fused op
        g.ops[j:k + 1] = [*g.ops[j + 1:k], conv]
        conv.epilogue = [op]
        conv.body_output = t
        conv.outputs = [out]
        g.renumber()
        fused += 1
    g.renumber()
    return fused
