"""CONCATENATION, int8, any axis. TFLM copies int8 bytes without requantizing, so the inputs must
share the output's quantization (the converter arranges that)."""
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
    if out.dtype != "int8":
        return f"needs int8 tensors, got {out.dtype}"
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        return "fused activation on CONCATENATION is not supported"
    for i in op.inputs:
        t = g.t(i)
        if t.dtype != "int8" or (t.is_quantized and out.is_quantized and
                                 not (np.array_equal(t.scale, out.scale) and np.array_equal(t.zero_point, out.zero_point))):
            return "inputs must share the output's int8 quantization"
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
