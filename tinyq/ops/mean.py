"""MEAN, int8, over one contiguous run of axes (Keras' global average pooling and friends)."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8
from tinyq.ops.registry import register
from tinyq.quant import quantize_multiplier


def _axes(op: Op, g: Graph) -> list[int]:
    rank = len(g.t(op.inputs[0]).shape)
    return sorted({int(a) % rank for a in np.asarray(g.t(op.inputs[1]).data).ravel()})


def _check(op: Op, g: Graph) -> str | None:
    reason = need_int8(op, g, [0, -1])
    if reason:
        return reason
    if not g.t(op.inputs[1]).is_const:
        return "axes must be constant"
    axes = _axes(op, g)
    if axes != list(range(axes[0], axes[-1] + 1)):
        return f"reducing non-adjacent axes {axes} is not supported"
    return None


def mean_multiplier(in_scale: float, out_scale: float, n: int) -> tuple[int, int]:
    """TFLM's QuantizedMeanOrSum folds 1/n into the in/out rescale with integer arithmetic."""
    mult, shift = quantize_multiplier(in_scale / out_scale)
    s = min(n.bit_length() - 1, 32, 31 + shift)
    mult = int((mult << s) // n) if mult >= 0 else -int((-mult << s) // n)  # C truncates toward 0
    return mult, shift - s


@register("MEAN", sources=["mean.c", "mean.h"], check=_check)
def emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    axes = _axes(op, g)
    shape = inp.shape
    outer = int(np.prod(shape[:axes[0]], dtype=np.int64))
    reduce = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    inner = int(np.prod(shape[axes[-1] + 1:], dtype=np.int64))
    mult, shift = mean_multiplier(inp.qscale, out.qscale, reduce)
    em.include("mean.h")
    p = em.params("tq_mean_params", {
        "outer": outer, "reduce": reduce, "inner": inner,
        "input_zero_point": inp.qzero, "output_zero_point": out.qzero, "mult": mult, "shift": shift,
    })
    em.call(f"tq_mean_s8({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
