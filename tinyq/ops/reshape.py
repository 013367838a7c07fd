"""RESHAPE, SQUEEZE, EXPAND_DIMS: the same bytes under another shape, so no code and no memory."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register


def _check(op: Op, g: Graph) -> str | None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.num_elements != out.num_elements or inp.dtype != out.dtype:
        return f"cannot view {inp.dtype}{list(inp.shape)} as {out.dtype}{list(out.shape)}"
    if inp.is_const:
        return "reshape of a constant is not supported"
    return None


def _emit(op: Op, g: Graph, em: Emitter) -> None:
    em.alias(op.outputs[0], op.inputs[0])


for _name in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
    register(_name, check=_check)(_emit)
