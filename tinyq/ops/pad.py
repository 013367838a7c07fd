"""PAD and PADV2 (int8 or int16): constant padding with the output zero point (PAD) or the given,
already quantized, value (PADV2), as TFLM's pad.cc. Up to 5 dimensions."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant

MAX_DIMS = 5   # TFLM's PadKernelMaxDimensionCount
ELEM_BYTES = {"int8": 1, "int16": 2}


def _has_value(op: Op) -> bool:
    return len(op.inputs) > 2 and op.inputs[2] >= 0


def _vec(v: tuple[int, ...] | list[int]) -> str:
    return "{ " + ", ".join(str(int(x)) for x in v) + " }"


def _check(op: Op, g: Graph) -> np.ndarray:
    """Refuses what TFLM's pad.cc refuses; returns the (before, after) pairs."""
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype not in ELEM_BYTES or out.dtype != inp.dtype:
        raise Refusal(f"needs int8 or int16 tensors, got {inp.dtype} -> {out.dtype}")
    if len(inp.shape) > MAX_DIMS:
        raise Refusal(f"{len(inp.shape)}-D input; at most {MAX_DIMS} dimensions are supported (as TFLM)")
    pt = g.t(op.inputs[1])
    if not pt.is_const or pt.data is None:
        raise Refusal("paddings must be constant")
    pads = np.asarray(pt.data).reshape(-1, 2)
    if len(pads) != len(inp.shape) or (pads < 0).any():
        raise Refusal(f"paddings {pads.tolist()} must be one non-negative (before, after) pair per dimension")
    want = tuple(int(s + a + b) for s, (a, b) in zip(inp.shape, pads))
    if want != tuple(out.shape):
        raise Refusal(f"output shape {tuple(out.shape)} is not the padded input shape {want}")
    if _has_value(op):
        v = g.t(op.inputs[2])
        if not v.is_const or v.data is None or v.dtype != inp.dtype:
            raise Refusal(f"the padding value must be a constant {inp.dtype} tensor, got {v.dtype} "
                          "(TFLM's Prepare rejects differing input and constant_values types too)")
        # TFLM requires the value in the output's quantization.
        if out.is_quantized and v.is_quantized and (v.qscale != out.qscale or v.qzero != out.qzero):
            raise Refusal("the padding value must be quantized like the output (TFLM requires it)")
    return pads


@register_op("PAD", "PADV2")
def prepare(op: Op, g: Graph) -> UnaryData:
    pads = _check(op, g)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    lead = MAX_DIMS - len(inp.shape)
    before = [0] * lead + [int(x) for x in pads[:, 0]]
    if _has_value(op):
        value = int(np.asarray(g.t(op.inputs[2]).data).ravel()[0])   # PADV2's constant, already quantized
    elif inp.dtype == "int16":
        if out.is_quantized and out.qzero != 0:
            # TFLM's pad.cc pads int16 with 0, not the zero point: refuse where the two differ
            raise Refusal(f"int16 output zero point {out.qzero}; int16 PAD needs zero point 0")
        value = 0
    else:
        value = out.qzero if out.is_quantized else 0                  # TFLM pads int8 with the zero point
    return unary_data(op, {
        "in_dims": _vec((1,) * lead + tuple(inp.shape)), "out_dims": _vec((1,) * lead + tuple(out.shape)),
        "before": _vec(before), "elem_bytes": ELEM_BYTES[inp.dtype], "pad_value": value,
    }, in_place=False, dtype=inp.dtype)


for _name in ("PAD", "PADV2"):
    @variant(_name, "portable", ["pad.c", "pad.h"])
    def lower(d: UnaryData, em: Emitter) -> None:
        lower_unary(d, em, "pad.h", "tq_pad_params", "tq_pad")
