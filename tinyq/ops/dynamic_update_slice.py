"""DYNAMIC_UPDATE_SLICE: a slice of the operand replaced by `update` at start indices computed at
run time (int32 or int64, clamped as TFLM clamps them); any element type, bytes unchanged."""
from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Op
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Overlap, Prepared, Refusal, register_op, variant

MAX_RANK = 6


@dataclass(frozen=True, eq=False)
class DusData(Prepared):
    operand: int
    update: int
    indices: int
    output: int
    fields: dict

    def overlaps(self) -> list[Overlap]:
        return [Overlap(self.operand, self.output)]   # in place: the copy is skipped


def _vec(v: list[int]) -> str:
    return "{ " + ", ".join(map(str, v + [0] * (MAX_RANK - len(v)))) + " }"


@register_op("DYNAMIC_UPDATE_SLICE")
def prepare(op: Op, g: Graph) -> DusData:
    a, u, i, out = (g.t(t) for t in (*op.inputs[:3], op.outputs[0]))
    if not a.dtype == u.dtype == out.dtype or not a.itemsize:
        raise Refusal(f"operand, update and output must have one type ({a.dtype}, {u.dtype}, {out.dtype})")
    if i.dtype not in ("int32", "int64"):
        raise Refusal(f"start indices must be int32 or int64, not {i.dtype}")
    dims, upd = [int(v) for v in a.shape], [int(v) for v in u.shape]
    if not 1 <= len(dims) <= MAX_RANK or len(upd) != len(dims) or i.num_elements != len(dims):
        raise Refusal(f"operand {dims}, update {upd} and {i.num_elements} start indices do not fit")
    if any(x > d for x, d in zip(upd, dims)) or tuple(out.shape) != tuple(a.shape):
        raise Refusal(f"the update {upd} must fit the operand {dims} (and the output be the operand's shape)")
    fields = {"rank": len(dims), "elem": a.itemsize, "bytes": a.nbytes, "dims": _vec(dims), "upd": _vec(upd),
              "index_is_64": int(i.dtype == "int64")}
    return DusData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0], fields)


@variant("DYNAMIC_UPDATE_SLICE", "portable", ["dynamic_update_slice.c", "dynamic_update_slice.h"])
def lower(d: DusData, em: Emitter) -> None:
    em.include("dynamic_update_slice.h")
    p = em.params("tq_dus_params", d.fields)
    em.call(f"tq_dynamic_update_slice({p}, {em.tensor(d.operand)}, {em.tensor(d.update)}, {em.tensor(d.indices)}, "
            f"{em.tensor(d.output)})")
