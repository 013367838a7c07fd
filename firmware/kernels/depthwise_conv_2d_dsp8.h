#ifndef TQ_DEPTHWISE_CONV_2D_DSP8_H
#define TQ_DEPTHWISE_CONV_2D_DSP8_H

#include <stdint.h>

#include "depthwise_conv_2d_dsp.h"

/* DEPTHWISE_CONV_2D, depth multiplier 1, on the DSP extension with the model's int8 weights (the
 * "dsp8" variant): the dsp kernel's algorithm and traversal (depthwise_conv_2d_dsp_body.h), with
 *   w          per block of 4 channels c..c+3, for each tap (ky, kx) in order, the 4 bytes
 *              w[c] w[c+1] w[c+2] w[c+3] (channels past the last are zero): SXTB16 makes of them
 *              the pairs (c, c+2), (c+1, c+3) the int16 layout stores;
 *   bias_full  per block, the 4 channels' unscaled bias + input_offset * sum of taps, then one
 *              word of their 4 scales (byte j: channel c+j's shift 2^(ls + 1) of the fast
 *              requantization, applied to the accumulator before it; 0 with rq_exact).
 * Params, scratch, aliasing and order as tq_depthwise_conv_2d_dsp_s8. */
void tq_depthwise_conv_2d_dsp8_s8(const tq_dw_dsp_params *restrict p, const int8_t *in, const int32_t *w,
                                  int8_t *out, void *scratch);

#endif
