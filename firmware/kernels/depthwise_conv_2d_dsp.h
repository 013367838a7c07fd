#ifndef TQ_DEPTHWISE_CONV_2D_DSP_H
#define TQ_DEPTHWISE_CONV_2D_DSP_H

#include <stdint.h>

#include "tq_dsp.h"

/* A DEPTHWISE_CONV_2D with depth multiplier 1 for the DSP kernel. Weights are widened to int16 by
 * tinyq/ops/_dsp_layout.py: per block of 4 channels c..c+3, for each tap (ky, kx) in order, the
 * halfwords w[c], w[c+2], w[c+1], w[c+3] (channels past the last are zero). */
typedef struct {
    tq_window geo;              /* depth multiplier 1: in_c == out_c */
    int16_t rq_exact;           /* 1: TFLM's requantization arithmetic (tq_dsp.h); int16 to pack
                                 * behind the geometry */
    int8_t pk_base, pk_one;     /* depthwise_conv_2d_dsp8.c only (0 here): rq holds packed words */
    int8_t pairs;               /* 1: the weights in tap pairs (depthwise_conv_2d.py pair_weights),
                                 * set only where every pixel takes the tap-table asm (a filter
                                 * neither 3x3 nor 3 wide of at most 64 taps, channels a multiple
                                 * of 4, the fast requantization over all of int8) */
    int32_t input_offset;       /* -input zero point */
    int32_t output_offset;      /* output zero point */
    int32_t act_min, act_max;
    const tq_rq *rq;            /* per channel */
    const int32_t *bias_full;   /* bias + input_offset * sum of the channel's taps, padded to 4
                                 * (padding taps read the input zero point, adding nothing) */
    const int8_t *scale;        /* depthwise_conv_2d_dsp8.c only (0 here): per channel (padded to
                                 * 4), the power of 2 its int8 weights are widened with; 0 there:
                                 * 2^1 for every channel; with pk_base, 0 or the shifts (uint8) */
} tq_dw_dsp_params;

/* NHWC int8 depthwise convolution, bit-exact with TFLM's reference DepthwiseConvPerChannel.
 * Output pixels in raster order, all channels of a pixel after reading only its window. */
void tq_depthwise_conv_2d_dsp_s8(const tq_dw_dsp_params *restrict p, const int8_t *in, const int32_t *w, int8_t *out,
                                 void *scratch);

/* Scratch (sized by tinyq/ops/depthwise_conv_2d.py): the input zero point, channels + 4 times
 * (what padding taps read). */

#endif
