#ifndef TQ_FULLY_CONNECTED_DSP_H
#define TQ_FULLY_CONNECTED_DSP_H

#include <stdint.h>

#include "tq_dsp.h"

typedef struct {
    int32_t batches;
    int32_t in_depth;
    int32_t out_depth;
    int32_t groups;          /* ceil(in_depth / 4) */
    int32_t output_offset;   /* output zero point */
    int32_t act_min;
    int32_t act_max;
    const tq_rq *rq;         /* per output channel */
    int32_t rq_exact;          /* 1: TFLM's requantization arithmetic (tq_dsp.h) */
    const int32_t *bias;     /* bias + input_offset * sum(w), padded to a multiple of 4 */
} tq_fc_dsp_params;

/* Scratch (sized by tinyq/ops/fully_connected.py): a word-padded copy of an input row when
 * in_depth % 4 != 0, else none. */

/* out[b][c] = requant(sum_d w[c][d] * in[b][d] + bias[c]), bit-exact with TFLM's reference
 * FullyConnected; weights widened to int16 in blocks of 4 output channels (tq_mm_dsp.h). */
void tq_fully_connected_dsp_s8(const tq_fc_dsp_params *p, const int8_t *in, const int32_t *w, int8_t *out,
                               void *scratch);

#endif
