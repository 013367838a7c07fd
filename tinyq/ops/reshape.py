"""RESHAPE, SQUEEZE, EXPAND_DIMS: the same bytes under another shape, so no code and no memory."""
from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Op
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant


@dataclass(frozen=True, eq=False)
class ViewData(Prepared):
    input: int
    output: int


@register_op("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
def prepare(op: Op, g: Graph) -> ViewData:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.num_elements != out.num_elements or inp.dtype != out.dtype:
        raise Refusal(f"cannot view {inp.dtype}{list(inp.shape)} as {out.dtype}{list(out.shape)}")
    if inp.is_const:
        raise Refusal("reshape of a constant is not supported")
    return ViewData(op.index, op.opcode, op.inputs[0], op.outputs[0])


for _name in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
    @variant(_name, "portable")
    def lower(d: ViewData, em: Emitter) -> None:
        em.alias(d.output, d.input)
