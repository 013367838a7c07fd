"""PAD and PADV2 (int8): constant padding with the output zero point or the given value."""
from __future__ import annotations

import numpy as np

from tinyq.backend.emitter import Emitter
from tinyq.ir import Graph, Op
from tinyq.ops.registry import register


def _check(op: Op, g: Graph) -> str | None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if inp.dtype != "int8" or out.dtype != "int8":
        return f"needs int8 tensors, got {inp.dtype}"
    if len(inp.shape) > 4:
        return "more than 4 dimensions"
    if not g.t(op.inputs[1]).is_const:
        return "paddings must be constant"
    if len(op.inputs) > 2 and op.inputs[2] >= 0 and not g.t(op.inputs[2]).is_const:
        return "the padding value must be constant"
    return None


def _emit(op: Op, g: Graph, em: Emitter) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    pads = np.asarray(g.t(op.inputs[1]).data).reshape(-1, 2)
    lead = 4 - len(inp.shape)
    before = [0] * lead + [int(x) for x in pads[:, 0]]
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = int(np.asarray(g.t(op.inputs[2]).data).ravel()[0])   # PADV2's constant, already quantized
    else:
        value = out.qzero if out.is_quantized else 0                  # TFLM pads int8 with the zero point
    em.include("pad.h")
    vec = lambda v: "{ " + ", ".join(str(int(x)) for x in v) + " }"  # noqa: E731
    p = em.params("tq_pad_params", {
        "in_dims": vec((1,) * lead + tuple(inp.shape)), "out_dims": vec((1,) * lead + tuple(out.shape)),
        "before": vec(before), "elem_bytes": 1, "pad_value": value,
    })
    em.call(f"tq_pad({p}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])})")


for _name in ("PAD", "PADV2"):
    register(_name, sources=["pad.c", "pad.h"], check=_check)(_emit)
