#ifndef TQ_CONV_2D_S16_H
#define TQ_CONV_2D_S16_H

#include <stdint.h>

#include "tq_common.h"
#include "tq_s16.h"

/* Geometry and quantization of one 16x8 CONV_2D (int16 activations, int8 weights, int64 bias),
 * fixed at generation time. Input and output zero points are 0 (TFLM requires it), so there is
 * no offset: padding taps contribute nothing. */
typedef struct {
    tq_window geo;
    int32_t act_min, act_max;   /* within [-32768, 32767] */
    const int32_t *mult;        /* per output channel, Q31, >= 0 */
    const int32_t *shift;       /* per output channel, in [-31, 7] */
    const int64_t *bias;        /* per output channel (zeros where the model has none) */
} tq_conv_s16_params;

/* NHWC int16 convolution, weights OHWI int8. Bit-exact with TFLM's reference ConvPerChannel for
 * int16 input with int64 bias: acc = sum(w * in) + bias[c] in int64 (partial sums of at most 256
 * products in int32, exact since |w * in| <= 2^22), tq_requantize_s64, clamp. Output pixels in
 * raster order, each pixel's channels written after reading only that pixel's window, so the
 * output may trail the input in the arena (tinyq/ops/_window.py). */
void tq_conv_2d_s16(const tq_conv_s16_params *p, const int16_t *in, const int8_t *w, int16_t *out);

#endif
