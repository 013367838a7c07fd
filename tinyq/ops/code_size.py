"""Code bytes of each kernel source on a Cortex-M4 (text + data of its object file: GCC -O2
-mthumb -mcpu=cortex-m4, -ffunction-sections), for the flash policy's firmware estimate. The
firmware links with --gc-sections, so a file's unused functions drop out and this slightly
overestimates; measured with

    cd firmware/kernels && for f in *.c; do arm-none-eabi-gcc -O2 -mcpu=cortex-m4 -mthumb \
        -mfloat-abi=soft -ffunction-sections -I. -c $f -o /tmp/$f.o && arm-none-eabi-size /tmp/$f.o; done

depthwise_conv_2d_dsp.c and depthwise_mult_dsp.c: their figures lie between a build whose layers
all have their weights in tap pairs (TQ_DW_DSP_SINGLE / TQ_DW_MULT_SINGLE 0: the single-tap paths
out, ~3.8 KB for the first) and the whole file (~9.4 KB and 5.5 KB).
"""
from __future__ import annotations

KERNEL_CODE_BYTES: dict[str, int] = {
    "add.c": 2040, "add_dsp.c": 4676, "add_n.c": 464, "arg_min_max.c": 1052, "batch_matmul.c": 392, "cast.c": 1956,
    "compare.c": 2440, "concatenation.c": 84, "conv_2d.c": 2844, "conv_2d_dsp.c": 3568, "conv_2d_dsp8.c": 3412,
    "conv_2d_mve.c": 1812, "conv_2d_s16.c": 1032, "conv_f32.c": 6904, "cumsum.c": 552, "depthwise_conv_2d.c": 868,
    "depthwise_conv_2d_dsp.c": 6768, "depthwise_conv_2d_rows.c": 7484, "depthwise_conv_2d_mve.c": 1184,
    "depthwise_conv_2d_s16.c": 652,
    "depthwise_mult_dsp.c": 5168, "dequantize.c": 192, "div.c": 1088, "dynamic_update_slice.c": 424,
    "elementwise_f32.c": 2344, "fully_connected.c": 324, "fully_connected_dsp.c": 1616,
    "fully_connected_dsp8.c": 3400, "fully_connected_mve.c": 612, "fully_connected_s16.c": 472, "gather.c": 588,
    "hard_swish.c": 592, "hybrid_f32.c": 2156, "l2norm.c": 976, "leaky_relu.c": 836, "log_softmax.c": 3084,
    "logistic.c": 1216, "lut.c": 432, "maximum.c": 228, "mean.c": 864, "minimum.c": 228, "minmax_dsp.c": 1984,
    "mul.c": 1360, "mul_dsp.c": 5096, "pad.c": 468, "pad_f32.c": 368, "pool_f32.c": 1580, "pooling.c": 2500,
    "prelu.c": 1060, "quantize.c": 2684, "reduce.c": 1308, "relu.c": 612, "resize_bilinear.c": 348,
    "resize_nearest_neighbor.c": 124, "s16_dsp.c": 5476, "select.c": 204, "softmax.c": 3208,
    "squared_difference.c": 1016, "squared_difference_dsp.c": 2256, "strided_slice.c": 388, "sub.c": 1704,
    "svdf.c": 956, "tanh.c": 1200, "tq_copy.c": 248, "transpose.c": 164, "transpose_conv.c": 1936,
    "transpose_conv_dsp.c": 5052
}
# conv_2d_dsp8.c is given as its kernel switches (tinyq/ops/kernel_config.py) build it for the
# MLPerf models (2.3-3.5 KB; with every path 4.1 KB): what the flash policy's estimate should see.
# So is fully_connected_dsp8.c (both int8 FC kernels; AD's switches: 3.3 KB, every path 4.8 KB).
DEFAULT_KERNEL_CODE = 1_500     # a kernel file not measured above
