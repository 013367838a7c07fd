"""GATHER (with batch_dims) and GATHER_ND: slices of `params` picked by an index tensor, constant
or computed (int32 or int64 indices); any element type, bytes unchanged as in TFLM."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._copy import contiguous_strides
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant


@dataclass(frozen=True, eq=False)
class GatherData(Prepared):
    params: int
    indices: int
    output: int
    fields: dict
    index_dtype: str


def _vec(v: list[int], n: int = 8) -> str:
    return "{ " + ", ".join(map(str, list(v) + [0] * (n - len(v)))) + " }"


def _common(op: Op, g: Graph) -> tuple[list[int], list[int], int]:
    par, idx, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if par.dtype != out.dtype or not par.itemsize:
        raise Refusal(f"params ({par.dtype}) and output ({out.dtype}) must have one sized type")
    if idx.dtype not in ("int32", "int64"):
        raise Refusal(f"indices must be int32 or int64, not {idx.dtype}")
    return [int(v) for v in par.shape], [int(v) for v in idx.shape], par.itemsize


@register_op("GATHER")
def prepare_gather(op: Op, g: Graph) -> GatherData:
    pshape, ishape, elem = _common(op, g)
    axis, bd = int(op.options.get("axis", 0)), int(op.options.get("batch_dims", 0))
    axis = axis + len(pshape) if axis < 0 else axis
    bd = bd + len(ishape) if bd < 0 else bd
    if not 0 <= bd <= axis < len(pshape) or bd > len(ishape) or pshape[:bd] != ishape[:bd]:
        raise Refusal(f"axis {axis} / batch_dims {bd} do not fit params {pshape} and indices {ishape}")
    want = pshape[:axis] + ishape[bd:] + pshape[axis + 1:]
    if [int(v) for v in g.t(op.outputs[0]).shape] != want:
        raise Refusal(f"output {list(g.t(op.outputs[0]).shape)} is not the gathered shape {want}")
    prod = lambda v: int(np.prod(v, dtype=np.int64))  # noqa: E731
    fields = {"batches": prod(pshape[:bd]), "outer": prod(pshape[bd:axis]), "axis_size": pshape[axis],
              "inner": prod(pshape[axis + 1:]) * elem, "count": prod(ishape[bd:])}
    return GatherData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], fields,
                      g.t(op.inputs[1]).dtype)


@register_op("GATHER_ND")
def prepare_gather_nd(op: Op, g: Graph) -> GatherData:
    pshape, ishape, elem = _common(op, g)
    if g.t(op.inputs[1]).dtype != "int32":
        raise Refusal("GATHER_ND indices must be int32 (as TFLM)")
    depth = ishape[-1] if ishape else 0
    if not 1 <= depth <= min(8, len(pshape)):
        raise Refusal(f"index depth {depth} does not fit params {pshape}")
    want = ishape[:-1] + pshape[depth:]
    if [int(v) for v in g.t(op.outputs[0]).shape] != want:
        raise Refusal(f"output {list(g.t(op.outputs[0]).shape)} is not the gathered shape {want}")
    strides = [s * elem for s in contiguous_strides(pshape)]
    fields = {"count": int(np.prod(ishape[:-1], dtype=np.int64)), "depth": depth, "dims": _vec(pshape[:depth]),
              "strides": _vec(strides[:depth]), "slice": int(np.prod(pshape[depth:], dtype=np.int64)) * elem}
    return GatherData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], fields, "int32")


@variant("GATHER", "portable", ["gather.c", "gather.h"])
def lower(d: GatherData, em: Emitter) -> None:
    em.include("gather.h")
    p = em.params("tq_gather_params", d.fields)
    fn = "tq_gather_i64" if d.index_dtype == "int64" else "tq_gather_i32"
    em.call(f"{fn}({p}, {em.tensor(d.params)}, {em.tensor(d.indices)}, {em.tensor(d.output)})")


@variant("GATHER_ND", "portable", ["gather.c", "gather.h"])
def lower_nd(d: GatherData, em: Emitter) -> None:
    em.include("gather.h")
    p = em.params("tq_gather_nd_params", d.fields)
    em.call(f"tq_gather_nd_i32({p}, {em.tensor(d.params)}, {em.tensor(d.indices)}, {em.tensor(d.output)})")
