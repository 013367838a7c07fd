"""DEQUANTIZE: int8 -> float32 (the model's float output)."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register


def _check(op: Op, g: Graph) -> str | None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype != "int8" or out.dtype != "float32" or not inp.is_quantized or inp.per_channel:
        return f"only per-tensor int8 -> float32 is supported ({inp.dtype} -> {out.dtype})"
    return None


@register("DEQUANTIZE", sources=["dequantize.c", "dequantize.h"], check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    em.include("dequantize.h")
    em.call(f"tq_dequantize_s8_f32({out.num_elements}, {float(inp.qscale).hex()}, {inp.qzero}, "
            f"{em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
