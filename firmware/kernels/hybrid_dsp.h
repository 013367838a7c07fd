/* Dynamic-range ("hybrid") CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with the Cortex-M DSP
 * extension: the arithmetic of hybrid_f32.h (the input quantized on the fly per batch by
 * tq_quantize_input, int32 sums of int8 x int8 products, float rescale), the products two at a
 * time by SMLAD on SXTB16-widened pairs. The int32 sums are exact and equal to the portable
 * kernels' (only their order differs), so the outputs are those of hybrid_f32.c bit for bit.
 *
 * FULLY_CONNECTED and CONV_2D take their int8 weights [out][len] (len = in_depth, or
 * k_h * k_w * in_c) permuted into the hybrid dsp8 layout (tq_dot8.h; tinyq/ops/
 * fully_connected.py dsp8_weights), still 1 byte each, and `wsum[c]`, the sum of channel c's
 * weights: sum (x - zp) * w = sum x * w - zp * wsum[c]. The convolution copies each output pixel's
 * patch of quantized inputs into the scratch (im2col), taps outside the input filled with the
 * zero point (so they add (zp - zp) * w = 0), then runs the FULLY_CONNECTED dot products on it.
 * DEPTHWISE_CONV_2D keeps the model's weights [1][k_h][k_w][out_c]; with depth multiplier 1 it
 * takes 4 channels a tap: one word of inputs widened minus the zero point (SXTAB16), one word of
 * weights widened, four SMLABB/SMLATT into 4 accumulators; other multipliers and the last
 * out_c % 4 channels as hybrid_f32.c.
 *
 * Scratch: FULLY_CONNECTED in_depth bytes; CONV_2D in_h * in_w * in_c + k_h * k_w * in_c bytes;
 * DEPTHWISE_CONV_2D in_h * in_w * in_c bytes. No pointer needs alignment; input, output and
 * scratch must not overlap. */
#ifndef TQ_HYBRID_DSP_H
#define TQ_HYBRID_DSP_H

#include <stdint.h>

#include "hybrid_f32.h"

void tq_fully_connected_dsp_hybrid(const tq_fc_hybrid_params *p, const float *in, const int8_t *w, float *out,
                                   int8_t *scratch);
/* p->wsum: per output channel, the sum of its weights */
void tq_conv_2d_dsp_hybrid(const tq_conv_hybrid_params *p, const int32_t *wsum, const float *in, const int8_t *w,
                           float *out, int8_t *scratch);
void tq_depthwise_conv_2d_dsp_hybrid(const tq_conv_hybrid_params *p, const float *in, const int8_t *w, float *out,
                                     int8_t *scratch);

#endif /* TQ_HYBRID_DSP_H */
