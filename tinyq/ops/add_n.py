"""ADD_N, int8: the sum of two or more inputs of one shape and one quantization, as TFLM's
reference AddN (inputs shifted left by 20 and rescaled, the sum requantized)."""
from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Overlap, Prepared, Refusal, register_op, variant
from tinyq.quant import quantize_multiplier_smaller_than_one_exp

LEFT_SHIFT = 20   # TFLM's kAddNIntegerShift


@dataclass(frozen=True, eq=False)
class AddNData(Prepared):
    inputs: tuple[int, ...]
    output: int
    params: dict

    def overlaps(self) -> list[Overlap]:
        return [Overlap(t, self.output) for t in self.inputs]


@register_op("ADD_N")
def prepare(op: Op, g: Graph) -> AddNData:
    if len(op.inputs) < 2:
        raise Refusal("ADD_N needs at least two inputs")
    reason = need_int8(op, g, list(range(len(op.inputs))) + [-1])
    if reason:
        raise Refusal(reason)
    first, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    for t in (g.t(i) for i in op.inputs[1:]):
        if t.shape != first.shape or (t.qscale, t.qzero) != (first.qscale, first.qzero):
            raise Refusal("all inputs must have one shape and one quantization (TFLM requires it)")
    if out.shape != first.shape:
        raise Refusal("the output must have the inputs' shape")
    twice = 2.0 * first.qscale
    im, ish = quantize_multiplier_smaller_than_one_exp(first.qscale / twice)
    om, osh = quantize_multiplier_smaller_than_one_exp(twice / ((1 << LEFT_SHIFT) * out.qscale))
    return AddNData(op.index, op.opcode, tuple(op.inputs), op.outputs[0], {
        "count": out.num_elements, "inputs": len(op.inputs), "input_offset": -first.qzero,
        "input_mult": im, "input_shift": ish, "output_mult": om, "output_shift": osh,
        "output_offset": out.qzero, "act_min": -128, "act_max": 127,
    })


@variant("ADD_N", "portable", ["add_n.c", "add_n.h"])
def lower(d: AddNData, em: Emitter) -> None:
    em.include("add_n.h")
    p = em.params("tq_add_n_params", d.params)
    ins = ", ".join(em.tensor(t) for t in d.inputs)
    em.call(f"{{ const int8_t *const ins[{len(d.inputs)}] = {{ {ins} }}; tq_add_n_s8({p}, ins, {em.tensor(d.output)}); }}")
