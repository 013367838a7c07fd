#ifndef TQ_TRANSPOSE_CONV_DSP_H
#define TQ_TRANSPOSE_CONV_DSP_H

#include <stdint.h>

#include "tq_dsp.h"

/* An int8 TRANSPOSE_CONV for the DSP kernel: geometry as tq_transpose_conv_params, weights widened
 * to int16 and laid out by tinyq/ops/transpose_conv.py (dsp_weights): per filter tap, the
 * [out_c, in_c] matrix as tq_mm_dsp.h's blocks of 4 output channels and groups of 4 input
 * channels (zero weights pad both), 8 * groups * ceil(out_c / 4) words a tap. */
typedef struct {
    tq_window geo;
    int32_t groups;             /* groups of 4 input channels: ceil(in_c / 4) */
    int32_t direct;             /* 1: k == stride, no padding, out == in * stride: every output pixel
                                 * comes from exactly one (input pixel, tap), so it is requantized
                                 * at once and needs no accumulator */
    int32_t input_offset;       /* -input zero point: added to the widened inputs (not direct) */
    int32_t output_offset;      /* output zero point */
    int32_t act_min, act_max;
    const tq_rq *rq;            /* per output channel (tq_dsp.h); direct, k_w times over (the
                                 * channels of a filter row's taps, which run as one column) */
    int32_t rq_exact;           /* 1: TFLM's requantization arithmetic */
    const int32_t *bias;        /* scaled as the weights (tq_dsp.h), padded to a multiple of 4 per
                                 * row: direct, one row per tap, bias + input_offset * sum of the
                                 * tap's weights; else one row, the bias */
} tq_transpose_conv_dsp_params;

/* Bit-exact with TFLM's reference_integer_ops::TransposeConv (the scatter form of
 * transpose_conv.c): each input pixel's channels widened once, then for every tap inside the
 * output one matrix-vector product with SMLAD. Not direct, the products go into one int32
 * accumulator per output element, requantized when the whole input is read (the output may
 * overlap the input in any way); direct, each output pixel is written as soon as its input pixel
 * is read (the op declares no overlap, so the planner keeps them apart).
 * Scratch (sized by dsp_scratch in tinyq/ops/transpose_conv.py): the accumulators (not direct,
 * 4 bytes an output element), the widened pixel (8 bytes a group) and, when in_c is not a
 * multiple of 4, the pixel padded to whole groups (4 bytes a group). */
void tq_transpose_conv_dsp_s8(const tq_transpose_conv_dsp_params *p, const int8_t *in, const int32_t *w,
                              int8_t *out, void *scratch);

#endif
