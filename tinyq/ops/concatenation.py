"""CONCATENATION, int8, any axis: a byte copy.

TFLM's int8 kernel does not requantize: its Prepare requires every input to have exactly the
output's scale and zero point (older releases skipped the check and copied bytes regardless).
The converter arranges that, inserting int8 -> int8 QUANTIZE ops where ranges differ; a model
that breaks the rule is rejected here as TFLM rejects it."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register


MAX_DIMS = 6   # TFLM's RuntimeShape::kMaxSmallSize


def _axis(op: Op, g: Graph) -> int:
    axis = int(op.options.get("axis", 0))
    return axis + len(g.t(op.outputs[0]).shape) if axis < 0 else axis


def _check(op: Op, g: Graph) -> str | None:
    out = g.t(op.outputs[0])
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        return "a fused activation on CONCATENATION is not supported (TFLM rejects it too)"
    if not 1 <= len(out.shape) <= MAX_DIMS:
        return f"{len(out.shape)}-D tensors are not supported (TFLM handles 1 to {MAX_DIMS} dimensions)"
    for t in [g.t(i) for i in op.inputs] + [out]:
        if t.dtype != "int8":
            return f"needs int8 tensors, got {t.dtype} for '{t.name}'"
    for t in (g.t(i) for i in op.inputs):
        if out.is_quantized and (not t.is_quantized or t.per_channel or t.qscale != out.qscale
                                 or t.qzero != out.qzero):
            got = f"scale {t.qscale:.9g}, zero point {t.qzero}" if t.is_quantized else "no quantization"
            return (f"input '{t.name}' has {got} but the output has scale {out.qscale:.9g}, zero point "
                    f"{out.qzero}; TFLM's int8 CONCATENATION does not requantize (re-convert the model "
                    "so the converter inserts QUANTIZE ops)")
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
