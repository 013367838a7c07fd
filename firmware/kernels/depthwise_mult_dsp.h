#ifndef TQ_DEPTHWISE_MULT_DSP_H
#define TQ_DEPTHWISE_MULT_DSP_H

#include <stdint.h>

#include "tq_common.h"
#include "tq_dsp.h"

/* DEPTHWISE_CONV_2D with a depth multiplier > 1 (and more than one input channel): each input
 * value feeds depth_mult outputs. Weights are int16, scaled per channel by the fast
 * requantization's 2^(ls + 1) like the other DSP kernels' (tinyq/ops/_dsp_layout.py). */
typedef struct {
    tq_window geo;
    int16_t depth_mult;
    int32_t input_offset;       /* -input zero point */
    int32_t output_offset;
    int32_t act_min, act_max;
    const tq_rq *rq;            /* per output channel */
    int32_t rq_exact;
    const int32_t *bias;        /* scaled, borders: each valid tap adds its input offset */
    const int32_t *bias_full;   /* scaled, bias + input_offset * sum of the channel's taps: interior */
} tq_dw_mult_dsp_params;

/* w16: int16 [k_h * k_w][out_c]. Bit-exact with TFLM's DepthwiseConvPerChannel. Each output pixel
 * is written after reading only its window: the output may trail the input in the arena. */
void tq_depthwise_conv_2d_mult_dsp_s8(const tq_dw_mult_dsp_params *p, const int8_t *in, const int16_t *w16,
                                      int8_t *out);

#endif
