"""Helpers shared by op modules: quantization constants in TFLM's exact arithmetic."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op, Tensor
from tinyq.ops.registry import Refusal
from tinyq.quant import activation_range, quantize_multiplier


def per_channel_multipliers(inp: Tensor, w: Tensor, out: Tensor, channels: int
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Output multiplier/shift per channel, as TFLM computes them for CONV_2D, DEPTHWISE_CONV_2D
    and FULLY_CONNECTED: double(input_scale) * double(filter_scale) / double(output_scale).
    (Evaluating the product in float instead gives different multipliers and, rarely, outputs
    off by one: measured on ad01_int8.)"""
    if w.scale is None or inp.scale is None or out.scale is None:
        raise Refusal("needs quantized input, weights and output")
    scales = w.scale if len(w.scale) > 1 else np.repeat(w.scale, channels)
    mult = np.zeros(channels, np.int32)
    shift = np.zeros(channels, np.int32)
    for c in range(channels):
        eff = inp.qscale * float(np.float32(scales[c])) / out.qscale
        mult[c], shift[c] = quantize_multiplier(eff)
    return mult, shift


def fused_range(op: Op, out: Tensor) -> tuple[int, int]:
    return activation_range(op.options.get("fused_activation_function", "NONE"), out.qscale, out.qzero)


def is_int8(*tensors: Tensor) -> bool:
    return all(t.dtype == "int8" for t in tensors)


def need_int8(op: Op, g: Graph, positions: list[int]) -> str | None:
    """Reason string if any of the given inputs/outputs is not a quantized int8 tensor."""
    for p in positions:
        t = g.t(op.outputs[-p - 1]) if p < 0 else g.t(op.inputs[p])
        if t.dtype != "int8" or not t.is_quantized:
            return f"needs quantized int8 tensors, got {t.dtype} for '{t.name}'"
    return None


DTYPE_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2**31, 2**31 - 1)}


def need_quantized(op: Op, g: Graph, positions: list[int], dtypes: tuple[str, ...] = ("int8", "int16"),
                   int16_zero: bool = True) -> tuple[str | None, str]:
    """(reason or None, dtype): the given inputs/outputs must all be quantized tensors of one dtype
    from `dtypes`. With `int16_zero`, int16 zero points must be 0 (TFLite quantizes int16
    activations symmetrically; ops whose TFLM kernel assumes it refuse the rest)."""
    ts = [g.t(op.outputs[-p - 1]) if p < 0 else g.t(op.inputs[p]) for p in positions]
    dtype = ts[0].dtype
    for t in ts:
        if t.dtype not in dtypes or not t.is_quantized:
            return f"needs quantized {' or '.join(dtypes)} tensors, got {t.dtype} for '{t.name}'", dtype
        if t.dtype != dtype:
            return f"needs tensors of one type, got {dtype} and {t.dtype} ('{t.name}')", dtype
    if dtype == "int16" and int16_zero:
        for t in ts:
            if t.qzero != 0:
                return f"int16 tensor '{t.name}' has zero point {t.qzero}; int16 needs zero point 0", dtype
    return None, dtype


def fused_range_of(op: Op, out: Tensor) -> tuple[int, int]:
    """fused_range for any quantized output type (int8 or int16 bounds)."""
    lo, hi = DTYPE_RANGE[out.dtype]
    return activation_range(op.options.get("fused_activation_function", "NONE"), out.qscale, out.qzero, lo, hi)
