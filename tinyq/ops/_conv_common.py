"""Geometry shared by convolutions and pools: output size and padding exactly as TFLite computes
them (ComputePaddingHeightWidth)."""
from __future__ import annotations


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


def geometry(op_options: dict, in_h: int, in_w: int, k_h: int, k_w: int) -> dict[str, int]:
    """Strides, dilations, output size and padding of a 2-D window op."""
    sh, sw = int(op_options.get("stride_h", 1)), int(op_options.get("stride_w", 1))
    dh, dw = int(op_options.get("dilation_h_factor", 1) or 1), int(op_options.get("dilation_w_factor", 1) or 1)
    padding = op_options.get("padding", "VALID")
    oh, ow = out_size(padding, in_h, k_h, sh, dh), out_size(padding, in_w, k_w, sw, dw)
    return {"stride_h": sh, "stride_w": sw, "dil_h": dh, "dil_w": dw, "out_h": oh, "out_w": ow,
            "pad_h": pad_before(sh, dh, in_h, k_h, oh), "pad_w": pad_before(sw, dw, in_w, k_w, ow)}
