#ifndef TQ_DEPTHWISE_CONV_2D_MVE_H
#define TQ_DEPTHWISE_CONV_2D_MVE_H

#include "depthwise_conv_2d.h"

/* The portable kernel's contract (tq_dw_params, NHWC int8, weights [1, k_h, k_w, out_c]) for
 * depth multiplier 1, with Helium: 8 channels as int16 lanes, each tap a widening load of the
 * input and of the weights and two widening multiplies into int32 (the last channels
 * predicated), the results requantized 4 at a time. Each window walks a table of its valid taps (k_h * k_w <= 64: the
 * lowering uses it only then); interior windows take bias_full (it holds the input offset
 * term), border ones add input_offset to each valid tap's input. Same output order as the
 * portable kernel; no scratch, 1 KB of stack (the tap tables). */
void tq_depthwise_conv_2d_mve_s8(const tq_dw_params *p, const int8_t *in, const int8_t *w, int8_t *out);

#endif
