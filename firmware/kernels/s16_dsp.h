#ifndef TQ_S16_DSP_H
#define TQ_S16_DSP_H

/* 16x8 kernels for the Cortex-M DSP extension: int16 activations are already the 16-bit pairs
 * SMLAD multiplies, so with the int8 weights widened to int16 at generation time one SMLAD does
 * two multiply-accumulates. Accumulators are int32 where the generator proves that exact (the
 * layer's |accumulator| + |bias| < 2^31), int64 otherwise (partial int32 sums of <= 510 products). */

#include <stdint.h>

#include "tq_common.h"

/* TFLM's int64 requantization for one channel, prepared at generation time: the Q31 multiplier
 * reduced to Q15 and the total right shift 15 - shift; its rounding term 2^(total - 1) is in a
 * separate int64 array (`round`). */
typedef struct {
    int32_t reduced;
    int32_t total_shift;
} tq_rq16;

/* The fast requantization of one channel: y = SMMLAR(x << pre, m32, add), where x is the
 * accumulator plus bias. With total = 15 - shift and reduced the Q15 multiplier, TFLM computes
 * (x * reduced + 2^(total - 1)) >> total. For total in [16, 32]: m32 = reduced << (32 - total),
 * pre = 0; for total < 16: m32 = reduced << 16, pre = 16 - total. Either way the 64-bit product
 * x * 2^pre * m32 is x * reduced * 2^(32 - total) exactly and SMMLAR's rounding is TFLM's. A
 * channel whose weights are all zero outputs a constant: m32 = 0, add = that value. The
 * generator checks |x| << pre < 2^31 per channel from the weights and bias. */
typedef struct {
    int32_t m32;
    int32_t add;
    int32_t pre;
    int32_t unused;             /* 16-byte rows */
} tq_rq16_fast;

/* The requantization fields of every 16x8 DSP parameter struct: the fast form when every
 * channel has one, else TFLM's int64 arithmetic. */
typedef struct {
    int16_t fast;
    const tq_rq16_fast *fq;     /* fast: per channel */
    const int32_t *bias32;      /* fast: the bias per channel */
    const tq_rq16 *rq;          /* otherwise: per channel */
    const int64_t *round;       /* otherwise: 2^(total - 1) per channel */
    const int64_t *bias;        /* otherwise: per channel */
} tq_rq16_layer;

typedef struct {
    tq_window geo;
    int16_t direct;             /* 1x1, no padding, even in_c: read each input pixel in place */
    int16_t wide;               /* int64 accumulation (see above) */
    int32_t col_len;            /* k_h * k_w * in_c rounded up to even: a weight row's length */
    int32_t act_min, act_max;
    tq_rq16_layer q;            /* per output channel */
} tq_conv_dsp_s16_params;

/* NHWC int16 convolution; w16 int16 [out_c][col_len] (OHWI rows, zero-padded to even).
 * scratch: col_len int16 (one output pixel's window, padding taps 0), 4-byte aligned. */
void tq_conv_2d_dsp_s16(const tq_conv_dsp_s16_params *p, const int16_t *in, const int16_t *w16,
                        int16_t *out, int16_t *scratch);

typedef struct {
    int32_t batches, in_depth, out_depth;
    int32_t row_len;            /* in_depth rounded up to even */
    int16_t wide;
    int32_t act_min, act_max;
    tq_rq16_layer q;
} tq_fc_dsp_s16_params;

/* int16 FULLY_CONNECTED; w16 int16 [out_depth][row_len]. scratch: row_len int16 when in_depth is
 * odd (the row copied with a zero behind it), none otherwise. */
void tq_fully_connected_dsp_s16(const tq_fc_dsp_s16_params *p, const int16_t *in, const int16_t *w16,
                                int16_t *out, int16_t *scratch);

typedef struct {
    tq_window geo;              /* depth multiplier 1: in_c == out_c */
    int32_t act_min, act_max;
    tq_rq16_layer q;
} tq_dw_dsp_s16_params;

/* int16 depthwise convolution, multiplier 1; w16 int16 [k_h * k_w][c_pad] (c_pad = in_c rounded
 * up to even): channels two by two, SMLABB/SMLATT on (x_c, x_c+1) and (w_c, w_c+1). Taps per
 * output < 512, so int32 accumulators are exact. Output may trail the input in the arena. */
void tq_depthwise_conv_2d_dsp_s16(const tq_dw_dsp_s16_params *p, const int16_t *in, const int16_t *w16,
                                  int16_t *out);

#endif
