#ifndef TQ_FULLY_CONNECTED_DSP8_H
#define TQ_FULLY_CONNECTED_DSP8_H

#include <stdint.h>

#include "tq_dsp.h"

typedef struct {
    int32_t batches;
    int32_t in_depth;
    int32_t out_depth;
    int32_t words;           /* weight words per channel pair: 4 * ceil(in_depth / 8) */
    int32_t shift;           /* in [0, 8]: inputs are widened times 2^shift (below); the direct
                              * kernel shifts the accumulators instead */
    int32_t output_offset;   /* output zero point */
    int32_t act_min;         /* fused activation range, within [-128, 127] */
    int32_t act_max;
    int32_t rq_exact;        /* 1: TFLM's requantization arithmetic (tq_dsp.h) */
    const int8_t *scale;     /* 0, or per output channel: the accumulator is shifted left by this
                              * much before the fast requantization (its 2^(ls + 1)) */
    const tq_rq *rq;         /* 0: each channel's tq_rq row is in w (below); else the one row of
                              * every channel (a per-tensor layer), and w holds none */
} tq_fc_dsp8_params;

/* FULLY_CONNECTED with the Cortex-M DSP extension and int8 weights: 1 byte per weight in flash,
 * half of what the int16-widened "dsp" kernel stores.
 *
 *   out[b][c] = clamp(requant(sum_d W[c][d] * in[b][d] + bias[c]) + output_offset, act_min, act_max)
 *
 * Formats: in is int8 [batches][in_depth], out int8 [batches][out_depth]. requant is TFLM's
 * MultiplyByQuantizedMultiplier, bit-exact with TFLM's reference FullyConnected: the fast form
 * of tq_dsp.h (tq_rq rows) on the accumulator scaled by its 2^(ls + 1), proven exact for the
 * layer at generation time, or else (rq_exact) TFLM's arithmetic itself. Where every channel has
 * the same factor 2^shift (per-tensor weights) the inputs carry it: each is widened times
 * 2^shift (it fits int16: shift <= 8 and the scaled weights fit int16) and scale is 0; else shift
 * is 0 and scale[c] shifts each accumulator. Accumulators are int32 (wrapping sums, exact in the
 * end).
 *
 * Each input row is first widened once into scratch (int32 [words]): per group of 4 inputs
 * d = 4g .. 4g+3 the halfword pairs (x[4g], x[4g+2]) and (x[4g+1], x[4g+3]) (SXTB16 and SXTB16
 * ROR 8 of the group's word), times 2^shift, zeros past in_depth (to whole groups of 8 inputs);
 * their sum S is kept.
 *
 * w (word-aligned; tinyq/ops/fully_connected.py, dsp8_stream) holds all of the layer's constants
 * in the order the kernel reads them, so that one pointer walks them. A channel pair A = 2k,
 * B = 2k+1 has two head words, bias[A] + 256 bias[B] and bias[B] (the biases times 2^shift, with
 * the input offset term folded in: model bias - input_zp * sum_d W[c][d]); one weight word for
 * each scratch word: bytes (W[A][d] + 128, W[B][d], W[A][e] + 128, W[B][e]) where (d, e) are that
 * scratch word's two inputs (0 past in_depth); and A's and B's tq_rq rows (unless p->rq holds the
 * layer's one row). One SMLAD of the raw word against the scratch word adds the pair
 * x * (256 W[B] + W[A] + 128) (the low byte is unsigned, so each halfword is exactly that), and
 * SXTB16 ROR 8 of the word gives W[B]'s pair for a second SMLAD: 3 instructions for 4 MACs. With u
 * the sum of the first and v of the second (the head words as initial values):
 *   acc[B] = v,   acc[A] = u - 256 v - 128 S   (mod 2^32, exact).
 * The channels go 4 at a time, two pairs P, Q: their 4 head words, then for each two scratch
 * words i, i+1 the words P[i], Q[i], P[i+1], Q[i+1], then the 4 rows (P's A, B, Q's A, B). Then
 * an out_depth % 4 >= 2's last pair as above (head, words, rows). An odd out_depth's last channel
 * follows: its bias, its row W[c][0 .. in_depth) zero-padded to words / 2 words (SXTB16 /
 * SXTB16 ROR 8 of one word meet two scratch words), its tq_rq row (not with p->rq).
 *
 * Traversal: for each batch row, widen it, then the blocks of 4 channels, a last pair, the
 * leftover channel; along a block 8 inputs a step: LDM of 4 scratch words + 2 x (LDM of 4 weight
 * words + 4 x (SMLAD, SXTB16, SMLAD)) = 27 instructions for 32 MACs on Cortex-M4, four steps a loop
 * branch; the common requantization (fast form, full int8 range, one shift) follows in the same
 * asm.
 *
 * Aliasing: in and out must not overlap each other or scratch; w and the params are only read. */
void tq_fully_connected_dsp8_s8(const tq_fc_dsp8_params *p, const int8_t *in, const int32_t *w, int8_t *out,
                                int32_t *scratch);

/* The same without scratch, for layers where the widened row would raise the arena (the layer
 * reads or writes the graph's largest activation; tinyq/ops/fully_connected.py picks): the int8
 * row is read in place (any alignment), each 8 inputs loaded by two LDRs and widened by 4 SXTB16
 * for the block's 4 channels (32 instructions for 32 MACs); S is summed from the row; the stream's
 * biases are not scaled and the accumulators are shifted left by p->shift (or p->scale[c]) before
 * the requantization. The same stream, from dsp8_stream(fold=False). */
void tq_fully_connected_dsp8_direct_s8(const tq_fc_dsp8_params *p, const int8_t *in, const int32_t *w, int8_t *out);
#endif
