"""CONCATENATION, int8, any axis.

TFLM's micro kernel (EvalUnquantized<int8_t>) stores the input scales and zero points but never
uses them: it copies the int8 bytes as they are. The converter normally gives every input the
output's quantization (inserting requantizing QUANTIZE ops where needed); when a model does not,
we copy bytes too, so the result stays bit-exact with TFLM."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register


def _axis(op: Op, g: Graph) -> int:
    axis = int(op.options.get("axis", 0))
    return axis + len(g.t(op.outputs[0]).shape) if axis < 0 else axis


def _check(op: Op, g: Graph) -> str | None:
    out = g.t(op.outputs[0])
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        return "a fused activation on CONCATENATION is not supported (TFLM rejects it too)"
    if not 1 <= len(out.shape) <= 4:
        return f"{len(out.shape)}-D tensors are not supported (TFLM handles 1 to 4 dimensions)"
    for t in [g.t(i) for i in op.inputs] + [out]:
        if t.dtype != "int8":
            return f"needs int8 tensors, got {t.dtype} for '{t.name}'"
    axis = _axis(op, g)
    if not 0 <= axis < len(out.shape):
        return f"axis {op.options.get('axis')} is out of range for a {len(out.shape)}-D output"
    for t in (g.t(i) for i in op.inputs):
        if len(t.shape) != len(out.shape) or any(
                a != b for d, (a, b) in enumerate(zip(t.shape, out.shape)) if d != axis):
            return f"input '{t.name}' {tuple(t.shape)} does not match output {tuple(out.shape)} off axis {axis}"
    return None


@register("CONCATENATION", sources=["concatenation.c", "concatenation.h"], check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    out = g.t(op.outputs[0])
    axis = _axis(op, g)
    outer = int(np.prod(out.shape[:axis], dtype=np.int64)) if axis else 1
    chunks = np.array([int(np.prod(g.t(i).shape[axis:], dtype=np.int64)) for i in op.inputs], np.int32)
    em.include("concatenation.h")
    p = em.params("tq_concat_params", {"outer": outer, "num_inputs": len(op.inputs),
                                       "chunk": em.const(chunks, "chunk")})
    ins = ", ".join(f"(const int8_t *){em.tensor(i)}" for i in op.inputs)
    em.call(f"{{ const int8_t *const ins[{len(op.inputs)}] = {{ {ins} }}; "
            f"tq_concatenation({p}, ins, {em.tensor(op.outputs[0])}); }}")
