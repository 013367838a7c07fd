"""SELECT_V2 (and TFLite's SELECT, which TF writes for tf.where on equal shapes; TFLM has only
SELECT_V2): cond ? x : y with broadcasting, any element type,
bytes unchanged (TFLM requires x, y and the output to have one type and copies them)."""
from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Op
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant


@dataclass(frozen=True, eq=False)
class SelectData(Prepared):
    cond: int
    x: int
    y: int
    output: int
    fields: dict


def _vec(v: list[int]) -> str:
    return "{ " + ", ".join(map(str, v)) + " }"


def strides4(shape: tuple[int, ...], out4: tuple[int, ...]) -> list[int]:
    """Element strides of `shape`, right-aligned to the 4-D output, 0 where it broadcasts."""
    s = (1,) * (4 - len(shape)) + tuple(int(v) for v in shape)
    res, acc = [0] * 4, 1
    for k in range(3, -1, -1):
        res[k] = 0 if s[k] == 1 and out4[k] != 1 else acc
        acc *= s[k]
    return res


@register_op("SELECT_V2", "SELECT")
def prepare(op: Op, g: Graph) -> SelectData:
    c, x, y, out = (g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.inputs[2]), g.t(op.outputs[0]))
    if c.dtype != "bool":
        raise Refusal(f"the condition must be bool, not {c.dtype}")
    if not x.dtype == y.dtype == out.dtype or not out.itemsize:
        raise Refusal(f"x, y and the output must have one type ({x.dtype}, {y.dtype}, {out.dtype})")
    if len(out.shape) > 4:
        raise Refusal("more than 4 dimensions are not supported")
    out4 = (1,) * (4 - len(out.shape)) + tuple(int(v) for v in out.shape)
    for t in (c, x, y):
        s = (1,) * (4 - len(t.shape)) + tuple(int(v) for v in t.shape)
        if len(t.shape) > 4 or any(a not in (1, o) for a, o in zip(s, out4)):
            raise Refusal(f"'{t.name}' {list(t.shape)} does not broadcast to {list(out.shape)}")
    if op.opcode == "SELECT" and not c.shape == x.shape == y.shape == out.shape:
        raise Refusal("SELECT needs one shape for the condition, x and y")
    fields = {"elem": out.itemsize, "dims": _vec(list(out4)), "cond_strides": _vec(strides4(c.shape, out4)),
              "x_strides": _vec(strides4(x.shape, out4)), "y_strides": _vec(strides4(y.shape, out4))}
    return SelectData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0], fields)


def lower(d: SelectData, em: Emitter) -> None:
    em.include("select.h")
    p = em.params("tq_select_params", d.fields)
    em.call(f"tq_select({p}, {em.tensor(d.cond)}, {em.tensor(d.x)}, {em.tensor(d.y)}, {em.tensor(d.output)})")


for _name in ("SELECT_V2", "SELECT"):
    variant(_name, "portable", ["select.c", "select.h"])(lower)
