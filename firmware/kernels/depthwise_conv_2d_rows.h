#ifndef TQ_DEPTHWISE_CONV_2D_ROWS_H
#define TQ_DEPTHWISE_CONV_2D_ROWS_H

#include <stdint.h>

#include "tq_dsp.h"

/* DEPTHWISE_CONV_2D on the DSP extension, any depth multiplier (one input channel included), any
 * filter size, stride 1 or 2 along the rows' width, dilation 1 (tinyq/ops/depthwise_conv_2d.py,
 * variant "dsp_rows").
 *
 * Each input row is widened once into a ring of int16 rows, one plane per input channel
 * (channel-planar), its padding columns holding the input zero point: a word of a plane is two
 * horizontally adjacent taps of one channel, which SMLAD multiplies by a pair of the filter's
 * weights. Every output channel then walks its input channel's plane two output pixels at a time,
 * with no border cases (padding rows read a row of zero points).
 *
 * A filter one tap wide over an image one pixel wide (a 9x1 convolution along H of [N, H, 1, C])
 * runs transposed: the same bytes as [N, 1, H, C] under a 1x9 filter.
 *
 * w: per output channel, per filter row (after that transposition), ceil(k_w / 2) words: weight
 * pairs (w[2j], w[2j+1]) as int16 halfwords, low first, a last odd weight paired with 0; scaled,
 * with bias, by the fast requantization's factor (tinyq/ops/_dsp_layout.py). A 3x3 filter instead
 * has 10 words per output channel, everything its asm loads (rq and bias_full are then 0): bias,
 * bias, the tq_rq row, the pairs (w00, w01) (w10, w11) (w20, w21), then (w02, w12) and (w22, 0)
 * (ring_blocks3x3 in tinyq/ops/depthwise_conv_2d.py). */
typedef struct {
    tq_window geo;
    int16_t depth_mult;         /* out_c / in_c */
    int16_t group;              /* input channels per pass over the image (0: all): the ring holds
                                 * only theirs (multiplier 1 only: a channel's outputs then overwrite
                                 * only its own inputs, so the layer keeps its arena overlap) */
    int32_t input_zp;           /* what padding taps read (raw input value) */
    int32_t output_offset;      /* output zero point (rq_exact only) */
    int32_t act_min, act_max;
    int32_t rq_exact;           /* 1: TFLM's requantization arithmetic (tq_dsp.h) */
    const tq_rq *rq;            /* per output channel (not 3x3) */
    const int32_t *bias_full;   /* per output channel (not 3x3): bias + input_offset * sum of its
                                 * taps, scaled */
} tq_dw_rows_params;

/* NHWC int8 depthwise convolution, bit-exact with TFLM's DepthwiseConvPerChannel. Output rows are
 * written in order, each after the input rows its windows read were copied into the ring (so the
 * output may trail the input in the arena as for any window kernel). Scratch (rows_scratch in
 * tinyq/ops/depthwise_conv_2d.py): k_h ring rows of `group` (or in_c) planes, then one row of
 * zero points, each plane tq_dw_rows_width() halfwords. With groups, each group of channels runs
 * over the whole image in turn (its output rows in order, as above, for its channels). */
void tq_depthwise_conv_2d_rows_s8(const tq_dw_rows_params *restrict p, const int8_t *in, const int32_t *w,
                                  int8_t *out, void *scratch);

/* Halfwords of a plane row: every tap the output pairs read (the last pair of an odd row reads
 * one past its window), rounded to whole words. */
static inline int32_t tq_dw_rows_width(int32_t out_w, int32_t stride_w, int32_t k_w)
{
    const int32_t n2 = (out_w + 1) & ~1;
    return (stride_w * (n2 - 1) + k_w + 2 + 1) & ~1;
}

#endif
