"""TRANSPOSE, int8, up to 6-D, with a constant permutation: a strided byte copy."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register

MAX_DIMS = 6


def _perm(op: Op, g: Graph) -> list[int]:
    return [int(v) for v in np.asarray(g.t(op.inputs[1]).data).ravel()]


def _check(op: Op, g: Graph) -> str | None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype != "int8" or out.dtype != "int8":
        return f"needs int8 tensors, got {inp.dtype} -> {out.dtype}"
    if len(inp.shape) > MAX_DIMS:
        return f"{len(inp.shape)}-D input; at most {MAX_DIMS} dimensions are supported"
    if not g.t(op.inputs[1]).is_const or g.t(op.inputs[1]).data is None:
        return "the permutation must be constant"
    perm = _perm(op, g)
    if sorted(perm) != list(range(len(inp.shape))):
        return f"permutation {perm} is not a permutation of {len(inp.shape)} dimensions"
    if tuple(out.shape) != tuple(inp.shape[i] for i in perm):
        return f"output shape {tuple(out.shape)} does not match the permuted input"
    return None


@register("TRANSPOSE", sources=["transpose.c", "transpose.h"], check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp = g.t(op.inputs[0])
    shape = [int(v) for v in inp.shape]
    perm = _perm(op, g)
    in_strides = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    lead = MAX_DIMS - len(shape)
    dims = [1] * lead + [shape[i] for i in perm]
    strides = [0] * lead + [in_strides[i] for i in perm]
    vec = lambda v: "{ " + ", ".join(map(str, v)) + " }"  # noqa: E731
    em.include("transpose.h")
    p = em.params("tq_transpose_params", {"dims": vec(dims), "strides": vec(strides)})
    em.call(f"tq_transpose_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
