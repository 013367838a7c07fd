"""EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL with broadcasting and a bool output:
int8 rescaled as TFLM's *WithScaling comparisons, int32 and bool
compared raw; and the bool LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._elementwise import BinaryData, broadcast_init, lower_binary
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier_smaller_than_one_exp

KINDS = ["EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL"]
SUFFIX = {"int8": "s8", "int32": "s32", "bool": "u8"}
_MAX_RANK = 4


def _types(opcode: str) -> tuple[str, ...]:
    """The input types TFLM compares (its comparisons.cc)."""
    # (TFLM also orders int16; TensorFlow's converter never writes those, so they are not compiled)
    return ("int8", "int32", "bool") if opcode in ("EQUAL", "NOT_EQUAL") else ("int8", "int32")


@register_op(*KINDS)
def prepare(op: Op, g: Graph) -> BinaryData:
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    if a.dtype != b.dtype or a.dtype not in _types(op.opcode):
        raise Refusal(f"{op.opcode} of {a.dtype} and {b.dtype} is not supported "
                      f"(TFLM compares {', '.join(_types(op.opcode))})")
    if out.dtype != "bool":
        raise Refusal(f"the output must be bool, not {out.dtype}")
    if any(len(t.shape) > _MAX_RANK for t in (a, b, out)):
        raise Refusal(f"more than {_MAX_RANK} dimensions (TFLM broadcasts 4-D)")
    params: dict = {"shape": broadcast_init(op, g), "kind": KINDS.index(op.opcode)}
    if a.dtype == "int8":
        if not (a.is_quantized and b.is_quantized) or a.per_channel or b.per_channel:
            raise Refusal("int8 comparisons need per-tensor quantized inputs")
        for k, t in ((1, a), (2, b)):
            if not 0 < t.qscale < 1:
                raise Refusal(f"input scale {t.qscale} must lie in (0, 1) (QuantizeMultiplierSmallerThanOneExp)")
            m, s = quantize_multiplier_smaller_than_one_exp(t.qscale)
            params.update({f"in{k}_offset": -t.qzero, f"in{k}_mult": m, f"in{k}_shift": s})
    return BinaryData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], params, (), 0, a.dtype)


for _name in KINDS:
    @variant(_name, "portable", ["compare.c", "compare.h", "tq_broadcast.h"])
    def lower(d: BinaryData, em: Emitter) -> None:
        lower_binary(d, em, "compare.h", "tq_compare_params", f"tq_compare_{SUFFIX[d.dtype]}")


@register_op("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT")
def prepare_logical(op: Op, g: Graph) -> BinaryData:
    ts = [g.t(t) for t in op.inputs + op.outputs]
    if any(t.dtype != "bool" for t in ts):
        raise Refusal(f"{op.opcode} needs bool tensors, got {[t.dtype for t in ts]}")
    if any(len(t.shape) > _MAX_RANK for t in ts):
        raise Refusal(f"more than {_MAX_RANK} dimensions (TFLM broadcasts 4-D)")
    if op.opcode == "LOGICAL_NOT":
        params = {"shape": f"{{ .count = {g.t(op.outputs[0]).num_elements}, .broadcast = 0 }}"}
        return BinaryData(op.index, op.opcode, op.inputs[0], op.inputs[0], op.outputs[0], params, (op.inputs[0],),
                          0, "bool")
    params = {"shape": broadcast_init(op, g), "kind": int(op.opcode == "LOGICAL_OR")}
    return BinaryData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], params, (), 0, "bool")


for _name in ("LOGICAL_AND", "LOGICAL_OR"):
    @variant(_name, "portable", ["compare.c", "compare.h", "tq_broadcast.h"])
    def lower_logical(d: BinaryData, em: Emitter) -> None:
        lower_binary(d, em, "compare.h", "tq_compare_params", "tq_logical_u8")


@variant("LOGICAL_NOT", "portable", ["compare.c", "compare.h", "tq_broadcast.h"])
def lower_not(d: BinaryData, em: Emitter) -> None:
    em.include("compare.h")
    p = em.params("tq_compare_params", d.params)
    em.call(f"tq_logical_not_u8({p}, {em.tensor(d.a)}, {em.tensor(d.output)})")
