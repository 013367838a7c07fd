#ifndef TQ_DEPTHWISE_MULT_DSP_H
#define TQ_DEPTHWISE_MULT_DSP_H

#include <stdint.h>

#include "tq_common.h"
#include "tq_dsp.h"
#include "tq_dw_run.h"

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
    int32_t pairs;              /* blocked kernel only, 1: w in tap pairs (per block, per pair (t, t + 1),
                                 * per output channel w[t] w[t + 1], then an odd last tap's 4), set
                                 * where the asm takes every pixel (multiplier 2 or 4k, the fast
                                 * requantization over all of int8) */
} tq_dw_mult_dsp_params;

/* w16: int16 [k_h * k_w][out_c]. Bit-exact with TFLM's DepthwiseConvPerChannel. Each output pixel
 * is written after reading only its window: the output may trail the input in the arena. */
void tq_depthwise_conv_2d_mult_dsp_s8(const tq_dw_mult_dsp_params *p, const int8_t *in, const int16_t *w16,
                                      int8_t *out);

/* Output channels a multiple of 4: each block of 4 output channels through a table of tap
 * offsets (tq_dw_run.h), in asm for multipliers 2 and 4k. w: int16 per block of 4 output
 * channels, per tap (k_h * k_w, row by row), the 4 channels' weights in order. Scratch (sized by
 * tinyq/ops/depthwise_conv_2d.py): in_c + 4 input zero points, then two tables of 32-bit tap
 * offsets. */
void tq_depthwise_conv_2d_mult_blocks_dsp_s8(const tq_dw_mult_dsp_params *p, const int8_t *in, const int16_t *w,
                                             int8_t *out, void *scratch);

#endif
