"""What AVERAGE_POOL_2D and MAX_POOL_2D share: geometry, checks, parameter struct."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range, need_int8
from tinyq.ops._conv_common import FUSED_ACTIVATIONS, INT16_MAX, geometry


def pool_check(op: Op, g: Graph) -> str | None:
    reason = need_int8(op, g, [0, -1])
    if reason:
        return reason
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if len(inp.shape) != 4:
        return "needs a 4-D NHWC input"
    if not (np.array_equal(inp.scale, out.scale) and np.array_equal(inp.zero_point, out.zero_point)):
        return "input and output quantization must match (TFLM requires it)"
    act = op.options.get("fused_activation_function", "NONE")
    if act not in FUSED_ACTIVATIONS:
        return f"fused activation {act} is not supported"
    k_h, k_w = int(op.options["filter_height"]), int(op.options["filter_width"])
    if min(k_h, k_w, int(op.options.get("stride_h", 1)), int(op.options.get("stride_w", 1))) < 1:
        return "filter and stride must be positive"
    if max(*inp.shape, *out.shape, k_h, k_w) > INT16_MAX:
        return f"dimensions above {INT16_MAX} are not supported"
    geo = geometry(op.options, inp.shape[1], inp.shape[2], k_h, k_w)
    if (geo["out_h"], geo["out_w"]) != tuple(out.shape[1:3]) or out.shape[3] != inp.shape[3]:
        return f"output shape {list(out.shape)} disagrees with the input, window and padding"
    if geo["pad_h"] >= k_h or geo["pad_w"] >= k_w:
        # a window entirely inside the padding would divide by zero; TFLM fails on it too
        return "a pooling window lies entirely in the padding"
    return None


def emit_pool(op: Op, g: Graph, em: Emitter, func: str) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    n, in_h, in_w, c = inp.shape
    k_h, k_w = int(op.options["filter_height"]), int(op.options["filter_width"])
    geo = geometry(op.options, in_h, in_w, k_h, k_w)
    act_min, act_max = fused_range(op, out)
    em.include("pooling.h")
    p = em.params("tq_pool_params", {
        "batches": n, "in_h": in_h, "in_w": in_w, "channels": c, "out_h": geo["out_h"], "out_w": geo["out_w"],
        "k_h": k_h, "k_w": k_w, "stride_h": geo["stride_h"], "stride_w": geo["stride_w"],
        "pad_h": geo["pad_h"], "pad_w": geo["pad_w"], "act_min": act_min, "act_max": act_max,
        "simd": int(em.kernels == "dsp" and k_h * k_w <= 255),
    })
    em.call(f"{func}({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")
