"""BATCH_MATMUL, int8, with adj_x / adj_y and broadcast batch dimensions, as TFLM's reference
BatchMatMul (int32 sums, one per-tensor requantization)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant
from tinyq.quant import quantize_multiplier

MAX_RANK = 5   # TFLM's


@dataclass(frozen=True, eq=False)
class BatchMatMulData(Prepared):
    lhs: int
    rhs: int
    output: int
    fields: dict
    lhs_batch: np.ndarray
    rhs_batch: np.ndarray
    mac_count: int

    def macs(self) -> int:
        return self.mac_count


def _batch_offsets(bshape: list[int], out_b: list[int], mat: int) -> np.ndarray:
    """Element offset of each output batch's matrix in an operand with batch dims `bshape`
    (right-aligned to `out_b`, size-1 dims broadcast)."""
    b = [1] * (len(out_b) - len(bshape)) + bshape
    strides = [int(np.prod(b[k + 1:], dtype=np.int64)) * mat for k in range(len(b))]
    res = []
    for idx in np.ndindex(*out_b) if out_b else [()]:
        res.append(sum(0 if b[k] == 1 else i * strides[k] for k, i in enumerate(idx)))
    return np.array(res, np.int32)


@register_op("BATCH_MATMUL")
def prepare(op: Op, g: Graph) -> BatchMatMulData:
    reason = need_int8(op, g, [0, 1, -1])
    if reason:
        raise Refusal(reason)
    lt, rt, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if lt.per_channel or rt.per_channel:
        raise Refusal("per-channel quantization is not supported (TFLM's int8 BATCH_MATMUL is per-tensor)")
    ls, rs = [int(v) for v in lt.shape], [int(v) for v in rt.shape]
    if not 2 <= len(ls) <= MAX_RANK or not 2 <= len(rs) <= MAX_RANK:
        raise Refusal(f"operands must be 2-D to {MAX_RANK}-D")
    adj_x, adj_y = bool(op.options.get("adj_x", False)), bool(op.options.get("adj_y", False))
    m, k = (ls[-1], ls[-2]) if adj_x else (ls[-2], ls[-1])
    k2, n = (rs[-1], rs[-2]) if adj_y else (rs[-2], rs[-1])
    if k != k2:
        raise Refusal(f"inner dimensions differ ({k} and {k2})")
    lb, rb = ls[:-2], rs[:-2]
    nb = max(len(lb), len(rb))
    lbp, rbp = [1] * (nb - len(lb)) + lb, [1] * (nb - len(rb)) + rb
    if any(a != b and 1 not in (a, b) for a, b in zip(lbp, rbp)):
        raise Refusal(f"batch dimensions {lb} and {rb} do not broadcast")
    out_b = [max(a, b) for a, b in zip(lbp, rbp)]
    if [int(v) for v in out.shape] != out_b + [m, n]:
        raise Refusal(f"output {list(out.shape)} is not {out_b + [m, n]}")
    mult, shift = quantize_multiplier(lt.qscale * rt.qscale / out.qscale)
    fields = {
        "batches": int(np.prod(out_b, dtype=np.int64)), "rows": m, "cols": n, "depth": k,
        "lhs_row": 1 if adj_x else k, "lhs_k": m if adj_x else 1,
        "rhs_k": 1 if adj_y else n, "rhs_col": k if adj_y else 1,
        "lhs_offset": -lt.qzero, "rhs_offset": -rt.qzero, "mult": mult, "shift": shift,
        "out_offset": out.qzero, "act_min": -128, "act_max": 127,
    }
    return BatchMatMulData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], fields,
                           _batch_offsets(lb, out_b, m * k), _batch_offsets(rb, out_b, k * n),
                           fields["batches"] * m * n * k)


@variant("BATCH_MATMUL", "portable", ["batch_matmul.c", "batch_matmul.h"])
def lower(d: BatchMatMulData, em: Emitter) -> None:
    em.include("batch_matmul.h")
    p = em.params("tq_batch_matmul_params", {**d.fields, "lhs_batch": em.const(d.lhs_batch, "lhs_batch"),
                                             "rhs_batch": em.const(d.rhs_batch, "rhs_batch")})
    em.call(f"tq_batch_matmul_s8({p}, {em.tensor(d.lhs)}, {em.tensor(d.rhs)}, {em.tensor(d.output)})")
