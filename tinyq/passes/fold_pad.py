"""Fold a spatial PAD into the convolution that reads it: the convolution pads instead.

Exact, not approximate: TFLM's integer convolutions skip a padding tap, which is the same as
reading the input's zero point there ((zp + input_offset) * w = 0), and a PAD without a value
writes its output zero point, equal to its input's; float convolutions skip taps too, and PAD
writes 0.0. So PAD(value = zero point) then CONV_2D / DEPTHWISE_CONV_2D is that convolution with
the PAD's rows and columns added to its own padding (`tq_explicit_pad`, read by
tinyq/ops/_window.py). The padded copy disappears (its RAM and its copy), and a run of window
ops continues through it (patch-based execution). Not folded into pools (an average counts only
real taps), nor where the padding exceeds the filter (a window all padding)."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph

CONSUMERS = {"CONV_2D", "DEPTHWISE_CONV_2D"}


def _spatial_pads(g: Graph, op) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of a PAD/PADV2 that pads only H and W with the zero point."""
    if len(op.inputs) < 2 or not g.t(op.inputs[1]).is_const:
        return None
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    pads = np.asarray(g.t(op.inputs[1]).data).reshape(-1, 2)
    if len(inp.shape) != 4 or pads.shape != (4, 2) or pads[0].any() or pads[3].any() or (pads < 0).any():
        return None
    if inp.dtype != out.dtype or inp.dtype not in ("int8", "int16", "float32"):
        return None
    if inp.is_quantized != out.is_quantized or (inp.is_quantized and not (
            np.array_equal(inp.scale, out.scale) and np.array_equal(inp.zero_point, out.zero_point))):
        return None
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = np.asarray(g.t(op.inputs[2]).data).ravel()
        zero = out.qzero if out.is_quantized else 0.0
        if value.size != 1 or value[0] != zero:
            return None
    return int(pads[1, 0]), int(pads[1, 1]), int(pads[2, 0]), int(pads[2, 1])


def fold_pads(g: Graph) -> int:
    """Fold every PAD whose only reader is a convolution's input; returns how many."""
    folded = 0
    changed = True
    while changed:
        changed = False
        consumers = g.consumers()
        for op in list(g.ops):
            if op.opcode not in ("PAD", "PADV2") or op.outputs[0] in g.outputs:
                continue
            pads = _spatial_pads(g, op)
            readers = consumers.get(op.outputs[0], [])
            if pads is None or len(readers) != 1:
                continue
            conv = g.ops[readers[0]]
            if (conv.opcode not in CONSUMERS or conv.inputs[0] != op.outputs[0] or op.outputs[0] in conv.inputs[1:]
                    or conv.options.get("padding", "VALID") != "VALID"):
                continue
            w = g.t(conv.inputs[1]).shape
            if len(w) != 4:
                continue
            ext_h = (int(w[1]) - 1) * int(conv.options.get("dilation_h_factor", 1) or 1) + 1
            ext_w = (int(w[2]) - 1) * int(conv.options.get("dilation_w_factor", 1) or 1) + 1
            old = conv.options.get("tq_explicit_pad", (0, 0, 0, 0))
            new = tuple(a + b for a, b in zip(old, pads))
            if max(new[0], new[1]) >= ext_h or max(new[2], new[3]) >= ext_w:
                continue
            conv.options["tq_explicit_pad"] = new
            conv.inputs = [op.inputs[0], *conv.inputs[1:]]
            g.ops.remove(op)
            folded += 1
            changed = True
            break
    g.renumber()
    return folded
