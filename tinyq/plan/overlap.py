"""How far a window op's output may overlap its dying input (the planner's `Buffer.overlap_of`).

The contract this relies on, true of tinyq's CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D and
MAX_POOL_2D kernels (firmware/kernels/conv_2d.c, depthwise_conv_2d.c, pooling.c, and the DSP ones
conv_2d_dsp.c, which gathers a pixel's whole window into scratch before writing any of its
outputs, and depthwise_conv_2d_dsp.c): output pixels
are produced in raster order (batch, y, x), all channels of a pixel written with `*out++` after
reading only the input pixels of that pixel's window. So once output pixel p is written, no input
pixel before the first pixel of the windows of pixels p+1, p+2, ... is read again. If the output
starts d bytes after the input (d < 0: before it), writing pixel p touches bytes up to
O + (p+1) * out_pixel_bytes, which must stay below I + first_read(p); the largest safe d is the
minimum over p of first_read(p) - (p+1) * out_pixel_bytes. For a 3x3 stride-1 SAME convolution
that is about one image row plus two pixels: the output trails its input by a row and needs only
that much more memory instead of a second full buffer.

A kernel that changes traversal order (tiling, im2col over several pixels, two pixels at a time)
must be removed from WINDOW_OPS; `tinyq verify --sanitize --layers` catches a violation.
"""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._conv_common import geometry

WINDOW_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")


def _kernel_hw(op: Op, g: Graph) -> tuple[int, int]:
    if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        w = g.t(op.inputs[1]).shape          # [out_c, kh, kw, in_c] or [1, kh, kw, out_c]
        return int(w[1]), int(w[2])
    return int(op.options.get("filter_height", 1)), int(op.options.get("filter_width", 1))


def window_delta(op: Op, g: Graph) -> int | None:
    """Largest d such that the output may start at offset(input) + d; None if not applicable."""
    if op.opcode not in WINDOW_OPS or not op.inputs or not op.outputs:
        return None
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if len(inp.shape) != 4 or len(out.shape) != 4 or inp.dtype != "int8" or out.dtype != "int8":
        return None
    n, in_h, in_w, in_c = (int(v) for v in inp.shape)
    _, out_h, out_w, out_c = (int(v) for v in out.shape)
    k_h, k_w = _kernel_hw(op, g)
    geo = geometry(op.options, in_h, in_w, k_h, k_w)
    if (geo["out_h"], geo["out_w"]) != (out_h, out_w):
        return None
    # first input pixel each output pixel reads (clipped to the image: conservative, it can only
    # be lower than the first byte really read)
    y0 = np.maximum(np.arange(out_h) * geo["stride_h"] - geo["pad_h"], 0)
    x0 = np.maximum(np.arange(out_w) * geo["stride_w"] - geo["pad_w"], 0)
    first = (y0[:, None] * in_w + x0[None, :]).reshape(-1)
    first = np.concatenate([first + b * in_h * in_w for b in range(n)]) * in_c
    # what is still to be read after pixel p is written: suffix minimum from p on
    still = np.minimum.accumulate(first[::-1])[::-1]
    written = (np.arange(len(first)) + 1) * out_c
    return int((still - written).min())
