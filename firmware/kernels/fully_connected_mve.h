#ifndef TQ_FULLY_CONNECTED_MVE_H
#define TQ_FULLY_CONNECTED_MVE_H

#include "fully_connected.h"

/* The portable kernel's contract (tq_fc_params, int8 [batches][in_depth] x [out_depth][in_depth],
 * the input offset folded into bias; in and out must not overlap) with Helium dot products: four
 * output channels per pass over the input row, 16 multiply-accumulates per VMLADAVA, and the
 * four results requantized together. */
void tq_fully_connected_mve_s8(const tq_fc_params *p, const int8_t *in, const int8_t *w, int8_t *out);

#endif
