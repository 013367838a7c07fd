/* Dynamic-range ("hybrid") CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, as TFLite's hybrid
 * kernels compute them: float32 activations, int8 weights in flash (symmetric, per-channel
 * scales `wscale`), float32 bias. Each layer quantizes its input on the fly, per batch: to int8
 * with TFLite's AsymmetricQuantizeFloats (scale and nudged zero point from the batch's min/max,
 * both widened to include 0) when `asymmetric`, else SymmetricQuantizeFloats (max |x| / 127,
 * zero point 0); int32 multiply-accumulate of (x_q - zero point) * w over the taps inside the
 * input; out = acc * (input scale * wscale[c]) + bias[c], clamped to [act_min, act_max].
 * Scratch: the quantized batch (FULLY_CONNECTED: in_depth bytes; convolutions: in_h * in_w *
 * in_c). Formats as conv_f32.h; input, output and scratch must not overlap. */
#ifndef TQ_HYBRID_F32_H
#define TQ_HYBRID_F32_H

#include <stdint.h>

#include "tq_common.h"

typedef struct {
    tq_window geo;
    int32_t depth_multiplier;   /* depthwise only */
    int32_t asymmetric;
    float act_min, act_max;
    const float *bias;
    const float *wscale;
} tq_conv_hybrid_params;

typedef struct {
    int32_t batches, in_depth, out_depth;
    int32_t asymmetric;
    float act_min, act_max;
    const float *bias;
    const float *wscale;
    const int32_t *row_sum;     /* sum of each output channel's weights (the zero point's term) */
} tq_fc_hybrid_params;

/* TFLite's input quantization of `n` floats into q; returns the scale, *zero_point its offset. */
float tq_quantize_input(const float *x, int32_t n, int asymmetric, int8_t *q, int32_t *zero_point);

void tq_conv_2d_hybrid(const tq_conv_hybrid_params *p, const float *in, const int8_t *w, float *out, int8_t *scratch);
void tq_depthwise_conv_2d_hybrid(const tq_conv_hybrid_params *p, const float *in, const int8_t *w, float *out,
                                 int8_t *scratch);
void tq_fully_connected_hybrid(const tq_fc_hybrid_params *p, const float *in, const int8_t *w, float *out,
                               int8_t *scratch);

#endif /* TQ_HYBRID_F32_H */
