"""What the 2-D window ops (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D) share: their
geometry exactly as TFLite computes it (ComputePaddingHeightWidth), the checks TFLM's Prepare
makes, and how far their output may trail their dying input in the arena.

The overlap contract, true of every window kernel tinyq has (conv_2d.c, depthwise_conv_2d.c,
pooling.c and the DSP ones; conv_2d_dsp.c gathers a pixel's whole window into scratch before it
writes any of that pixel's outputs): output pixels are produced in raster order (batch, y, x),
all channels of a pixel written after reading only the input pixels of that pixel's window. So
once output pixel p is written, no input pixel before the first pixel of the windows of pixels
p+1, p+2, ... is read again. If the output starts d bytes after the input (d < 0: before it),
writing pixel p touches bytes up to O + (p+1) * out_pixel_bytes, which must stay below
I + first_read(p); the largest safe d is the minimum over p of first_read(p) - (p+1) *
out_pixel_bytes. For a 3x3 stride-1 SAME convolution that is about one image row plus two pixels.
A variant that changes traversal order (tiling, several pixels at a time) must not declare it;
`tinyq verify --sanitize --layers` catches a violation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op, Tensor
from tinyq.ops.constants import TQ_DIM_MAX
from tinyq.ops.registry import Refusal, Rows

FUSED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
INT16_MAX = TQ_DIM_MAX  # the kernels' parameter structs hold dimensions as int16_t


def out_size(padding: str, image: int, filt: int, stride: int, dilation: int = 1) -> int:
    eff = (filt - 1) * dilation + 1
    if padding == "SAME":
        return (image + stride - 1) // stride
    return (image + stride - eff) // stride


def pad_before(stride: int, dilation: int, in_size: int, filt: int, out: int) -> int:
    """Padding on the top/left edge: half the total, the odd pixel going to the bottom/right."""
    eff = (filt - 1) * dilation + 1
    total = max((out - 1) * stride + eff - in_size, 0)
    return total // 2


@dataclass(frozen=True)
class Window:
    """The geometry of one 2-D window op over an NHWC input."""

    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    stride_h: int
    stride_w: int
    dil_h: int
    dil_w: int
    pad_h: int
    pad_w: int

    def fields(self) -> dict[str, int]:
        """The fields of `tq_window`, in its order."""
        return {"batches": self.batches, "in_h": self.in_h, "in_w": self.in_w, "in_c": self.in_c,
                "out_h": self.out_h, "out_w": self.out_w, "out_c": self.out_c,
                "k_h": self.k_h, "k_w": self.k_w, "stride_h": self.stride_h, "stride_w": self.stride_w,
                "dil_h": self.dil_h, "dil_w": self.dil_w, "pad_h": self.pad_h, "pad_w": self.pad_w}

    def c_init(self) -> str:
        """The C initializer of the kernels' shared `tq_window` (firmware/kernels/tq_common.h)."""
        return "{ " + ", ".join(f".{k} = {v}" for k, v in self.fields().items()) + " }"

    def rows(self, windowed: int, output: int, same: tuple[int, ...] = ()) -> Rows | None:
        """The op's row dependence (one image only: batches run one after the other)."""
        if self.batches != 1:
            return None
        return Rows(windowed, output, self.in_h, self.out_h, self.stride_h, self.pad_h,
                    (self.k_h - 1) * self.dil_h + 1, same)

    def trailing_delta(self, elem_bytes: int = 1) -> int:
        """Largest d such that the output may start at offset(input) + d (module docstring)."""
        y0 = np.maximum(np.arange(self.out_h) * self.stride_h - self.pad_h, 0)
        x0 = np.maximum(np.arange(self.out_w) * self.stride_w - self.pad_w, 0)
        first = (y0[:, None] * self.in_w + x0[None, :]).reshape(-1)
        first = np.concatenate([first + b * self.in_h * self.in_w for b in range(self.batches)]) * self.in_c
        still = np.minimum.accumulate(first[::-1])[::-1]
        written = (np.arange(len(first)) + 1) * self.out_c
        return int((still - written).min()) * elem_bytes


def window(options: dict, inp: Tensor, out: Tensor, k_h: int, k_w: int) -> Window:
    """The geometry of a window op, refused where it does not match the output tensor."""
    if len(inp.shape) != 4 or len(out.shape) != 4:
        raise Refusal("needs 4-D NHWC input and output")
    sh, sw = int(options.get("stride_h", 1)), int(options.get("stride_w", 1))
    dh, dw = int(options.get("dilation_h_factor", 1) or 1), int(options.get("dilation_w_factor", 1) or 1)
    if min(sh, sw, dh, dw, k_h, k_w) < 1:
        raise Refusal("filter, stride and dilation must be positive")
    padding = options.get("padding", "VALID")
    n, in_h, in_w, in_c = (int(v) for v in inp.shape)
    # a PAD folded into this op (tinyq/passes/fold_pad.py): its rows and columns count as input
    # for the output size and as padding before the first row/column; the kernels pad them
    top, bottom, left, right = (int(v) for v in options.get("tq_explicit_pad", (0, 0, 0, 0)))
    ph, pw = in_h + top + bottom, in_w + left + right
    oh, ow = out_size(padding, ph, k_h, sh, dh), out_size(padding, pw, k_w, sw, dw)
    if (oh, ow) != tuple(out.shape[1:3]) or out.shape[0] != n:
        raise Refusal(f"output shape {list(out.shape)} disagrees with the input, window and padding")
    if max(*inp.shape, *out.shape, k_h, k_w, sh, sw, dh, dw, ph, pw) > INT16_MAX:
        raise Refusal(f"a dimension exceeds {INT16_MAX}")
    return Window(n, in_h, in_w, in_c, oh, ow, int(out.shape[3]), k_h, k_w, sh, sw, dh, dw,
                  pad_before(sh, dh, ph, k_h, oh) + top, pad_before(sw, dw, pw, k_w, ow) + left)


def need_activation(op: Op) -> str:
    act = op.options.get("fused_activation_function", "NONE")
    if act not in FUSED_ACTIVATIONS:
        raise Refusal(f"fused activation {act} is not supported")
    return act


def conv_weights_check(op: Op, g: Graph, channel_axis: int, oc: int) -> None:
    """TFLM's Prepare checks on CONV_2D / DEPTHWISE_CONV_2D weights and bias. channel_axis is the
    weights' output-channel (quantized) dimension: 0 for conv, 3 for depthwise."""
    w = g.t(op.inputs[1])
    if w.shape[channel_axis] != oc:
        raise Refusal(f"weights have {w.shape[channel_axis]} output channels, the output {oc}")
    if len(w.scale) not in (1, oc) or (len(w.scale) > 1 and w.quantized_dimension != channel_axis):
        raise Refusal(f"per-channel weights must have {oc} scales along dimension {channel_axis}")
    if np.any(w.zero_point != 0):
        raise Refusal("weights must be symmetric (zero point 0)")
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = g.t(op.inputs[2])
        if b.dtype != "int32" or not b.is_const or b.num_elements != oc:
            raise Refusal(f"bias must be a constant int32 vector of {oc} values, got {b.dtype} {b.shape}")
    need_activation(op)
