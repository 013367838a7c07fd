"""CONCATENATION, int8 or int16, any axis: a byte copy.

TFLM's int8 and int16 kernels do not requantize: its Prepare requires every input to have exactly the
output's scale and zero point (older releases skipped the check and copied bytes regardless).
The converter arranges that, inserting int8 -> int8 QUANTIZE ops where ranges differ; a model
that breaks the rule is rejected here as TFLM rejects it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant

MAX_DIMS = 6   # TFLM's RuntimeShape::kMaxSmallSize
ELEM_BYTES = {"int8": 1, "int16": 2}


@dataclass(frozen=True, eq=False)
class ConcatData(Prepared):
    """The inputs in order, the output, and the copy plan: `outer` rounds, each copying
    `chunks[i]` bytes of input i."""

    inputs: tuple[int, ...]
    output: int
    outer: int
    chunks: np.ndarray   # int32, one per input


@register_op("CONCATENATION")
def prepare(op: Op, g: Graph) -> ConcatData:
    out = g.t(op.outputs[0])
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise Refusal("a fused activation on CONCATENATION is not supported (TFLM rejects it too)")
    if not 1 <= len(out.shape) <= MAX_DIMS:
        raise Refusal(f"{len(out.shape)}-D tensors are not supported (TFLM handles 1 to {MAX_DIMS} dimensions)")
    ins = [g.t(i) for i in op.inputs]
    for t in ins + [out]:
        if t.dtype not in ELEM_BYTES or t.dtype != out.dtype:
            raise Refusal(f"needs int8 or int16 tensors of one type, got {t.dtype} for '{t.name}' "
                          f"(output {out.dtype})")
    for t in ins:
        if out.is_quantized and (not t.is_quantized or t.per_channel or t.qscale != out.qscale
                                 or t.qzero != out.qzero):
            got = f"scale {t.qscale:.9g}, zero point {t.qzero}" if t.is_quantized else "no quantization"
            raise Refusal(f"input '{t.name}' has {got} but the output has scale {out.qscale:.9g}, zero point "
                          f"{out.qzero}; TFLM's {out.dtype} CONCATENATION does not requantize (re-convert the model "
                          "so the converter inserts QUANTIZE ops)")
    axis = int(op.options.get("axis", 0))
    axis = axis + len(out.shape) if axis < 0 else axis
    if not 0 <= axis < len(out.shape):
        raise Refusal(f"axis {op.options.get('axis')} is out of range for a {len(out.shape)}-D output")
    for t in ins:
        if len(t.shape) != len(out.shape) or any(
                a != b for d, (a, b) in enumerate(zip(t.shape, out.shape)) if d != axis):
            raise Refusal(f"input '{t.name}' {tuple(t.shape)} does not match output {tuple(out.shape)} off axis {axis}")
    if sum(int(t.shape[axis]) for t in ins) != int(out.shape[axis]):
        raise Refusal(f"the inputs' sizes along axis {axis} add up to {sum(int(t.shape[axis]) for t in ins)}, "
                      f"the output has {out.shape[axis]}")
    outer = int(np.prod(out.shape[:axis], dtype=np.int64)) if axis else 1
    size = ELEM_BYTES[out.dtype]
    chunks = np.array([size * int(np.prod(t.shape[axis:], dtype=np.int64)) for t in ins], np.int32)
    return ConcatData(op.index, op.opcode, tuple(op.inputs), op.outputs[0], outer, chunks)


@variant("CONCATENATION", "portable", ["concatenation.c", "concatenation.h"])
def lower(d: ConcatData, em: Emitter) -> None:
    em.include("concatenation.h")
    p = em.params("tq_concat_params", {"outer": d.outer, "num_inputs": len(d.inputs),
                                       "chunk": em.const(d.chunks, "chunk")})
    ins = ", ".join(f"(const int8_t *){em.tensor(i)}" for i in d.inputs)
    em.call(f"{{ const int8_t *const ins[{len(d.inputs)}] = {{ {ins} }}; "
            f"tq_concatenation({p}, ins, (int8_t *){em.tensor(d.output)}); }}")
