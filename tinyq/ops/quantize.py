"""QUANTIZE: float32 -> int8 (the model's float input), or int8 -> int8 requantization."""
from __future__ import annotations

from tinyq.backend.emitter import Emitter, _float_literal
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier


def _check(op: Op, g: Graph) -> str | None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if out.dtype != "int8" or not out.is_quantized or out.per_channel:
        return f"only quantization to int8 is supported, not {out.dtype}"
    if inp.dtype not in ("float32", "int8"):
        return f"input type {inp.dtype} is not supported"
    if inp.dtype == "int8" and (not inp.is_quantized or inp.per_channel):
        return "int8 -> int8 requantization needs a per-tensor quantized input"
    return None


def _inplace(op: Op, g: Graph) -> list[tuple[int, int]]:
    return [(0, 0)] if g.t(op.inputs[0]).dtype == "int8" else []


@register("QUANTIZE", sources=["quantize.c", "quantize.h"], check=_check, inplace=_inplace)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    em.include("quantize.h")
    if inp.dtype == "float32":
        # TFLM divides in float (val / static_cast<float>(scale)); measured: a double division
        # rounds differently on inputs next to (k + 1/2) * scale.
        em.call(f"tq_quantize_f32_s8({out.num_elements}, {_float_literal(out.qscale)}, {out.qzero}, "
                f"{em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
    else:
        mult, shift = quantize_multiplier(inp.qscale / out.qscale)
        em.call(f"tq_requantize_s8({out.num_elements}, {inp.qzero}, {mult}, {shift}, {out.qzero}, "
                f"{em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
