"""What the binary element-wise ops (ADD, SUB, MUL) share: broadcasting, checks, in-place pairs."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8
from tinyq.ops._conv_common import FUSED_ACTIVATIONS


def _strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    """Element strides of `shape` (right-aligned to the 4-D `out`), 0 along broadcast dims."""
    shape = (1,) * (4 - len(shape)) + tuple(shape)
    strides, acc = [0] * 4, 1
    for d in range(3, -1, -1):
        strides[d] = acc if shape[d] == out[d] and shape[d] != 1 else 0
        acc *= shape[d]
    return strides


def _broadcasts_to(shape: tuple[int, ...], out: tuple[int, ...]) -> bool:
    if len(shape) > len(out):
        return False
    return all(s in (1, o) for s, o in zip(shape[::-1], out[::-1]))


def broadcast_init(op: Op, g: Graph) -> str:
    """The C initializer of a tq_bcast for this op."""
    a, b, out = (g.t(op.inputs[0]).shape, g.t(op.inputs[1]).shape, g.t(op.outputs[0]).shape)
    count = g.t(op.outputs[0]).num_elements
    if a == b == out:
        return f"{{ .count = {count}, .broadcast = 0 }}"
    out4 = (1,) * (4 - len(out)) + tuple(out)
    s1, s2 = _strides(a, out4), _strides(b, out4)
    arr = lambda v: "{ " + ", ".join(map(str, v)) + " }"  # noqa: E731
    return (f"{{ .count = {count}, .broadcast = 1, .dims = {arr(out4)}, "
            f".stride1 = {arr(s1)}, .stride2 = {arr(s2)} }}")


def binary_check(op: Op, g: Graph) -> str | None:
    reason = need_int8(op, g, [0, 1, -1])
    if reason:
        return reason
    act = op.options.get("fused_activation_function", "NONE")
    if act not in FUSED_ACTIVATIONS:
        return f"fused activation {act} is not supported"
    out = g.t(op.outputs[0])
    for i in op.inputs[:2]:
        if g.t(i).is_const and g.t(i).data is None:
            return "constant input without data"
        if len(g.t(i).shape) > 4 and g.t(i).shape != out.shape:
            return "broadcasting beyond 4-D is not supported"
        if not _broadcasts_to(g.t(i).shape, out.shape):
            return f"input shape {list(g.t(i).shape)} does not broadcast to the output {list(out.shape)}"
    if len(out.shape) > 4 and g.t(op.inputs[0]).shape != g.t(op.inputs[1]).shape:
        return "broadcasting beyond 4-D is not supported"
    return None


def binary_inplace(op: Op, g: Graph) -> list[tuple[int, int]]:
    """An input of the output's own shape is read at exactly the index being written."""
    out = g.t(op.outputs[0])
    return [(i, 0) for i in (0, 1) if g.t(op.inputs[i]).shape == out.shape and
            g.t(op.inputs[i]).dtype == out.dtype]
