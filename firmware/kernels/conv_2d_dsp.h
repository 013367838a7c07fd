#ifndef TQ_CONV_2D_DSP_H
#define TQ_CONV_2D_DSP_H

#include <stdint.h>

#include "tq_dsp.h"

/* A CONV_2D for the DSP kernel: geometry as tq_conv_params, weights widened to int16 and laid
 * out by tinyq/ops/_dsp_layout.py (blocks of 4 output channels, groups of 4 taps). */
typedef struct {
    tq_window geo;
    int32_t groups;             /* groups of 4 taps: ceil(k_h * (k_w * in_c + row_pad) / 4) */
    int32_t row_pad;            /* spare (zero-weight) taps after each filter row, so that rows
                                 * are whole groups and widen straight from the input */
    int16_t direct;             /* 1: a 1x1 convolution without padding over whole groups of 4
                                 * channels, read in place (no gather stage in the scratch) */
    int16_t cols;               /* 1: few input channels, each output row's input staged column
                                 * by column first (conv_2d_dsp_cols.h): weights in (kx, ky, ic)
                                 * order, row_pad 0, no gather stage */
    uint8_t rs_base;            /* conv_2d_dsp8.c's packed requantization (below); 0 here */
    uint8_t pk_flags;           /* conv_2d_dsp8.c, packed: TQ_CONV8_HAS_CONSTANTS (1), it has
                                 * constant channels (below); TQ_CONV8_DOUBLED (2), its inputs are
                                 * widened times 2 (else the accumulators shifted by 1) */
    int32_t pad_value;          /* the input zero point: padding taps read it, adding nothing */
    int32_t output_offset;      /* output zero point */
    int32_t act_min, act_max;
    const tq_rq *rq;            /* per output channel */
    int32_t rq_exact;          /* 1: TFLM's requantization arithmetic (tq_dsp.h) */
    const int32_t *bias;        /* bias + input_offset * sum(w), per channel, padded to 4 */
    /* A fused residual ADD (TFLM's Add of this convolution's output and a residual; add_conv_lut
     * is 0 without one): each operand's byte, read unsigned, indexes a 256-entry table
     * (tinyq/ops/_fused_add.py). add_form TQ_ADD_FORM_SUM16 / SUM32 (int16 / int32 entries):
     * SSAT8((conv entry + residual entry) >> TQ_ADD_SUM16_SHIFT / TQ_ADD_SUM32_SHIFT) is TFLM's
     * output; TQ_ADD_FORM_EXACT:
     * the entries are TFLM's rescaled operands (int32), their sum requantized by tq_rq_exact with
     * add_rq (mult, shift) plus add_zp. Then clamped to [add_min, add_max]. */
    const void *add_conv_lut, *add_res_lut;
    tq_rq add_rq;
    int32_t add_form, add_zp, add_min, add_max;
    /* conv_2d_dsp8.c only (0 here; it leaves rq 0): the requantization in 6 bytes a channel
     * instead of 12. mult8[c]: the multiplier; shift8[c] = scale | (rs - 1) << 8, scale the fast
     * form's 2^(ls + 1) applied to the accumulator at run time (int8 weights have no room for it),
     * rs its right shift (>= 1), add = (2 output_offset + 1) << (rs - 1) derived from it. With
     * rq_exact: scale 0 and TFLM's (signed) shift in the high byte.
     * Packed instead (shift8 0, rs_base >= 1; tinyq/ops/_dsp_layout.py packed_requant): 4 bytes a
     * channel, mult8[c] = (mult & (2^30 - 1)) | (rs - rs_base) << 30 (TFLM's multipliers lie in
     * [2^30, 2^31)), scale 1 for every channel (with TQ_CONV8_DOUBLED in the widened inputs and
     * the bias, doubled). A word 0 marks a channel of constant output, bias[c]: it has no weights
     * in w (the next channel's follow) and no dot product. */
    const int32_t *mult8;
    const uint16_t *shift8;
    /* 1: a 1x1 layer read in place (direct), out_c a multiple of 4, the fast requantization over
     * all of int8, run over pixel pairs (conv_2d_dsp_pairs.h): w is its stream of weights, bias
     * and rows (bias and rq unused); the scratch holds two pixels' columns */
    int32_t pairs;
} tq_conv_dsp_params;

/* Scratch (sized by dsp_scratch in tinyq/ops/conv_2d.py): with cols the column staging first
 * (tq_conv_cols_bytes), then one output pixel's inputs widened (int16), gathered first (int8)
 * unless the convolution is 1x1 without padding over a multiple of 4 channels (read in place) or
 * staged by columns, and with a fused ADD its convolution outputs (int8). */

/* NHWC int8 convolution, bit-exact with TFLM's reference ConvPerChannel (and Add, when one is
 * fused: then out may be residual itself). Output pixels are written in raster order, each after
 * its own window was read (the arena plan relies on it). */
void tq_conv_2d_dsp_s8(const tq_conv_dsp_params *p, const int8_t *in, const int32_t *w, const int8_t *residual,
                       int8_t *out, void *scratch);

#endif
