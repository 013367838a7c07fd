#ifndef TQ_DEPTHWISE_CONV_2D_DSP8_H
#define TQ_DEPTHWISE_CONV_2D_DSP8_H

#include <stdint.h>

#include "depthwise_conv_2d_dsp.h"

/* DEPTHWISE_CONV_2D, depth multiplier 1, on the DSP extension with the model's int8 weights in
 * flash (the "dsp8" variant). w: per block of 4 channels c..c+3, for each tap (ky, kx) in order,
 * the 4 bytes w[c] w[c+1] w[c+2] w[c+3] (channels past the last are zero). Each call first widens
 * them into scratch, times 2^scale[c], in the int16 layout of tq_depthwise_conv_2d_dsp_s8 (a few
 * instructions per tap and block, once per layer: depthwise weights are few), then runs that
 * kernel: the same instructions per pixel, the same params (bias_full scaled as there).
 * Packed requantization (pk_base >= 1; tinyq/ops/depthwise_conv_2d.py packed_dw8): rq points to
 * int32 words, one a channel (one for all with pk_one), (mult & (2^30 - 1)) | (rs - pk_base) << 30
 * (TFLM's multipliers lie in [2^30, 2^31)); every weight is widened times 2 and scale is 0, or,
 * where the layer's shifts spread wider, points to each channel's rs (uint8) and the words hold
 * the multipliers alone. The
 * call rebuilds the tq_rq rows into scratch (add = 2^(rs-1) + (output_offset << rs)), once.
 * Scratch (dsp8_scratch in tinyq/ops/depthwise_conv_2d.py): the widened weights (8 bytes per tap
 * and block), a packed layer's rows (12 bytes a channel, to a multiple of 8), then the dsp
 * kernel's scratch. Aliasing and order as tq_depthwise_conv_2d_dsp_s8. */
void tq_depthwise_conv_2d_dsp8_s8(const tq_dw_dsp_params *restrict p, const int8_t *in, const int8_t *w,
                                  int8_t *out, void *scratch);

#endif
