"""TRANSPOSE, int8, up to 6-D, with a constant permutation: a strided byte copy."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

MAX_DIMS = 6


def _vec(v: list[int]) -> str:
    return "{ " + ", ".join(map(str, v)) + " }"


@register_op("TRANSPOSE")
def prepare(op: Op, g: Graph) -> UnaryData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype != "int8" or out.dtype != "int8":
        raise Refusal(f"needs int8 tensors, got {inp.dtype} -> {out.dtype}")
    if len(inp.shape) > MAX_DIMS:
        raise Refusal(f"{len(inp.shape)}-D input; at most {MAX_DIMS} dimensions are supported")
    pt = g.t(op.inputs[1])
    if not pt.is_const or pt.data is None:
        raise Refusal("the permutation must be constant")
    perm = [int(v) for v in np.asarray(pt.data).ravel()]
    if sorted(perm) != list(range(len(inp.shape))):
        raise Refusal(f"permutation {perm} is not a permutation of {len(inp.shape)} dimensions")
    if tuple(out.shape) != tuple(inp.shape[i] for i in perm):
        raise Refusal(f"output shape {tuple(out.shape)} does not match the permuted input")
    shape = [int(v) for v in inp.shape]
    in_strides = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    lead = MAX_DIMS - len(shape)
    dims = [1] * lead + [shape[i] for i in perm]
    strides = [0] * lead + [in_strides[i] for i in perm]
    return unary_data(op, {"dims": _vec(dims), "strides": _vec(strides)}, in_place=False)


@variant("TRANSPOSE", "portable", ["transpose.c", "transpose.h"])
def lower(d: UnaryData, em: Emitter) -> None:
    lower_unary(d, em, "transpose.h", "tq_transpose_params", "tq_transpose_s8")
