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


FUSED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
INT16_MAX = 32767  # the kernels' parameter structs hold dimensions as int16_t


def conv_check(op, g, channel_axis: int) -> str | None:
    """Why this int8 CONV_2D / DEPTHWISE_CONV_2D cannot be compiled (None if it can): the checks
    beyond dtypes that TFLM's Prepare makes, plus what the parameter structs can hold.
    channel_axis is the weights' output-channel (quantized) dimension: 0 for conv, 3 depthwise."""
    import numpy as np

    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    oc = out.shape[3]
    if w.shape[channel_axis] != oc:
        return f"weights have {w.shape[channel_axis]} output channels, the output {oc}"
    if len(w.scale) not in (1, oc) or (len(w.scale) > 1 and w.quantized_dimension != channel_axis):
        return f"per-channel weights must have {oc} scales along dimension {channel_axis}"
    if np.any(w.zero_point != 0):
        return "weights must be symmetric (zero point 0)"
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = g.t(op.inputs[2])
        if b.dtype != "int32" or not b.is_const or b.num_elements != oc:
            return f"bias must be a constant int32 vector of {oc} values, got {b.dtype} {b.shape}"
    act = op.options.get("fused_activation_function", "NONE")
    if act not in FUSED_ACTIVATIONS:
        return f"fused activation {act} is not supported"
    if any(d > INT16_MAX for d in (*inp.shape, *w.shape, *out.shape)):
        return "a dimension exceeds 32767"
    geo = geometry(op.options, inp.shape[1], inp.shape[2], w.shape[1], w.shape[2])
    if (geo["out_h"], geo["out_w"]) != tuple(out.shape[1:3]) or out.shape[0] != inp.shape[0]:
        return f"output shape {out.shape} disagrees with the input, filter and padding"
    return None
