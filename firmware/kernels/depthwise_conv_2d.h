#ifndef TQ_DEPTHWISE_CONV_2D_H
#define TQ_DEPTHWISE_CONV_2D_H

#include <stdint.h>

#include "tq_common.h"

typedef struct {
    tq_window geo;
    int16_t depth_mult;         /* out_c / in_c */
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
