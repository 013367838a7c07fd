#ifndef TQ_CONV_2D_MVE_H
#define TQ_CONV_2D_MVE_H

#include "conv_2d.h"

/* The portable kernel's contract (tq_conv_params, NHWC int8, OHWI weights, same output order
 * and overlaps) without the fused residual ADD (p->add must be 0: such layers keep the DSP
 * kernel's lookup tables), with Helium dot products: for each window, each valid filter row's
 * valid taps are one contiguous run (dilation 1) read once for four output channels, whose
 * results are requantized together; border windows add input_offset times each run's weight
 * sums. Bit-exact with TFLM's ConvPerChannel, as the portable kernel. */
void tq_conv_2d_mve_s8(const tq_conv_params *p, const int8_t *in, const int8_t *w, const int8_t *residual,
                       int8_t *out);

#endif
