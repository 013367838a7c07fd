#ifndef TQ_DEPTHWISE_CONV_2D_H
#define TQ_DEPTHWISE_CONV_2D_H

#include <stdint.h>

typedef struct {
    int16_t batches, in_h, in_w, in_c;
    int16_t out_h, out_w, out_c, depth_mult;
    int16_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t input_offset;       /* -input zero point */
    int32_t output_offset;
    int32_t act_min, act_max;
    const int32_t *mult;        /* per output channel */
    const int32_t *shift;
    const int32_t *bias;        /* used at the borders */
    const int32_t *bias_full;   /* bias + input_offset * sum of the channel's taps: interior */
} tq_dw_params;

/* NHWC int8 depthwise convolution, weights [1, k_h, k_w, out_c] with out_c = in_c * depth_mult.
 * Bit-exact with TFLM's reference DepthwiseConvPerChannel. Uses 128 B of stack (a chunk of
 * 32 channel accumulators), no scratch. The struct holds everything a faster kernel (e.g. a
 * Cortex-M DSP one) needs, so one can take its place behind the same call. */
void tq_depthwise_conv_2d_s8(const tq_dw_params *p, const int8_t *in, const int8_t *w, int8_t *out);

#endif
