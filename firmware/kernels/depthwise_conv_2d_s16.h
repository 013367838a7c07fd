#ifndef TQ_DEPTHWISE_CONV_2D_S16_H
#define TQ_DEPTHWISE_CONV_2D_S16_H

#include <stdint.h>

#include "tq_common.h"

/* One 16x8 DEPTHWISE_CONV_2D (int16 activations, int8 weights, int64 bias). Zero points are 0
 * (TFLM requires it), so padding taps contribute nothing. */
typedef struct {
    tq_window geo;
    int16_t depth_mult;         /* out_c / in_c */
    int32_t act_min, act_max;   /* within [-32768, 32767] */
    const int32_t *mult;        /* per output channel, Q31 */
    const int32_t *shift;       /* per output channel, in [-31, 7] */
    const int64_t *bias;        /* per output channel (zeros where the model has none) */
} tq_dw_s16_params;

/* NHWC int16 depthwise convolution, weights [1, k_h, k_w, out_c] int8 with out_c = in_c *
 * depth_mult: TFLM's reference DepthwiseConvPerChannel for int16 (int64 accumulator,
 * tq_requantize_s64, clamp). Each output pixel is written after reading only its window, so the
 * output may trail the input in the arena. */
void tq_depthwise_conv_2d_s16(const tq_dw_s16_params *p, const int16_t *in, const int8_t *w, int16_t *out);

#endif
