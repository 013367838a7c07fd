#ifndef TQ_FULLY_CONNECTED_DSP8_DIRECT_H
#define TQ_FULLY_CONNECTED_DSP8_DIRECT_H

#include <stdint.h>

#include "tq_dsp.h"

typedef struct {
    int32_t batches;
    int32_t in_depth;
    int32_t out_depth;
    int32_t output_offset;   /* output zero point */
    int32_t act_min;         /* fused activation range, within [-128, 127] */
    int32_t act_max;
    const tq_rq *rq;         /* per output channel (tq_dsp.h); with per_tensor, one for all */
    int16_t rq_exact;        /* 1: TFLM's requantization arithmetic (tq_dsp.h) */
    int16_t per_tensor;      /* 1: rq and scale hold one entry, every channel's */
    const int8_t *scale;     /* per output channel (one with per_tensor): the accumulator is
                              * shifted left by this much before the fast requantization (its
                              * 2^(ls + 1)); 0 with rq_exact */
    const int32_t *bias;     /* per output channel, the input offset term folded in (below) */
} tq_fc_dsp8_direct_params;

/* FULLY_CONNECTED with the Cortex-M DSP extension and int8 weights, reading its int8 input in
 * place: no scratch, for layers where fully_connected_dsp8.c's widened input row would raise the
 * arena (tinyq/ops/fully_connected.py picks). 1 byte per weight in flash, widened at run time:
 * 2 SXTB16 per 4 weights.
 *
 *   out[b][c] = clamp(requant(sum_d W[c][d] * in[b][d] + bias[c]) + output_offset, act_min, act_max)
 *
 * Formats: in is int8 [batches][in_depth], out int8 [batches][out_depth]. bias is int32
 * [out_depth] and already holds the input offset term (model bias - input_zp * sum_d W[c][d],
 * folded in at generation time). requant is TFLM's MultiplyByQuantizedMultiplier, bit-exact with
 * TFLM's reference FullyConnected: the fast form of tq_dsp.h on the accumulator shifted left by
 * scale[c] at run time (the "dsp" kernel folds that factor into its int16 weights; int8 weights
 * have no room for it), proven exact for the layer at generation time, or else (rq_exact) TFLM's
 * arithmetic itself. The accumulator is int32 (wrapping sums, exact in the end).
 * w holds the model's int8 weights W [out_depth][in_depth], every one once (out_depth * in_depth
 * bytes), permuted at generation time (tinyq/ops/fully_connected.py, dsp8_weights) into the order
 * the kernel reads them, so that one pointer walks them from start to end:
 *   for each block of 4 channels c = 4k .. 4k+3: for each group of 4 inputs d = 4g .. 4g+3 the 4
 *   channels' 4 bytes W[c][4g .. 4g+3], channel after channel (16 bytes a group); then the block's
 *   in_depth % 4 tail bytes, channel after channel;
 *   then the last out_depth % 4 channels' rows as they are.
 * No pointer needs any alignment (4-byte loads are unaligned LDRs); no scratch.
 *
 * Traversal: for each batch row, the output channels 4 at a time (each input word is loaded and
 * widened once for the 4), the last out_depth % 4 one at a time; along the row 4 inputs a step:
 * one word of inputs and one word of each channel's weights, widened by SXTB16 (bytes 0, 2) and
 * SXTB16 ROR 8 (bytes 1, 3) into halfword pairs, two SMLADs per channel; the in_depth % 4 tail
 * in plain C. The inner loop is 25 instructions for 16 MACs on Cortex-M4 (asm).
 *
 * Aliasing: in and out must not overlap; w, bias and the params are only read. */
void tq_fully_connected_dsp8_direct_s8(const tq_fc_dsp8_direct_params *p, const int8_t *in, const int8_t *w, int8_t *out);

#endif
